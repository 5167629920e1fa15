/* Toy-world specs: the greedy trap loads into the right tables, and every broken spec is
 * refused with one line naming the file and the field at fault. */
#include <math.h>
#include <string.h>

#include "testlib.h"
#include "toy_world.h"

/* A valid base spec; each broken case below changes one thing. */
#define TOKENS "\"tokens\": [\"A\", \"B\", \"G\", \"X\"], "
#define HEAD TOKENS "\"length\": 8, \"start\": \"start\", "
#define GOOD_STATES                                                                  \
    "\"states\": {\"start\": {\"A\": [0.6, \"bad\"], \"B\": [0.4, \"good\"]},"      \
    " \"good\": {\"G\": [0.95, \"good\"], \"X\": [0.05, null]},"                     \
    " \"bad\": {\"A\": [0.34, \"bad\"], \"G\": [0.33, \"bad\"], \"X\": [0.33, \"bad\"]}}"

typedef struct {
    const char *json;
    const char *expect; /* the message must contain this */
} broken_case;

static const broken_case BROKEN[] = {
    {"{" HEAD GOOD_STATES, "w.json: not valid JSON (line 1, column"},
    {"[1, 2]", "w.json: the spec is not a JSON object"},
    {"{" HEAD GOOD_STATES "} trailing", "w.json: unexpected text after the JSON object"},
    {"{" HEAD GOOD_STATES ", \"lenght\": 3}", "w.json: lenght: unknown field"},
    {"{" HEAD GOOD_STATES ", \"length\": 3}", "w.json: length: listed twice"},
    {"{\"name\": 3, " HEAD GOOD_STATES "}", "w.json: name: expected a string"},
    {"{\"length\": 8, \"start\": \"start\", " GOOD_STATES "}", "w.json: tokens: missing"},
    {"{\"tokens\": \"AB\", \"length\": 8, \"start\": \"start\", " GOOD_STATES "}",
     "w.json: tokens: expected an array of strings"},
    {"{\"tokens\": [], \"length\": 8, \"start\": \"start\", " GOOD_STATES "}", "w.json: tokens: no tokens"},
    {"{\"tokens\": [\"A\", 5], \"length\": 8, \"start\": \"start\", " GOOD_STATES "}",
     "w.json: tokens[1]: expected a string"},
    {"{\"tokens\": [\"A\", \"B\", \"G\", \"X\", \"B\"], \"length\": 8, \"start\": \"start\", " GOOD_STATES "}",
     "w.json: tokens[4]: \"B\" repeats tokens[1]"},
    {"{\"tokens\": [\"A\\u0000B\"]}", "w.json: a JSON string holds U+0000"},
    /* Names are echoed escaped: a newline or a terminal escape cannot split or color the line. */
    {"{\"len\\ngth\\u001b[31m\": 8}", "w.json: len\\ngth\\x1b[31m: unknown field"},
    {"{\"tokens\": [\"A\\n\", \"A\\n\"], \"length\": 8}", "w.json: tokens[1]: \"A\\n\" repeats tokens[0]"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [1, \"no\\rwhere\\\\\"]}}}",
     "w.json: states.start.A: unknown next state \"no\\rwhere\\\\\""},
    {"{" TOKENS "\"start\": \"start\", " GOOD_STATES "}", "w.json: length: missing"},
    {"{" TOKENS "\"length\": \"8\", \"start\": \"start\", " GOOD_STATES "}", "w.json: length: expected an integer"},
    {"{" TOKENS "\"length\": 2.5, \"start\": \"start\", " GOOD_STATES "}",
     "w.json: length: expected an integer, got 2.5"},
    {"{" TOKENS "\"length\": 0, \"start\": \"start\", " GOOD_STATES "}", "w.json: length: 0 is less than 1"},
    {"{" TOKENS "\"length\": -3, \"start\": \"start\", " GOOD_STATES "}", "w.json: length: -3 is less than 1"},
    {"{" TOKENS "\"length\": 1e12, \"start\": \"start\", " GOOD_STATES "}", "w.json: length: 1e+12 exceeds"},
    {"{" TOKENS "\"length\": 8, \"start\": \"start\"}", "w.json: states: missing"},
    {"{" HEAD "\"states\": []}", "w.json: states: expected an object"},
    {"{" HEAD "\"states\": {}}", "w.json: states: no states"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [1, null]}, \"start\": {\"B\": [1, null]}}}",
     "w.json: states.start: listed twice"},
    {"{" TOKENS "\"length\": 8, " GOOD_STATES "}", "w.json: start: missing"},
    {"{" TOKENS "\"length\": 8, \"start\": 0, " GOOD_STATES "}", "w.json: start: expected a state name"},
    {"{" TOKENS "\"length\": 8, \"start\": \"begin\", " GOOD_STATES "}", "w.json: start: unknown state \"begin\""},
    {"{" HEAD "\"states\": {\"start\": [0.5, null]}}", "w.json: states.start: expected an object"},
    {"{" HEAD "\"states\": {\"start\": {\"Q\": [1, null]}}}", "w.json: states.start.Q: unknown token"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [0.5, null], \"A\": [0.5, null]}}}",
     "w.json: states.start.A: token listed twice"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": 1}}}", "w.json: states.start.A: expected [probability, next"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [1]}}}", "w.json: states.start.A: expected [probability, next"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [1, null, 2]}}}", "w.json: states.start.A: expected [probability"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [\"1\", null]}}}",
     "w.json: states.start.A: probability is not a number"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [1.1, null], \"X\": [-0.1, null]}}}",
     "w.json: states.start.X: probability -0.1 is not positive"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [1, null], \"X\": [0, null]}}}",
     "w.json: states.start.X: probability 0 is not positive"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [1, \"nowhere\"]}}}",
     "w.json: states.start.A: unknown next state \"nowhere\""},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [1, 7]}}}",
     "w.json: states.start.A: next state is neither a state name nor null"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [0.5, null], \"B\": [0.4, null]}}}",
     "w.json: states.start: probabilities sum to 0.9, not 1"},
    {"{" HEAD "\"states\": {\"start\": {\"A\": [0.5, null], \"B\": [0.500002, null]}}}",
     "w.json: states.start: probabilities sum to 1.000002, not 1"},
    {"{" HEAD "\"states\": {\"start\": {}}}", "w.json: states.start: probabilities sum to 0, not 1"},
    {"{" HEAD GOOD_STATES ", \"correct\": {\"a\": 1}}", "w.json: correct: expected an array of token sequences"},
    {"{" HEAD GOOD_STATES ", \"correct\": [\"BGG\"]}", "w.json: correct[0]: expected an array of token strings"},
    {"{" HEAD GOOD_STATES ", \"correct\": [[\"B\"], []]}", "w.json: correct[1]: empty sequence"},
    {"{" HEAD GOOD_STATES ", \"correct\": [[\"B\", \"G\", \"Q\"]]}", "w.json: correct[0][2]: unknown token \"Q\""},
    {"{" HEAD GOOD_STATES ", \"correct\": [[\"B\", 1]]}", "w.json: correct[0][1]: expected a token string"},
    {"{" HEAD GOOD_STATES ", \"correct\": [[\"B\",\"G\",\"G\",\"G\",\"G\",\"G\",\"G\",\"G\",\"G\"]]}",
     "w.json: correct[0]: 9 tokens, longer than length 8"},
    {"{" HEAD GOOD_STATES ", \"correct\": [[\"B\", \"X\"], [\"A\"], [\"B\", \"X\"]]}",
     "w.json: correct[2]: repeats correct[0]"},
};

