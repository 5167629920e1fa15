/* pass@k's pieces: the estimator against exact binomials (and stable where binomials
 * overflow), task files (every broken line refused with its line number), the judging rules,
 * method specs and experiment configs. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiment_config.h"
#include "method_spec.h"
#include "passk_estimator.h"
#include "passk_interval.h"
#include "passk_tasks.h"
#include "prompt_template.h"
#include "task_answer.h"
#include "test_files.h"
#include "testlib.h"

static double binomial(int n, int k) {
    if (k < 0 || k > n) return 0.0;
    double r = 1.0;
    for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
    return r;
}

static void test_estimator(psamp_test_state *t) {
    for (int n = 1; n <= 20; n++)
        for (int c = 0; c <= n; c++)
            for (int k = 1; k <= n; k++) {
                double want = 1.0 - binomial(n - c, k) / binomial(n, k);
                CHECK_NEAR(t, passk_estimate(n, c, k), want, 1e-12, "pass@k vs binomials");
            }
    CHECK_NEAR(t, passk_estimate(10, 3, 1), 0.3, 1e-15, "pass@1 = c/n");
    CHECK(t, passk_estimate(10, 0, 10) == 0.0, "no correct sample: 0");
    CHECK(t, passk_estimate(10, 10, 1) == 1.0, "all correct: 1");
    CHECK(t, passk_estimate(10, 8, 3) == 1.0, "n - c < k: 1");
    /* Where C(n, k) overflows a double (C(100000, 5000) ~ 10^8000) the product still works. */
    double big = passk_estimate(100000, 10, 5000);
    CHECK_NEAR(t, big, 1.0 - pow(1.0 - 0.05, 10), 1e-3, "large n: close to 1 - (1 - k/n)^c");
    CHECK(t, big > 0 && big < 1, "large n stays inside (0, 1): %g", big);
    CHECK_NEAR(t, passk_estimate(100000, 1, 1), 1e-5, 1e-15, "large n, pass@1");
    CHECK(t, isnan(passk_estimate(5, 6, 1)) && isnan(passk_estimate(5, 1, 6)) && isnan(passk_estimate(0, 0, 1)) &&
                 isnan(passk_estimate(5, -1, 1)) && isnan(passk_estimate(5, 1, 0)),
          "out-of-range input is NaN, not a plausible number");
    int64_t correct[3] = {0, 5, 10};
    CHECK_NEAR(t, passk_mean(10, correct, 3, 1), 0.5, 1e-15, "mean over problems");
    CHECK(t, isnan(passk_mean(10, correct, 0, 1)), "no problems: NaN");
    /* pass@k never falls as k grows. */
    for (int k = 1; k < 40; k++) CHECK(t, passk_estimate(40, 7, k + 1) >= passk_estimate(40, 7, k), "monotone in k");

    psamp_err err = {{0}};
    int32_t ks[] = {1, 4, 8};
    CHECK(t, passk_check_ks(ks, 3, 8, "--k", &err) == 0, "k up to n is fine");
    CHECK(t, passk_check_ks(ks, 3, 7, "--k", &err) == -1 && strstr(err.msg, "k = 8 is larger than the 7 samples"),
          "k > n: %s", err.msg);
    int32_t zero[] = {0};
    CHECK(t, passk_check_ks(zero, 1, 7, "--k", &err) == -1 && strstr(err.msg, "not positive"), "k = 0: %s", err.msg);
    CHECK(t, passk_check_ks(ks, 3, 0, "--k", &err) == -1 && strstr(err.msg, "must be positive"), "n = 0: %s", err.msg);
}

typedef struct {
    const char *text, *expect;
} broken_tasks;

