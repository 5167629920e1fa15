/* Broken tokenizer files each fail with one line naming the file (and line or token), and
 * harmless variations (CRLF, blank lines, no trailing newline, gaps in the ids) still load. */
#include <stdlib.h>
#include <string.h>

#include "test_files.h"
#include "testlib.h"
#include "tokenizer.h"

#define FIXTURE_VOCAB PSAMP_FIXTURES "/tokenizer/vocab.json"
#define FIXTURE_MERGES PSAMP_FIXTURES "/tokenizer/merges.txt"

/* Writes a case file into the test's folder; returns its path (in buf). */
static const char *write_file(const char *dir, char buf[4096], const char *name, const char *data,
                              size_t len) {
    test_path(buf, dir, name);
    if (test_write_bytes(buf, data, len)) fprintf(stderr, "cannot write %s\n", buf);
    return buf;
}

static const char *write_text(const char *dir, char buf[4096], const char *name, const char *text) {
    return write_file(dir, buf, name, text, strlen(text));
}

static void expect_error(psamp_test_state *t, const char *vocab, const char *merges,
                         const char *names_file, const char *says) {
    psamp_tokenizer *tok = (psamp_tokenizer *)&tok; /* must come back NULL */
    psamp_err err = {""};
    int rc = psamp_tokenizer_load(&tok, vocab, merges, &err);
    CHECK(t, rc == -1 && tok == NULL, "%s: load should fail", says);
    CHECK(t, strstr(err.msg, names_file) != NULL, "message names %s: \"%s\"", names_file, err.msg);
    CHECK(t, strstr(err.msg, says) != NULL, "message says \"%s\": \"%s\"", says, err.msg);
    CHECK(t, strchr(err.msg, '\n') == NULL, "message is one line: \"%s\"", err.msg);
    if (rc == 0) psamp_tokenizer_free(tok);
}

static void broken_vocab(psamp_test_state *t, const char *dir) {
    char path[4096];
    expect_error(t, "/nonexistent/vocab.json", FIXTURE_MERGES, "/nonexistent/vocab.json", "cannot open");
    const char *p = write_text(dir, path, "malformed.json", "{\"a\": 0, \"b\": }");
    expect_error(t, p, FIXTURE_MERGES, p, "malformed JSON near byte");
    p = write_text(dir, path, "trailing.json", "{\"a\": 0} {");
    expect_error(t, p, FIXTURE_MERGES, p, "malformed JSON near byte");
    p = write_text(dir, path, "array.json", "[\"a\", \"b\"]");
    expect_error(t, p, FIXTURE_MERGES, p, "expected a JSON object");
    p = write_text(dir, path, "empty.json", "{}");
    expect_error(t, p, FIXTURE_MERGES, p, "vocabulary is empty");
    const char *not_integer[] = {"{\"a\": 0, \"bad\": 1.5}", "{\"bad\": \"1\"}", "{\"bad\": -1}",
                                 "{\"bad\": 1e30}", "{\"bad\": true}", "{\"bad\": null}"};
    for (int k = 0; k < 6; k++) {
        char name[32];
        snprintf(name, sizeof name, "not_integer%d.json", k);
        p = write_text(dir, path, name, not_integer[k]);
        expect_error(t, p, FIXTURE_MERGES, p, "the id of token \"bad\" is not an integer");
    }
    p = write_text(dir, path, "dup_id.json", "{\"a\": 0, \"b\": 1, \"c\": 0}");
    expect_error(t, p, FIXTURE_MERGES, p, "id 0 is given to both \"a\" and \"c\"");
    p = write_text(dir, path, "dup_token.json", "{\"a\": 0, \"b\": 1, \"a\": 2}");
    expect_error(t, p, FIXTURE_MERGES, p, "token \"a\" appears twice");
    p = write_text(dir, path, "no_bytes.json", "{\"a\": 0}");
    expect_error(t, p, FIXTURE_MERGES, p, "no token for byte 0x00");
}

static void broken_merges(psamp_test_state *t, const char *dir, const psamp_tokenizer *fixture) {
    char path[4096];
    expect_error(t, FIXTURE_VOCAB, "/nonexistent/merges.txt", "/nonexistent/merges.txt", "cannot open");
    const char *p = write_text(dir, path, "three.txt", "#version: 0.2\n\xc4\xa0 t\nt h e\n");
    expect_error(t, FIXTURE_MERGES, FIXTURE_VOCAB, FIXTURE_MERGES, "malformed JSON"); /* swapped */
    expect_error(t, FIXTURE_VOCAB, p, p, "line 3: expected 2 tokens separated by a space, found 3");
    p = write_text(dir, path, "one.txt", "t\n");
    expect_error(t, FIXTURE_VOCAB, p, p, "line 1: expected 2 tokens separated by a space, found 1");
    p = write_text(dir, path, "unknown.txt", "#version: 0.2\n\xc4\xa0 t\nzzqq h\n");
    expect_error(t, FIXTURE_VOCAB, p, p, "line 3: token \"zzqq\" is not in the vocabulary");
    CHECK(t, psamp_tokenizer_id(fixture, "QQ") < 0 && psamp_tokenizer_id(fixture, "Q") >= 0,
          "the next case needs \"QQ\" absent and \"Q\" present");
    p = write_text(dir, path, "result.txt", "#version: 0.2\nQ Q\n");
    expect_error(t, FIXTURE_VOCAB, p, p, "line 2: merged token \"QQ\" is not in the vocabulary");
}

