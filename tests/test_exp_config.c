/* Experiment configs: typed, ranged fields with defaults, relative paths resolved against
 * the config's folder, and every broken config refused with a message naming the field. */
#include <stdlib.h>
#include <string.h>

#include "exp_config.h"
#include "testlib.h"

static const char *const KEYS[] = {"n", "x", "name", "list", "reals", "words", "model", "sec", "paths", NULL};

/* Reads every field of the test schema; returns the first failure's message in err. */
static int read_all(const char *json, psamp_err *err) {
    exp_config c;
    if (exp_config_parse(&c, json, "dir/c.json", err) != 0) return -1;
    int32_t n = 7, *list = NULL, n_list = 0, n_reals = 0, n_words = 0;
    double x = 1.5, *reals = NULL;
    const char *name = "default", **words = NULL;
    char *model = NULL, **paths = NULL;
    int32_t n_paths = 0;
    const cJSON *sec = NULL;
    int rc = exp_config_check_keys(&c, c.root, "", KEYS, err) ||
             exp_config_int(&c, c.root, "", "n", 1, 1, 10, &n, err) ||
             exp_config_double(&c, c.root, "", "x", 0, 0.0, 1, 5.0, &x, err) ||
             exp_config_string(&c, c.root, "", "name", 0, &name, err) ||
             exp_config_int_list(&c, c.root, "", "list", 0, 0, 100, &list, &n_list, err) ||
             exp_config_double_list(&c, c.root, "", "reals", 0, 0.0, 1, 10.0, &reals, &n_reals, err) ||
             exp_config_string_list(&c, c.root, "", "words", 0, &words, &n_words, err) ||
             exp_config_path(&c, c.root, "", "model", 0, &model, err) ||
             exp_config_section(&c, c.root, "", "sec", &sec, err) ||
             exp_config_path_list(&c, c.root, "", "paths", 0, &paths, &n_paths, err);
    static const char *const SEC_KEYS[] = {"k", NULL};
    int32_t k = 0;
    if (rc == 0 && sec)
        rc = exp_config_check_keys(&c, sec, "sec", SEC_KEYS, err) ||
             exp_config_int(&c, sec, "sec", "k", 1, 0, 3, &k, err);
    free(list);
    free(reals);
    free((void *)words);
    free(model);
    exp_config_free_paths(paths, n_paths);
    exp_config_free(&c);
    return rc ? -1 : 0;
}

typedef struct {
    const char *json, *expect;
} broken_case;

static const broken_case BROKEN[] = {
    {"{\"n\": 2", "dir/c.json: not valid JSON near byte"},
    {"[1]", "dir/c.json: the top level must be a JSON object"},
    {"{\"n\": 2, \"name\": \"Hi\\u0000there\"}", "dir/c.json: a JSON string holds U+0000 (\\u0000) at byte 20"},
    {"{\"n\": 2, \"bogus\": 1}", "dir/c.json: unknown key 'bogus' (known: n, x, name"},
    {"{\"n\": 2, \"bo\\ngus\\u001b\": 1}", "dir/c.json: unknown key 'bo\\ngus\\x1b' (known: n, x, name"},
    {"{\"n\": 2, \"n\": 3}", "dir/c.json: n is given twice"},
    {"{}", "dir/c.json: n is required"},
    {"{\"n\": \"2\"}", "dir/c.json: n must be a number"},
    {"{\"n\": 0}", "dir/c.json: n: 0 must be >= 1"},
    {"{\"n\": 11}", "dir/c.json: n: 11 must be <= 10"},
    {"{\"n\": 2.5}", "dir/c.json: n: 2.5 is not an integer"},
    {"{\"n\": 2, \"x\": 0}", "dir/c.json: x: 0 must be > 0"},
    {"{\"n\": 2, \"name\": 4}", "dir/c.json: name must be a string"},
    {"{\"n\": 2, \"list\": []}", "dir/c.json: list is empty"},
    {"{\"n\": 2, \"list\": 3}", "dir/c.json: list must be a list"},
    {"{\"n\": 2, \"list\": [1, 200]}", "dir/c.json: list[1]: 200 must be <= 100"},
    {"{\"n\": 2, \"reals\": [1, -1]}", "dir/c.json: reals[1]: -1 must be > 0"},
    {"{\"n\": 2, \"words\": [\"a\", 1]}", "dir/c.json: words[1] must be a string"},
    {"{\"n\": 2, \"model\": \"\"}", "dir/c.json: model is empty"},
    {"{\"n\": 2, \"sec\": 1}", "dir/c.json: sec must be an object"},
    {"{\"n\": 2, \"sec\": {\"k\": 1, \"j\": 2}}", "dir/c.json: unknown key 'sec.j' (known: k)"},
    {"{\"n\": 2, \"sec\": {}}", "dir/c.json: sec.k is required"},
    {"{\"n\": 2, \"sec\": {\"k\": 9}}", "dir/c.json: sec.k: 9 must be <= 3"},
    {"{\"n\": 2, \"paths\": []}", "dir/c.json: paths is empty"},
    {"{\"n\": 2, \"paths\": [\"a\", 3]}", "dir/c.json: paths[1] must be a string"},
    {"{\"n\": 2, \"paths\": [\"a\", \"\"]}", "dir/c.json: paths[1] is empty"},
};