static const broken_tasks BROKEN[] = {
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"y\"}\n{\"id\":\"b\",\"prompt\":\n", "t.jsonl:2: not valid JSON"},
    {"\n\n{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"y\"} extra\n", "t.jsonl:3: text after the JSON object"},
    {"[1,2]\n", "t.jsonl:1: expected a JSON object"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"anwser\":\"y\"}\n", "t.jsonl:1: unknown key \"anwser\""},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"Par\\u0000is\"}\n", "t.jsonl:1: a JSON string holds U+0000"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"an\\nswer\\u001b\":\"y\"}\n", "t.jsonl:1: unknown key \"an\\nswer\\x1b\""},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"y\",\"answer\":\"z\"}\n", "t.jsonl:1: \"answer\" given twice"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"y\",\"regex\":\"y\"}\n", "t.jsonl:1: give \"answer\" or \"regex\", not both"},
    {"{\"id\":\"a\",\"prompt\":\"x\"}\n", "t.jsonl:1: needs an \"answer\" or a \"regex\""},
    {"{\"prompt\":\"x\",\"answer\":\"y\"}\n", "t.jsonl:1: \"id\" is missing or empty"},
    {"{\"id\":\"\",\"prompt\":\"x\",\"answer\":\"y\"}\n", "t.jsonl:1: \"id\" is missing or empty"},
    {"{\"id\":\"a\",\"answer\":\"y\"}\n", "t.jsonl:1: \"prompt\" is missing"},
    {"{\"id\":\"a\",\"prompt\":3,\"answer\":\"y\"}\n", "t.jsonl:1: \"prompt\" must be a string"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\" y\"}\n", "t.jsonl:1: \"answer\" must be non-empty and not start"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"\"}\n", "t.jsonl:1: \"answer\" must be non-empty"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"regex\":\"([a-z\"}\n", "t.jsonl:1: \"regex\" '([a-z' does not compile"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"y\"}\n\n{\"id\":\"a\",\"prompt\":\"z\",\"answer\":\"y\"}\n",
     "t.jsonl:3: id \"a\" repeats line 1"},
    {"\n  \n\t\n", "t.jsonl: no tasks"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"regex\":\"y\",\"marker\":\"A:\"}\n", "comes with an \"answer\""},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"1\",\"marker\":\"\"}\n", "\"marker\" must be non-empty"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"1\",\"numeric\":true}\n", "\"numeric\" needs a \"marker\""},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"1\",\"marker\":\"A:\",\"numeric\":1}\n",
     "\"numeric\" must be true or false"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"1e3\",\"marker\":\"A:\",\"numeric\":true}\n",
     "\"numeric\" answer must be a decimal"},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"1\",\"checker\":\"sympy\"}\n", "unknown \"checker\" \"sympy\""},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"regex\":\"1\",\"checker\":\"boxed\"}\n", "\"boxed\" needs an \"answer\""},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"1\",\"marker\":\"A:\",\"checker\":\"boxed\"}\n",
     "needs an \"answer\" and no \"marker\""},
    {"{\"id\":\"a\",\"prompt\":\"x\",\"answer\":\"1\",\"checker\":true}\n", "\"checker\" must be a string"},
};

/* Prompt templates: one final newline dropped, every {problem} filled, no placeholder refused. */
static void test_prompt_template(psamp_test_state *t) {
    char path[] = "/tmp/psamp_tmpl_XXXXXX";
    int fd = mkstemp(path);
    CHECK(t, fd >= 0, "mkstemp");
    if (fd < 0) return;
    const char body[] = "Q: {problem}\nAgain: {problem}\n\n";
    CHECK(t, write(fd, body, sizeof body - 1) == (ssize_t)(sizeof body - 1), "write");
    close(fd);
    psamp_err err = {{0}};
    char *tmpl = NULL, *out = NULL;
    CHECK(t, prompt_template_load(path, &tmpl, &err) == 0 && strcmp(tmpl, "Q: {problem}\nAgain: {problem}\n") == 0,
          "load keeps all but the final newline: %s", err.msg);
    CHECK(t, tmpl && prompt_template_apply(tmpl, "1+{1}", &out, &err) == 0 && strcmp(out, "Q: 1+{1}\nAgain: 1+{1}\n") == 0,
          "apply: '%s'", out ? out : "(null)");
    free(out);
    free(tmpl);
    tmpl = NULL;
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(t, fd >= 0 && write(fd, "\\boxed{}", 8) == 8, "rewrite");
    if (fd >= 0) close(fd);
    CHECK(t, prompt_template_load(path, &tmpl, &err) != 0 && strstr(err.msg, "no {problem}") && strstr(err.msg, path),
          "no placeholder: '%s'", err.msg);
    unlink(path);
    CHECK(t, prompt_template_load(path, &tmpl, &err) != 0 && strstr(err.msg, path), "missing file: '%s'", err.msg);
}