static void check_broken(psamp_test_state *t) {
    for (size_t i = 0; i < sizeof BROKEN / sizeof BROKEN[0]; i++) {
        toy_world *w = (toy_world *)1;
        psamp_err err = {{0}};
        int rc = toy_world_parse(BROKEN[i].json, strlen(BROKEN[i].json), "w.json", &w, &err);
        CHECK(t, rc == -1, "case %zu: broken spec accepted (%s)", i, BROKEN[i].json);
        CHECK(t, w == NULL, "case %zu: *out is cleared on failure", i);
        CHECK(t, strstr(err.msg, BROKEN[i].expect) != NULL, "case %zu: message '%s' lacks '%s'", i, err.msg,
              BROKEN[i].expect);
        CHECK(t, strchr(err.msg, '\n') == NULL, "case %zu: message is one line", i);
        toy_world_free(rc == 0 ? w : NULL);
    }
}

static void check_greedy_trap(psamp_test_state *t) {
    toy_world *w = NULL;
    psamp_err err = {{0}};
    int rc = toy_world_load(PSAMP_SOURCE_DIR "/experiments/toy/greedy_trap.json", &w, &err);
    CHECK(t, rc == 0, "greedy trap loads: %s", err.msg);
    if (rc != 0) return;
    CHECK(t, strcmp(w->name, "greedy-trap") == 0, "name");
    CHECK(t, w->n_tokens == 4 && w->n_states == 3 && w->length == 8, "shape %d %d %d", w->n_tokens,
          w->n_states, w->length);
    CHECK(t, strcmp(w->state_names[w->start], "start") == 0, "start state");
    int32_t A = toy_world_token_id(w, "A"), B = toy_world_token_id(w, "B"), G = toy_world_token_id(w, "G");
    CHECK(t, A == 0 && B == 1 && G == 2 && toy_world_token_id(w, "Z") == -1, "token ids by position");
    size_t start = (size_t)w->start * 4;
    CHECK_NEAR(t, w->prob[start + (size_t)A], 0.6, 1e-12, "p(A | start)");
    CHECK_NEAR(t, w->logp[start + (size_t)B], log(0.4), 1e-12, "log p(B | start)");
    CHECK(t, w->next[start + (size_t)G] == TOY_IMPOSSIBLE && isinf(w->logp[start + (size_t)G]),
          "unlisted token is impossible");
    CHECK(t, strcmp(w->state_names[w->next[start + (size_t)B]], "good") == 0, "B leads to good");
    CHECK(t, w->n_correct == 1 && w->correct_offset[1] == 8, "one correct sequence of 8 tokens");

    const int32_t best[8] = {B, G, G, G, G, G, G, G};
    double lp = 0.0;
    int32_t end = -5;
    CHECK(t, toy_world_walk(w, best, 8, &lp, &end, &err) == 0, "walk BGGGGGGG: %s", err.msg);
    CHECK_NEAR(t, lp, log(0.4) + 7 * log(0.95), 1e-12, "log p(BGGGGGGG)");
    const int32_t bad[3] = {B, A, G};
    CHECK(t, toy_world_walk(w, bad, 3, &lp, &end, &err) == -1, "BAG is impossible");
    CHECK(t, strstr(err.msg, "position 1: token A is impossible in state good") != NULL, "walk message: %s",
          err.msg);
    char text[16];
    CHECK(t, strcmp(toy_world_text(w, best, 8, text, sizeof text), "BGGGGGGG") == 0, "text");
    CHECK(t, strcmp(toy_world_text(w, best, 8, text, 6), "BG...") == 0, "truncated text: %s", text);
    toy_world_free(w);
}