static int same_ids(const psamp_tokenizer *a, const psamp_tokenizer *b, const char *text) {
    int32_t *ia = NULL, *ib = NULL, na = 0, nb = 0;
    psamp_err err = {""};
    int same = psamp_tokenizer_encode(a, text, strlen(text), &ia, &na, &err) == 0 &&
               psamp_tokenizer_encode(b, text, strlen(text), &ib, &nb, &err) == 0 && na == nb &&
               memcmp(ia, ib, (size_t)na * sizeof *ia) == 0;
    free(ia);
    free(ib);
    return same;
}

/* CRLF line ends, blank lines and a missing final newline change nothing. */
static void harmless_merges_variants(psamp_test_state *t, const char *dir, const psamp_tokenizer *fixture) {
    char path[4096];
    size_t len = 0;
    char *merges = psamp_test_read_file(FIXTURE_MERGES, &len);
    CHECK(t, merges != NULL, "read the fixture merges");
    if (!merges) return;
    char *crlf = malloc(2 * len + 8);
    size_t o = 0;
    for (size_t i = 0; crlf && i < len; i++) {
        if (merges[i] == '\n') crlf[o++] = '\r';
        crlf[o++] = merges[i];
        if (merges[i] == '\n' && i == 20) crlf[o++] = '\n'; /* a blank line in the middle */
    }
    while (crlf && o > 0 && (crlf[o - 1] == '\n' || crlf[o - 1] == '\r')) o--; /* no final newline */
    const char *p = crlf ? write_file(dir, path, "crlf.txt", crlf, o) : "";
    psamp_tokenizer *tok = NULL;
    psamp_err err = {""};
    int rc = psamp_tokenizer_load(&tok, FIXTURE_VOCAB, p, &err);
    CHECK(t, rc == 0, "CRLF merges load: %s", err.msg);
    const char *text = "The quick brown fox's 12345 jumps -- over\n\n  the lazy dog, doesn't it?";
    CHECK(t, rc == 0 && same_ids(tok, fixture, text), "CRLF merges encode as the fixture does");
    psamp_tokenizer_free(tok);
    free(crlf);
    free(merges);
}

/* An id that vocab.json skips: vocab_size still covers the largest id; decoding the gap fails. */
static void vocab_with_a_gap(psamp_test_state *t, const char *dir) {
    char path[4096];
    size_t len = 0;
    char *vocab = psamp_test_read_file(FIXTURE_VOCAB, &len);
    char *cut = vocab ? strstr(vocab, "\"<unk>\":3,") : NULL;
    CHECK(t, cut != NULL, "the fixture vocab has \"<unk>\":3");
    if (!cut) {
        free(vocab);
        return;
    }
    size_t skip = strlen("\"<unk>\":3,");
    memmove(cut, cut + skip, len - (size_t)(cut - vocab) - skip + 1);
    const char *p = write_text(dir, path, "gap.json", vocab);
    psamp_tokenizer *tok = NULL;
    psamp_err err = {""};
    int rc = psamp_tokenizer_load(&tok, p, FIXTURE_MERGES, &err);
    CHECK(t, rc == 0, "vocab with a gap loads: %s", err.msg);
    if (rc == 0) {
        CHECK(t, psamp_tokenizer_vocab_size(tok) == 1024, "vocab size is max id + 1");
        CHECK(t, psamp_tokenizer_id(tok, "<unk>") == -1, "the removed token is gone");
        const int32_t ids[2] = {2, 3};
        char *text = NULL;
        size_t text_len = 0;
        rc = psamp_tokenizer_decode(tok, ids, 2, &text, &text_len, &err);
        CHECK(t, rc == -1 && strstr(err.msg, "ids[1] = 3"), "decoding the gap fails: %s", err.msg);
        free(text);
    }
    psamp_tokenizer_free(tok);
    free(vocab);
}

int main(void) {
    psamp_test_state t = {0, 0};
    char *dir = test_dir_create();
    CHECK(&t, dir != NULL, "cannot make a temporary folder");
    psamp_tokenizer *fixture = NULL;
    psamp_err err = {""};
    CHECK(&t, psamp_tokenizer_load(&fixture, FIXTURE_VOCAB, FIXTURE_MERGES, &err) == 0, "%s", err.msg);
    if (fixture && dir) {
        broken_vocab(&t, dir);
        broken_merges(&t, dir, fixture);
        harmless_merges_variants(&t, dir, fixture);
        vocab_with_a_gap(&t, dir);
    }
    psamp_tokenizer_free(fixture);
    test_dir_remove(dir);
    return psamp_test_finish(&t, "test_tokenizer_files");
}