/* "checker": "boxed": the last \boxed{...} against the answer by the MATH grader's rules. */
static void test_judging_boxed(psamp_test_state *t) {
    psamp_err err = {{0}};
    passk_task_set s;
    const char *file = "{\"id\":\"m\",\"prompt\":\"Compute 1/2.\",\"answer\":\"\\\\frac{1}{2}\",\"checker\":\"boxed\"}\n";
    CHECK(t, passk_tasks_parse(file, strlen(file), "t.jsonl", 1, &s, &err) == 0, "boxed task: %s", err.msg);
    if (s.n != 1) return;
    const passk_task *task = &s.items[0];
    static const struct {
        const char *completion;
        int right;
    } cases[] = {
        {" We get $\\boxed{\\dfrac12}$.", 1},
        {"First \\boxed{3}, finally \\boxed{0.5}", 1},
        {"\\boxed{0.5} then \\boxed{3}", 0},
        {"The answer is 1/2.", 0},
        {"\\boxed{\\frac{2}{4}}", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(t, passk_task_judge(task, cases[i].completion, strlen(cases[i].completion)) == cases[i].right,
              "boxed judge of '%s'", cases[i].completion);
    passk_tasks_free(&s);
}

static void test_task_files(psamp_test_state *t) {
    psamp_err err = {{0}};
    passk_task_set s;
    const char *good = "{\"id\":\"cap\",\"prompt\":\"The capital of France is\",\"answer\":\"Paris\",\"source\":\"me\"}\r\n"
                       "\n"
                       "{\"id\":\"six\",\"prompt\":\"1, 2, 3, 4, 5,\",\"regex\":\"^6([^0-9]|$)\"}";
    CHECK(t, passk_tasks_parse(good, strlen(good), "t.jsonl", 1, &s, &err) == 0, "good file: %s", err.msg);
    CHECK(t, s.n == 2 && strcmp(s.items[0].id, "cap") == 0 && strcmp(s.items[0].answer, "Paris") == 0 &&
                 strcmp(s.items[0].source, "me") == 0 && s.items[0].line == 1 && s.items[1].line == 3 &&
                 s.items[1].re != NULL && s.items[1].answer == NULL,
          "fields and line numbers");
    passk_tasks_free(&s);
    CHECK(t, s.n == 0 && s.items == NULL, "free leaves an empty set");
    const char *prompts_only = "{\"id\":\"p\",\"prompt\":\"Once upon a time\"}\n";
    CHECK(t, passk_tasks_parse(prompts_only, strlen(prompts_only), "t.jsonl", 0, &s, &err) == 0 && s.n == 1,
          "prompts without answers are fine for H3: %s", err.msg);
    passk_tasks_free(&s);
    for (size_t i = 0; i < sizeof BROKEN / sizeof BROKEN[0]; i++) {
        err.msg[0] = '\0';
        int rc = passk_tasks_parse(BROKEN[i].text, strlen(BROKEN[i].text), "t.jsonl", 1, &s, &err);
        CHECK(t, rc == -1 && s.n == 0 && strstr(err.msg, BROKEN[i].expect) && !strchr(err.msg, '\n'),
              "broken case %zu: got '%s', want '%s'", i, err.msg, BROKEN[i].expect);
    }
    CHECK(t, passk_tasks_load("/nonexistent/tasks.jsonl", 1, &s, &err) == -1 && strstr(err.msg, "cannot open") &&
                 strstr(err.msg, "/nonexistent/tasks.jsonl"),
          "missing file: %s", err.msg);
}

static int judge(const passk_task *task, const char *completion) {
    return passk_task_judge(task, completion, strlen(completion));
}

static void test_judging(psamp_test_state *t) {
    psamp_err err = {{0}};
    passk_task_set s;
    const char *text = "{\"id\":\"a\",\"prompt\":\"\",\"answer\":\"Paris\"}\n"
                       "{\"id\":\"b\",\"prompt\":\"\",\"answer\":\"G.\"}\n"
                       "{\"id\":\"c\",\"prompt\":\"\",\"regex\":\"^6([^0-9]|$)\"}\n"
                       "{\"id\":\"d\",\"prompt\":\"\",\"regex\":\"cat\"}\n";
    if (passk_tasks_parse(text, strlen(text), "t.jsonl", 1, &s, &err) != 0) {
        CHECK(t, 0, "judging tasks parse: %s", err.msg);
        return;
    }
    const passk_task *paris = &s.items[0], *g = &s.items[1], *six = &s.items[2], *cat = &s.items[3];
    CHECK(t, judge(paris, " Paris, the city") && judge(paris, "Paris.") && judge(paris, "\n\t Paris") &&
                 judge(paris, " Paris"),
          "answer: a prefix after leading whitespace, then a non-alphanumeric or the end");
    CHECK(t, !judge(paris, " Parisian") && !judge(paris, " paris") && !judge(paris, "") && !judge(paris, " Pari") &&
                 !judge(paris, "The Paris") && !judge(paris, " Paris2"),
          "answer: not a longer word, other case, a shorter text or a later position");
    CHECK(t, judge(g, " G.H") && judge(g, "G."), "an answer ending in punctuation needs no boundary");
    CHECK(t, judge(six, " 6, 7") && judge(six, "6") && !judge(six, " 66") && !judge(six, " 7, 6"),
          "regex on the stripped completion, anchored by ^");
    CHECK(t, judge(cat, " the cat sat") && !judge(cat, " the dog"), "an unanchored regex matches anywhere");
    passk_tasks_free(&s);
}

/* Worked solutions: the answer after the marker's first occurrence, compared as a number. */
static void test_judging_marker(psamp_test_state *t) {
    const char *at;
    size_t n;
    CHECK(t, task_answer_after_marker("x\nAnswer:  42 \t\r\nAnswer: 7", 28, "Answer:", &at, &n) && n == 2 &&
                 memcmp(at, "42", 2) == 0,
          "first marker, trimmed, up to the newline");
    CHECK(t, task_answer_after_marker("Answer:", 7, "Answer:", &at, &n) && n == 0, "marker at the end: empty answer");
    CHECK(t, !task_answer_after_marker("Answer", 6, "Answer:", &at, &n) && !task_answer_after_marker("x", 1, "", &at, &n),
          "no marker (or an empty one): no answer");
    const char *good[] = {"12", "-3", "+3", "0.5", "007"}, *bad[] = {"", "-", "1.", ".5", "1e3", "1 2", "0x1", "1,000"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK(t, task_answer_is_decimal(good[i], strlen(good[i])), "decimal '%s'", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(t, !task_answer_is_decimal(bad[i], strlen(bad[i])), "not a decimal '%s'", bad[i]);
    struct {
        const char *a, *b;
        int equal;
    } pairs[] = {{"42", "42", 1},       {"042", "42", 1},     {"+42", "42", 1},        {"-0", "0", 1},
                 {"0.50", "0.5", 1},    {"3.0", "3", 1},      {"-0.0", "0", 1},        {"42", "-42", 0},
                 {"42", "420", 0},      {"4.2", "42", 0},     {"0.05", "0.5", 0},      {"42", "42 apples", 0},
                 {"1000000000000000000000000000001", "1000000000000000000000000000000", 0}, {"", "", 0}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        CHECK(t, task_answer_numeric_equal(pairs[i].a, strlen(pairs[i].a), pairs[i].b, strlen(pairs[i].b)) == pairs[i].equal,
              "'%s' vs '%s'", pairs[i].a, pairs[i].b);

    psamp_err err = {{0}};
    passk_task_set s;
    const char *text = "{\"id\":\"n\",\"prompt\":\"\",\"answer\":\"42\",\"marker\":\"Answer:\",\"numeric\":true}\n"
                       "{\"id\":\"s\",\"prompt\":\"\",\"answer\":\"Paris\",\"marker\":\"Answer:\"}\n";
    if (passk_tasks_parse(text, strlen(text), "t.jsonl", 1, &s, &err) != 0) {
        CHECK(t, 0, "marker tasks parse: %s", err.msg);
        return;
    }
    const passk_task *num = &s.items[0], *word = &s.items[1];
    CHECK(t, num->numeric && word->marker && !word->numeric, "marker and numeric fields");
    CHECK(t, judge(num, " 40 + 2 = 42\nAnswer: 42") && judge(num, "Answer: 042\nAnswer: 5") && judge(num, "Answer:42"),
          "numeric: the first answer, as a number");
    CHECK(t, !judge(num, " 42") && !judge(num, "Answer: 5\nAnswer: 42") && !judge(num, "Answer: 42 apples") &&
                 !judge(num, "answer: 42") && !judge(num, "Answer:\n42"),
          "numeric: no marker, a wrong first answer, extra text or the answer on the next line are wrong");
    CHECK(t, judge(word, "so\nAnswer: Paris \n") && !judge(word, "Answer: Paris.") && !judge(word, "Answer: paris"),
          "exact text after the marker");
    passk_tasks_free(&s);
}

static void test_method_specs(psamp_test_state *t) {
    psamp_err err = {{0}};
    method_spec m;
    CHECK(t, method_spec_from_text("power:alpha=2,block-size=4,mcmc_steps=3,label=p2", &m, &err) == 0,
          "spec parses: %s", err.msg);
    CHECK(t, m.cfg.method == PSAMP_METHOD_POWER && m.cfg.alpha == 2 && m.cfg.block_size == 4 && m.cfg.mcmc_steps == 3 &&
                 strcmp(m.label, "p2") == 0,
          "spec values");
    CHECK(t, method_spec_from_text("greedy", &m, &err) == 0 && m.cfg.method == PSAMP_METHOD_GREEDY &&
                 strcmp(m.label, "greedy") == 0,
          "a bare method, labelled by its text");
    struct {
        const char *spec, *expect;
    } bad[] = {
        {"bogus", "unknown method 'bogus'"},      {"power:beta=2", "unknown key 'beta'"},
        {"power:alpha", "'alpha' is not key=value"}, {"power:alpha=x", "alpha: expected a number, got 'x'"},
        {"power:block-size=2.5", "block_size must be an integer"}, {"power:alpha=2,alpha=3", "alpha given twice"},
        {":alpha=2", "expected METHOD[:key=value"},  {"power:method=temp", "unknown key 'method'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        CHECK(t, method_spec_from_text(bad[i].spec, &m, &err) == -1 && strstr(err.msg, bad[i].expect),
              "bad spec '%s': got '%s'", bad[i].spec, err.msg);
    }
    method_list l = {NULL, 0};
    CHECK(t, method_list_from_text("  greedy\ttemp:temperature=0.5 power ", "--methods", &l, &err) == 0 && l.n == 3 &&
                 l.items[1].cfg.temperature == 0.5,
          "a list of three: %s", err.msg);
    CHECK(t, method_list_from_text("temp temp", "--methods", &l, &err) == -1 && strstr(err.msg, "label 'temp' is used") &&
                 l.n == 3,
          "duplicate labels refused, the old list kept: %s", err.msg);
    CHECK(t, method_list_from_text("   ", "--methods", &l, &err) == -1 && strstr(err.msg, "no methods"), "empty list");
    psamp_sampler_config cfg;
    CHECK(t, method_spec_config(&l.items[2], 8, 5, 3, &cfg, &err) == 0 && cfg.n_chains == 5 && cfg.seed == 3 &&
                 cfg.max_new_tokens == 8 && psamp_sampler_block_size(&cfg) == 2,
          "run config: 4 default blocks of 8 tokens: %s", err.msg);
    CHECK(t, method_spec_config(&l.items[2], 2, 5, 3, &cfg, &err) == 0 && psamp_sampler_block_size(&cfg) == 1,
          "default blocks shrink to fit T = 2");
    method_list_free(&l);
    method_spec_from_text("power:block-size=9,label=big", &m, &err);
    CHECK(t, method_spec_config(&m, 8, 1, 0, &cfg, &err) == -1 && strstr(err.msg, "method 'big'") &&
                 strstr(err.msg, "block-size 9 is larger"),
          "block size > T names the method: %s", err.msg);
    err.msg[0] = '\0';
    method_spec_from_text("power:blocks=9,label=many", &m, &err);
    CHECK(t, method_spec_config(&m, 8, 1, 0, &cfg, &err) == -1 && strstr(err.msg, "method 'many'") &&
                 strstr(err.msg, "blocks"),
          "blocks given > T is refused, not shrunk: %s", err.msg);
    method_spec_from_text("power:blocks=8,label=fits", &m, &err);
    CHECK(t, method_spec_config(&m, 8, 1, 0, &cfg, &err) == 0 && cfg.n_blocks == 8, "blocks = T kept: %s", err.msg);

    cJSON *arr = cJSON_Parse("[{\"method\":\"power\",\"alpha\":3,\"block_size\":2},{\"method\":\"temp\",\"label\":\"t\"}]");
    CHECK(t, method_list_from_json(arr, "c.json: methods", &l, &err) == 0 && l.n == 2 && l.items[0].cfg.alpha == 3 &&
                 strcmp(l.items[0].label, "power") == 0 && strcmp(l.items[1].label, "t") == 0,
          "JSON methods: %s", err.msg);
    cJSON_Delete(arr);
    const char *bad_json[][2] = {
        {"[{\"alpha\":3}]", "c.json: methods[0]: \"method\" (a string) is required"},
        {"[{\"method\":\"power\",\"block-size\":3}]", "unknown key \"block-size\""},
        {"[{\"method\":\"power\",\"alpha\":\"3\"}]", "\"alpha\" must be a number"},
        {"[{\"method\":\"power\"},{\"method\":\"power\"}]", "label 'power' is used by two methods"},
        {"[]", "the list of methods is empty"},
        {"{}", "expected an array"},
    };
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        arr = cJSON_Parse(bad_json[i][0]);
        err.msg[0] = '\0';
        CHECK(t, method_list_from_json(arr, "c.json: methods", &l, &err) == -1 && strstr(err.msg, bad_json[i][1]),
              "bad JSON methods %s: got '%s'", bad_json[i][0], err.msg);
        cJSON_Delete(arr);
    }
    method_list_free(&l);
}

static int load_config(const char *dir, const char *json, experiment_kind kind, experiment_config *c, psamp_err *err) {
    char path[4096];
    test_path(path, dir, "c.json");
    test_write_text(path, json);
    experiment_config_init(c, kind, err);
    return experiment_config_load(c, path, err);
}

static void test_configs(psamp_test_state *t) {
    psamp_err err = {{0}};
    experiment_config c;
    char *dir = test_dir_create();
    if (!dir) {
        CHECK(t, 0, "no temp dir");
        return;
    }
    const char *good = "{\"worlds\": [\"a.json\", \"/abs/b.json\"], \"samples\": 8, \"k\": [1, 8], \"seed\": 5, "
                       "\"max_new_tokens\": 6, \"methods\": [{\"method\": \"greedy\"}]}";
    CHECK(t, load_config(dir, good, EXPERIMENT_PASSK, &c, &err) == 0, "good config: %s", err.msg);
    char want[4096];
    CHECK(t, c.n_worlds == 2 && strcmp(c.worlds[0], test_path(want, dir, "a.json")) == 0 &&
                 strcmp(c.worlds[1], "/abs/b.json") == 0,
          "relative paths are read from the config's folder: %s", c.n_worlds ? c.worlds[0] : "");
    CHECK(t, c.samples == 8 && c.n_ks == 2 && c.ks[1] == 8 && c.seed == 5 && c.max_new_tokens == 6 && c.methods.n == 1,
          "values");
    CHECK(t, experiment_config_check(&c, &err) == 0, "check passes: %s", err.msg);
    c.samples = 4;
    CHECK(t, experiment_config_check(&c, &err) == -1 && strstr(err.msg, "k = 8 is larger than the 4 samples"),
          "k > samples: %s", err.msg);
    c.samples = 0;
    CHECK(t, experiment_config_check(&c, &err) == -1 && strstr(err.msg, "--samples must be positive"), "samples 0: %s",
          err.msg);
    c.samples = 8;
    experiment_set_string(&c.model, "m.json", &err);
    CHECK(t, experiment_config_check(&c, &err) == -1 && strstr(err.msg, "not both"), "worlds and model: %s", err.msg);
    experiment_config_free(&c);

    CHECK(t, load_config(dir, "{\"methods\": [{\"method\": \"temp\"}]}", EXPERIMENT_PASSK, &c, &err) == 0 &&
                 experiment_config_check(&c, &err) == -1 && strstr(err.msg, "no problems"),
          "no problems: %s", err.msg);
    experiment_config_free(&c);
    CHECK(t, load_config(dir, "{\"model\": \"m.json\", \"samples\": 3, \"methods\": [{\"method\": \"temp\"}]}",
                         EXPERIMENT_PASSK, &c, &err) == 0 &&
                 experiment_config_check(&c, &err) == 0 && c.n_ks == 3 && c.ks[2] == 3,
          "default k = 1..samples: %s", err.msg);
    experiment_config_free(&c);

    const char *bad[][2] = {
        {"{\"model\": \"m\", \"bogus\": 1}", "c.json: unknown key 'bogus' (known: model, worlds, tasks, max_tasks, prompt_template, samples, k,"},
        {"{\"samples\": 0}", "c.json: samples: 0 must be >= 1"},
        {"{\"samples\": 2.5}", "c.json: samples: 2.5 is not an integer"},
        {"{\"samples\": \"8\"}", "c.json: samples must be a number"},
        {"{\"model\": 5}", "c.json: model must be a string"},
        {"{\"model\": \"\"}", "c.json: model is empty"},
        {"{\"backend\": \"\"}", "c.json: backend is empty"},
        {"{\"k\": [1, 0]}", "c.json: k[1]: 0 must be >= 1"},
        {"{\"k\": []}", "c.json: k is empty"},
        {"{\"worlds\": []}", "c.json: worlds is empty"},
        {"{\"worlds\": [\"a.json\", \"\"]}", "c.json: worlds[1] is empty"},
        {"{\"seed\": 1, \"seed\": 2}", "c.json: seed is given twice"},
        {"{\"methods\": [{\"method\": \"nope\"}]}", "c.json: methods[0]: --method: unknown method 'nope'"},
        {"[1]", "--config: "},
        {"[1]", "c.json: the top level must be a JSON object"},
        {"{\"model\": ", "c.json: not valid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        CHECK(t, load_config(dir, bad[i][0], EXPERIMENT_PASSK, &c, &err) == -1 && strstr(err.msg, bad[i][1]) &&
                     strstr(err.msg, "c.json"),
              "bad config %s: got '%s'", bad[i][0], err.msg);
        experiment_config_free(&c);
    }
    CHECK(t, load_config(dir, "{\"k\": [1]}", EXPERIMENT_H3, &c, &err) == -1 && strstr(err.msg, "unknown key 'k' (known: model, worlds, prompts,"),
          "h3 has no k: %s", err.msg);
    experiment_config_free(&c);
    CHECK(t, load_config(dir, "{\"prompts\": \"p.jsonl\"}", EXPERIMENT_H3, &c, &err) == 0 && c.tasks &&
                 strstr(c.tasks, "p.jsonl"),
          "h3 reads prompts: %s", err.msg);
    experiment_config_free(&c);
    experiment_config_init(&c, EXPERIMENT_PASSK, &err);
    CHECK(t, experiment_config_load(&c, "/nonexistent/c.json", &err) == -1 && strstr(err.msg, "cannot open"),
          "missing config: %s", err.msg);
    CHECK(t, experiment_set_ks(&c, "1,2,x", &err) == -1 && strstr(err.msg, "comma list of positive integers"),
          "bad k list: %s", err.msg);
    CHECK(t, experiment_set_worlds(&c, "a.json,,b.json", &err) == -1 && strstr(err.msg, "empty path"),
          "empty world path: %s", err.msg);
    experiment_config_free(&c);
    int32_t *list, n;
    CHECK(t, experiment_parse_int_list("1,64,1024", "--chains", &list, &n, &err) == 0 && n == 3 && list[2] == 1024,
          "int list");
    free(list);
    const char *bad_lists[] = {"", "0", "1,,2", "1,", "-3", "1x", "99999999999"};
    for (size_t i = 0; i < sizeof bad_lists / sizeof bad_lists[0]; i++)
        CHECK(t, experiment_parse_int_list(bad_lists[i], "--chains", &list, &n, &err) == -1 && strstr(err.msg, "--chains"),
              "bad int list '%s'", bad_lists[i]);
    test_dir_remove(dir);
}

/* Reference values from the formulas in passk_interval.h, computed in Python. */
static void test_intervals(psamp_test_state *t) {
    double lo, hi, m;
    passk_wilson(5, 10, PASSK_Z95, &lo, &hi);
    CHECK(t, fabs(lo - 0.236593090512564) < 1e-12 && fabs(hi - 0.7634069094874361) < 1e-12, "Wilson 5 of 10: [%g, %g]", lo, hi);
    passk_wilson(0, 20, PASSK_Z95, &lo, &hi);
    CHECK(t, lo == 0 && fabs(hi - 0.16112515805281938) < 1e-12, "Wilson 0 of 20: [%g, %g]", lo, hi);
    passk_wilson(20, 20, PASSK_Z95, &lo, &hi);
    CHECK(t, fabs(lo - 0.8388748419471806) < 1e-12 && hi == 1, "Wilson 20 of 20: [%g, %g]", lo, hi);
    int64_t one[1] = {3};
    passk_interval(10, one, 1, 4, 0, &m, &lo, &hi);
    CHECK(t, fabs(lo - 0.3663260140272043) < 1e-12 && fabs(hi - 0.9752148825320122) < 1e-12 && lo <= m && m <= hi,
          "one problem, pass@4: Wilson through 1-(1-p)^k: %g [%g, %g]", m, lo, hi);
    passk_interval(10, one, 1, 4, 1, &m, &lo, &hi);
    CHECK(t, lo == m && hi == m, "a deterministic method: no sampling noise");
    int64_t three[3] = {0, 5, 10};
    passk_interval(10, three, 3, 1, 0, &m, &lo, &hi);
    CHECK(t, m == 0.5 && lo == 0 && hi == 1, "three problems, normal approximation clipped to [0, 1]: [%g, %g]", lo, hi);
    int64_t close[3] = {4, 5, 6};
    passk_interval(10, close, 3, 1, 0, &m, &lo, &hi);
    CHECK(t, fabs(m - 0.5 - 0) < 1e-15 && fabs(hi - m - PASSK_Z95 * 0.1 / sqrt(3.0)) < 1e-12 && fabs(m - lo - (hi - m)) < 1e-12,
          "three problems: mean +- 1.96 sd / sqrt(3): [%g, %g]", lo, hi);
    passk_interval(10, close, 3, 11, 0, &m, &lo, &hi);
    CHECK(t, isnan(m) && isnan(lo) && isnan(hi), "k > n: NaN");
    passk_interval(10, close, 0, 1, 0, &m, &lo, &hi);
    CHECK(t, isnan(m), "no problems: NaN");
}

int main(void) {
    psamp_test_state t = {0, 0};
    test_estimator(&t);
    test_intervals(&t);
    test_task_files(&t);
    test_judging(&t);
    test_judging_marker(&t);
    test_judging_boxed(&t);
    test_prompt_template(&t);
    test_method_specs(&t);
    test_configs(&t);
    return psamp_test_finish(&t, "test_passk");
}