/* Rows are renormalised inside the tolerance; null ends a sequence; walking past it fails. */
static void check_terminal_and_slack(psamp_test_state *t) {
    const char *json = "{" HEAD "\"states\": {\"start\": {\"A\": [0.5000004, null], \"B\": [0.5, \"start\"]}}}";
    toy_world *w = NULL;
    psamp_err err = {{0}};
    CHECK(t, toy_world_parse(json, strlen(json), "slack.json", &w, &err) == 0, "slack within 1e-6: %s", err.msg);
    if (!w) return;
    CHECK_NEAR(t, w->prob[0] + w->prob[1], 1.0, 1e-15, "row renormalised");
    CHECK(t, strcmp(w->name, "slack.json") == 0, "name defaults to the file");
    const int32_t seq[3] = {1, 0, 1};
    double lp;
    int32_t end;
    CHECK(t, toy_world_walk(w, seq, 2, &lp, &end, &err) == 0 && end == TOY_END, "BA ends");
    CHECK(t, toy_world_walk(w, seq, 3, &lp, &end, &err) == -1 && strstr(err.msg, "position 2: token B follows the end"),
          "token after the end: %s", err.msg);
    int32_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(t, toy_world_walk(w, nine, 9, &lp, &end, &err) == -1 && strstr(err.msg, "exceed its length 8"),
          "longer than length: %s", err.msg);
    toy_world_free(w);

    toy_world *missing = (toy_world *)1;
    CHECK(t, toy_world_load("/nonexistent/toy.json", &missing, &err) == -1 && missing == NULL &&
                 strstr(err.msg, "/nonexistent/toy.json: cannot open") != NULL,
          "missing file: %s", err.msg);
}

int main(void) {
    psamp_test_state t = {0, 0};
    check_broken(&t);
    check_greedy_trap(&t);
    check_terminal_and_slack(&t);
    return psamp_test_finish(&t, "test_toy_world");
}