static void test_broken(psamp_test_state *t) {
    for (size_t i = 0; i < sizeof BROKEN / sizeof BROKEN[0]; i++) {
        psamp_err err = {{0}};
        int rc = read_all(BROKEN[i].json, &err);
        CHECK(t, rc != 0, "case %zu (%s) was accepted", i, BROKEN[i].json);
        CHECK(t, strstr(err.msg, BROKEN[i].expect) != NULL, "case %zu: '%s' lacks '%s'", i, err.msg, BROKEN[i].expect);
    }
}

static void test_values(psamp_test_state *t) {
    psamp_err err;
    exp_config c;
    const char *json = "{\"n\": 3, \"list\": [4, 5], \"model\": \"m/x.json\", \"abs\": \"/a/b\", \"words\": [\"\", \"w\"]}";
    CHECK(t, exp_config_parse(&c, json, "dir/sub/c.json", &err) == 0, "parse: %s", err.msg);
    int32_t n = 0, absent = 42, *list = NULL, n_list = 0, n_words = 0;
    double x = 2.5;
    char *model = NULL, *abs_path = NULL;
    const char **words = NULL;
    CHECK(t, exp_config_int(&c, c.root, "", "n", 1, 0, 9, &n, &err) == 0 && n == 3, "n = %d", n);
    CHECK(t, exp_config_int(&c, c.root, "", "zz", 0, 0, 9, &absent, &err) == 0 && absent == 42, "absent keeps the default");
    CHECK(t, exp_config_double(&c, c.root, "", "x", 0, 0, 1, 9, &x, &err) == 0 && x == 2.5, "absent double keeps its default");
    CHECK(t, exp_config_int_list(&c, c.root, "", "list", 1, 0, 9, &list, &n_list, &err) == 0 && n_list == 2 &&
                 list[0] == 4 && list[1] == 5,
          "int list");
    CHECK(t, exp_config_path(&c, c.root, "", "model", 1, &model, &err) == 0 && strcmp(model, "dir/sub/m/x.json") == 0,
          "relative path resolves against the config's folder: %s", model ? model : "(null)");
    CHECK(t, exp_config_path(&c, c.root, "", "abs", 1, &abs_path, &err) == 0 && strcmp(abs_path, "/a/b") == 0,
          "absolute path kept");
    CHECK(t, exp_config_string_list(&c, c.root, "", "words", 1, &words, &n_words, &err) == 0 && n_words == 2 &&
                 strcmp(words[0], "") == 0 && strcmp(words[1], "w") == 0,
          "string list (empty strings allowed)");
    free(list);
    free(model);
    free(abs_path);
    free((void *)words);
    exp_config_free(&c);
    /* A list of paths, each resolved; a second read replaces the first list. */
    CHECK(t, exp_config_parse(&c, "{\"p\": [\"a.json\", \"/b.json\"], \"q\": [\"c\"]}", "top/c.json", &err) == 0,
          "parse: %s", err.msg);
    char **paths = NULL;
    int32_t n_paths = 0;
    CHECK(t, exp_config_path_list(&c, c.root, "", "p", 1, &paths, &n_paths, &err) == 0 && n_paths == 2 &&
                 strcmp(paths[0], "top/a.json") == 0 && strcmp(paths[1], "/b.json") == 0,
          "path list: %s", n_paths ? paths[0] : err.msg);
    CHECK(t, exp_config_path_list(&c, c.root, "", "q", 1, &paths, &n_paths, &err) == 0 && n_paths == 1 &&
                 strcmp(paths[0], "top/c") == 0,
          "a present list replaces the old one");
    CHECK(t, exp_config_path_list(&c, c.root, "", "zz", 0, &paths, &n_paths, &err) == 0 && n_paths == 1,
          "an absent list keeps the old one");
    exp_config_free_paths(paths, n_paths);
    exp_config_free(&c);
    char *root_rel = exp_config_resolve("/", "x.json");
    CHECK(t, root_rel && strcmp(root_rel, "/x.json") == 0, "a config at / resolves without a double slash: %s",
          root_rel ? root_rel : "(null)");
    free(root_rel);
    char *bare = exp_config_resolve(".", "x.json");
    CHECK(t, bare && strcmp(bare, "x.json") == 0, "a bare config name keeps paths as given");
    free(bare);
    CHECK(t, exp_config_load(&c, "/nonexistent/c.json", &err) != 0 && strstr(err.msg, "/nonexistent/c.json: cannot open"),
          "missing file: %s", err.msg);
}

int main(void) {
    psamp_test_state t = {0, 0};
    test_broken(&t);
    test_values(&t);
    return psamp_test_finish(&t, "test_exp_config");
}
