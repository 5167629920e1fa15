/* psamp score: the model's log-probability of given text or tokens, token by token. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_run.h"
#include "json_write.h"
#include "model.h"

static const char SCORE_DETAILS[] =
    "For a checkpoint (OPT, Qwen2, Llama, Phi-3) the first token (the BOS that --text gets, or the\n"
    "text's first token for Qwen2.5, whose tokenizer adds none) is context, so logp[i] is\n"
    "log p(tokens[i+1] | tokens[..i]); for a toy world every token is scored from the start\n"
    "state, so logp[i] is log p(tokens[i] | tokens[..i-1]).";

/* "2,31414,232" -> ids; err names --tokens and the bad item. */
static int parse_token_list(const char *s, int32_t **ids, int32_t *n, psamp_err *err) {
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    int32_t *out = malloc(cap * sizeof *out);
    char *copy = strdup(s);
    int32_t count = 0;
    if (!out || !copy) {
        free(out);
        free(copy);
        return psamp_fail(err, "out of memory");
    }
    char *item = copy;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma) *comma = '\0';
        int v;
        if (cli_parse_int(item, "--tokens", &v, err) != 0) {
            free(out);
            free(copy);
            return -1;
        }
        out[count++] = v;
        if (!comma) break;
        item = comma + 1;
    }
    free(copy);
    *ids = out;
    *n = count;
    return 0;
}

static void print_scores(const psamp_model *m, const int32_t *ids, int32_t n, const float *logp,
                         int32_t first, int as_json) {
    double total = 0.0;
    for (int32_t i = first; i < n; i++) total += logp[i];
    if (as_json) {
        printf("{\"tokens\":");
        psamp_json_int_array(stdout, ids, n);
        printf(",\"logp\":");
        psamp_json_float_array(stdout, logp + first, n - first);
        printf(",\"total\":");
        psamp_json_number(stdout, total);
        printf("}\n");
        return;
    }
    printf("%5s %8s %12s  %s\n", "pos", "token", "log p", "text");
    for (int32_t i = 0; i < n; i++) {
        char *text = NULL;
        size_t len = 0;
        psamp_err err;
        if (psamp_model_decode(m, ids + i, 1, &text, &len, &err) != 0) text = NULL;
        if (i < first)
            printf("%5d %8d %12s  ", i, ids[i], "(context)");
        else
            printf("%5d %8d %12.6f  ", i, ids[i], logp[i]);
        if (text) psamp_json_string(stdout, text, len);
        putchar('\n');
        free(text);
    }
    printf("total log p %.6f over %d tokens\n", total, n - first);
}

int cli_cmd_score(int argc, char **argv) {
    const char *model = NULL, *text = NULL, *tokens = NULL, *backend = "cpu", *dtype = "fp16";
    int as_json = 0, threads = 0;
    cli_option opts[] = {
        {"model", CLI_STRING, &model, "PATH", "checkpoint dir (OPT, Qwen2, Llama, Phi-3) or toy-world spec (required)", 0},
        {"text", CLI_STRING, &text, "TEXT", "text to score (a BOS is prepended as the tokenizer does: OPT </s>, Llama-3, Phi-3.5)", 0},
        {"tokens", CLI_STRING, &tokens, "IDS", "comma-separated token ids to score, e.g. 2,31414,232", 0},
        {"backend", CLI_STRING, &backend, "NAME", "cpu | cuda | auto (default cpu, the reference)", 0},
        {"dtype", CLI_STRING, &dtype, "NAME", "cuda weights: fp16 | bf16", 0},
        {"threads", CLI_INT, &threads, "N", "cpu: BLAS threads (default: all cores)", 0},
        {"json", CLI_FLAG, &as_json, NULL, "print {\"tokens\", \"logp\", \"total\"} as JSON", 0},
    };
    cli_command cmd = {"score", "per-token log p of a text or token sequence",
                       "--model PATH (--text TEXT | --tokens IDS) [--json]", SCORE_DETAILS, opts,
                       (int)(sizeof opts / sizeof opts[0])};
    psamp_err err = {{0}};
    int rc = cli_parse(&cmd, argc, argv, &err);
    if (rc > 0) return 0;
    if (rc == 0 && !model) rc = psamp_fail(&err, "psamp score: --model is required");
    if (rc == 0 && !text == !tokens) rc = psamp_fail(&err, "psamp score: give exactly one of --text and --tokens");
    if (rc == 0 && threads < 0) rc = psamp_fail(&err, "psamp score: --threads must be >= 0");
    int32_t *ids = NULL, n = 0;
    if (rc == 0 && tokens && parse_token_list(tokens, &ids, &n, &err) != 0)
        rc = psamp_fail_context(&err, "psamp score");
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }

    psamp_model *m = NULL;
    psamp_engine *e = NULL;
    float *logp = NULL;
    psamp_backend_options bo;
    int status = 1;
    if (cli_backend_options(backend, dtype, threads, &bo, &err) != 0) goto done;
    if (psamp_model_open(&m, model, &err) != 0) goto done;
    if (text && psamp_model_encode(m, text, &ids, &n, &err) != 0) {
        psamp_fail_context(&err, "--text");
        goto done;
    }
    if (psamp_model_check_ids(m, ids, n, &err) != 0) goto done;
    int32_t first = psamp_model_toy(m) ? 0 : 1;
    if (n <= first) {
        psamp_fail(&err, "nothing to score: %d token(s)%s", n, first ? " (the first is context)" : "");
        goto done;
    }
    if (n > psamp_model_max_len(m)) {
        psamp_fail(&err, "%d tokens exceed the model's %d positions", n, psamp_model_max_len(m));
        goto done;
    }
    logp = malloc((size_t)n * sizeof *logp);
    if (!logp) {
        psamp_fail(&err, "out of memory");
        goto done;
    }
    if (psamp_model_engine(m, &bo, 1, n, &e, &err) != 0) goto done;
    if (e->ops->prefill(e, 0, ids, n, 1.0f, logp, &err) != 0) goto done;
    print_scores(m, ids, n, logp, first, as_json);
    status = 0;
done:
    if (status != 0) fprintf(stderr, "psamp score: %s\n", err.msg);
    psamp_engine_destroy(e);
    free(logp);
    free(ids);
    psamp_model_close(m);
    return status;
}
