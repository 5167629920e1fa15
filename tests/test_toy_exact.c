/* The exact dynamic programs: the greedy trap's published table, and on both committed
 * worlds (and shorter horizons) the DP's log Z, entropies, correct mass and top-10 against
 * the enumeration, which is itself checked against a brute force over every token string. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "toy_exact.h"

static int is_correct(const toy_world *w, const toy_sequence *s) {
    for (int32_t c = 0; c < w->n_correct; c++) {
        int32_t n = w->correct_offset[c + 1] - w->correct_offset[c];
        if (n == s->n && memcmp(w->correct_tokens + w->correct_offset[c], s->tokens, (size_t)n * sizeof(int32_t)) == 0)
            return 1;
    }
    return 0;
}

/* README table: p^alpha(BGGGGGGG) and P(BGGGGGGG) at temperature 1/alpha, to the digits shown. */
static void check_greedy_trap_table(psamp_test_state *t, const toy_world *w) {
    const double alpha[4] = {1, 2, 4, 16};
    const double power[4] = {0.2793, 0.9935, 0.99999, 1.0000}, power_tol[4] = {5e-5, 5e-5, 5e-6, 5e-5};
    const double temp[4] = {0.2793, 0.3018, 0.1649, 0.0015};
    for (int i = 0; i < 4; i++) {
        toy_exact_summary p, q;
        psamp_err err = {{0}};
        CHECK(t, toy_exact_power(w, w->length, alpha[i], 10, &p, &err) == 0, "power: %s", err.msg);
        CHECK(t, toy_exact_temperature(w, w->length, 1.0 / alpha[i], 10, &q, &err) == 0, "temperature: %s", err.msg);
        CHECK_NEAR(t, p.correct_mass, power[i], power_tol[i], "p^alpha(BGGGGGGG)");
        CHECK_NEAR(t, q.correct_mass, temp[i], 5e-5, "temperature 1/alpha: P(BGGGGGGG)");
        /* BGGGGGGG is the mode of p, hence of every p^alpha. */
        CHECK(t, p.n_top == 10 && p.top[0].n == 8 && p.top[0].tokens[0] == 1 && p.top[0].tokens[7] == 2,
              "BGGGGGGG tops p^alpha");
        CHECK_NEAR(t, p.top[0].prob, p.correct_mass, 1e-12, "top[0] is the correct sequence");
        toy_exact_summary_free(&p);
        toy_exact_summary_free(&q);
    }
    /* Greedy (temperature 0) falls into the trap with certainty. */
    toy_exact_summary g;
    psamp_err err = {{0}};
    CHECK(t, toy_exact_temperature(w, w->length, 0.0, 3, &g, &err) == 0, "greedy: %s", err.msg);
    int all_a = g.n_top >= 1 && g.top[0].n == 8;
    for (int32_t i = 0; all_a && i < 8; i++) all_a = g.top[0].tokens[i] == 0;
    CHECK(t, all_a, "greedy decodes AAAAAAAA");
    CHECK_NEAR(t, g.top[0].prob, 1.0, 1e-12, "greedy is certain");
    CHECK_NEAR(t, g.entropy, 0.0, 1e-12, "greedy entropy");
    CHECK_NEAR(t, g.correct_mass, 0.0, 1e-15, "greedy never solves it");
    toy_exact_summary_free(&g);
}

/* Every token string of length <= T, walked: the enumeration lists exactly the complete ones. */
static void check_enumeration_brute_force(psamp_test_state *t, const toy_world *w, int32_t T,
                                          const toy_enumeration *e) {
    int32_t toks[16];
    int64_t found = 0;
    psamp_err err;
    for (int32_t len = 1; len <= T; len++) {
        int64_t total = 1;
        for (int32_t i = 0; i < len; i++) total *= w->n_tokens;
        for (int64_t code = 0; code < total; code++) {
            int64_t c = code;
            for (int32_t i = len - 1; i >= 0; i--, c /= w->n_tokens) toks[i] = (int32_t)(c % w->n_tokens);
            double lp;
            int32_t end;
            if (toy_world_walk(w, toks, len, &lp, &end, &err) != 0 || (end != TOY_END && len != T)) {
                CHECK(t, toy_enumeration_find(e, toks, len) == -1, "incomplete string is not listed");
                continue;
            }
            int64_t at = toy_enumeration_find(e, toks, len);
            CHECK(t, at >= 0, "complete sequence of length %d listed", len);
            if (at < 0) continue;
            found++;
            CHECK_NEAR(t, e->seqs[at].logp, lp, 1e-12, "listed log p");
            CHECK(t, e->seqs[at].ended == (end == TOY_END), "ended flag");
        }
    }
    CHECK(t, found == e->n, "brute force finds %lld sequences, enumeration %lld", (long long)found, (long long)e->n);
}

static int by_prob_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* A summary against the enumeration's probabilities (power or temperature column). */
static void check_summary(psamp_test_state *t, const toy_world *w, const toy_enumeration *e, const toy_exact_summary *s,
                          int use_power, const char *what) {
    double *probs = malloc((size_t)e->n * sizeof *probs);
    if (!probs) return;
    double total = 0.0, entropy = 0.0, correct = 0.0;
    for (int64_t i = 0; i < e->n; i++) {
        double p = use_power ? e->seqs[i].power : e->seqs[i].temperature;
        probs[i] = p;
        total += p;
        if (p > 0) entropy -= p * log(p);
        if (is_correct(w, &e->seqs[i])) correct += p;
    }
    CHECK_NEAR(t, total, 1.0, 1e-12, what);
    CHECK_NEAR(t, s->entropy, entropy, 1e-10, what);
    if (w->n_correct > 0) CHECK_NEAR(t, s->correct_mass, correct, 1e-12, what);
    qsort(probs, (size_t)e->n, sizeof *probs, by_prob_desc);
    int64_t want = e->n < 10 ? e->n : 10;
    CHECK(t, s->n_top == want, "%s: %d top sequences, want %lld", what, s->n_top, (long long)want);
    for (int32_t i = 0; i < s->n_top && i < want; i++) {
        CHECK_NEAR(t, s->top[i].prob, probs[i], 1e-12, what);
        int64_t at = toy_enumeration_find(e, s->top[i].tokens, s->top[i].n);
        CHECK(t, at >= 0, "%s: top[%d] is a complete sequence", what, i);
        if (at >= 0) CHECK_NEAR(t, s->top[i].prob, use_power ? e->seqs[at].power : e->seqs[at].temperature, 1e-12, what);
    }
    free(probs);
}

static void check_against_enumeration(psamp_test_state *t, const toy_world *w, int32_t T) {
    const double alphas[4] = {1.0, 2.0, 4.0, 16.0};
    for (int a = 0; a < 4; a++) {
        toy_enumeration e;
        toy_exact_summary p, q;
        psamp_err err = {{0}};
        if (toy_exact_enumerate(w, T, alphas[a], 1.0 / alphas[a], 100000, &e, &err) != 0) {
            CHECK(t, 0, "enumerate %s T=%d: %s", w->name, T, err.msg);
            continue;
        }
        if (a == 0) check_enumeration_brute_force(t, w, T, &e);
        CHECK(t, toy_exact_power(w, T, alphas[a], 10, &p, &err) == 0, "power: %s", err.msg);
        CHECK(t, toy_exact_temperature(w, T, 1.0 / alphas[a], 10, &q, &err) == 0, "temperature: %s", err.msg);
        CHECK_NEAR(t, p.log_z, e.log_z, 1e-10 * (1 + fabs(e.log_z)), "log Z: DP vs enumeration");
        CHECK_NEAR(t, q.log_z, 0.0, 1e-12, "temperature weights are normalised");
        check_summary(t, w, &e, &p, 1, "power");
        check_summary(t, w, &e, &q, 0, "temperature");
        if (a == 0) CHECK_NEAR(t, p.entropy, q.entropy, 1e-12, "alpha 1: power = temperature");
        toy_exact_summary_free(&p);
        toy_exact_summary_free(&q);
        toy_enumeration_free(&e);
    }
}

static void check_errors(psamp_test_state *t, const toy_world *w) {
    toy_exact_summary s;
    toy_enumeration e;
    psamp_err err = {{0}};
    CHECK(t, toy_exact_power(w, w->length, 0.0, 10, &s, &err) == -1 && strstr(err.msg, "alpha 0 is not"), "alpha 0: %s",
          err.msg);
    CHECK(t, toy_exact_power(w, w->length, NAN, 10, &s, &err) == -1 && strstr(err.msg, "alpha nan"), "alpha NaN: %s",
          err.msg);
    CHECK(t, toy_exact_power(w, w->length, INFINITY, 10, &s, &err) == -1, "alpha inf");
    CHECK(t, toy_exact_temperature(w, w->length, -1.0, 10, &s, &err) == -1 && strstr(err.msg, "temperature -1"),
          "negative temperature: %s", err.msg);
    CHECK(t, toy_exact_power(w, 0, 1.0, 10, &s, &err) == -1 && strstr(err.msg, "max new tokens 0 is outside [1, 8]"),
          "T = 0: %s", err.msg);
    CHECK(t, toy_exact_power(w, 9, 1.0, 10, &s, &err) == -1, "T beyond length");
    CHECK(t, toy_exact_power(w, 8, 1.0, -1, &s, &err) == -1, "negative top count");
    double count, tokens;
    /* From bad 3^r completions; from good N(r) = N(r-1) + 3^(r-1): 2187 + 1094 in all. */
    CHECK(t, toy_exact_count(w, 8, &count, &tokens, &err) == 0 && count == 3281 && tokens == 8 * 3281,
          "greedy trap count %g, tokens %g", count, tokens);
    CHECK(t, toy_exact_enumerate(w, 8, 1.0, 1.0, 10, &e, &err) == -1 &&
                 strstr(err.msg, "too large to enumerate (") && strstr(err.msg, "sequences > limit 10)"),
          "limit: %s", err.msg);
    CHECK(t, e.seqs == NULL && e.n == 0, "failed enumeration is empty");
}

/* A world with 2^1000000 sequences is refused by counting, in a moment, not by allocating. */
static void check_huge(psamp_test_state *t) {
    const char *json = "{\"tokens\": [\"0\", \"1\"], \"length\": 1000000, \"start\": \"s\","
                       " \"states\": {\"s\": {\"0\": [0.5, \"s\"], \"1\": [0.5, \"s\"]}}}";
    toy_world *w = NULL;
    psamp_err err = {{0}};
    CHECK(t, toy_world_parse(json, strlen(json), "huge.json", &w, &err) == 0, "huge world: %s", err.msg);
    if (!w) return;
    toy_enumeration e;
    CHECK(t, toy_exact_enumerate(w, 1000000, 1.0, 1.0, 1000000, &e, &err) == -1 &&
                 strstr(err.msg, "too large to enumerate (more than 1e308 sequences > limit 1000000)"),
          "huge: %s", err.msg);
    CHECK(t, toy_exact_enumerate(w, 20, 1.0, 1.0, 1000000, &e, &err) == -1 &&
                 strstr(err.msg, "(1048576 sequences > limit 1000000)"),
          "2^20: %s", err.msg);
    toy_world_free(w);
}

/* The EOS world's purpose: 39 sequences with every length 1..6; p(ccccc.) = 0.34 * 0.9^4. */
static void check_eos_world(psamp_test_state *t, const toy_world *w) {
    toy_enumeration e;
    toy_exact_summary p;
    psamp_err err = {{0}};
    if (toy_exact_enumerate(w, w->length, 2.0, 0.5, 1000, &e, &err) != 0) {
        CHECK(t, 0, "enumerate eos world: %s", err.msg);
        return;
    }
    CHECK(t, e.n == 39, "eos world has %lld sequences, want 39", (long long)e.n);
    double by_length[7] = {0};
    for (int64_t i = 0; i < e.n; i++) by_length[e.seqs[i].n] += e.seqs[i].power;
    for (int len = 1; len <= 6; len++) CHECK(t, by_length[len] > 0.01, "alpha 2: length %d has mass %g", len, by_length[len]);
    toy_enumeration_free(&e);
    CHECK(t, toy_exact_power(w, w->length, 1.0, 1, &p, &err) == 0, "power: %s", err.msg);
    CHECK_NEAR(t, p.correct_mass, 0.34 * 0.9 * 0.9 * 0.9 * 0.9, 1e-12, "p(ccccc.)");
    toy_exact_summary_free(&p);
}

/* Large alpha: p^alpha concentrates on the best sequence, so the entropy tends to 0 from
 * above. It must stay finite, >= 0 and match the enumeration (whose -p log p sums are
 * accurate to ~1e-12 absolute); log Z + E[-log w] cancelled to -5e-8 at alpha 1e4 and to
 * garbage (4.2) at 1e8. The second sequence's share gives the size at alpha 100. */
static void check_large_alpha(psamp_test_state *t, const toy_world *w, int32_t T) {
    const double alphas[] = {30.0, 100.0, 1e4, 1e8, 1e300};
    for (size_t a = 0; a < sizeof alphas / sizeof alphas[0]; a++) {
        toy_exact_summary p;
        toy_enumeration e;
        psamp_err err = {{0}};
        if (toy_exact_power(w, T, alphas[a], 2, &p, &err) != 0) {
            CHECK(t, 0, "alpha %g: %s", alphas[a], err.msg);
            continue;
        }
        char what[64];
        snprintf(what, sizeof what, "%s T=%d alpha %g entropy", w->name, T, alphas[a]);
        CHECK(t, isfinite(p.entropy) && p.entropy >= 0.0, "%s: %.17g", what, p.entropy);
        if (toy_exact_enumerate(w, T, alphas[a], 1.0, 100000, &e, &err) == 0) {
            double h = 0.0;
            for (int64_t i = 0; i < e.n; i++)
                if (e.seqs[i].power > 0) h -= e.seqs[i].power * log(e.seqs[i].power);
            CHECK_NEAR(t, p.entropy, h, 1e-12, what);
            toy_enumeration_free(&e);
        }
        /* Two sequences hold nearly all the mass at alpha >= 30: H ~ q2 (1 - log q2). */
        if (p.n_top == 2 && alphas[a] <= 100.0) {
            double q2 = p.top[1].prob, approx = q2 * (1.0 - log(q2));
            CHECK(t, p.entropy > 0.5 * approx && p.entropy < 2.0 * approx, "%s: %.6g vs two-sequence %.6g", what,
                  p.entropy, approx);
        }
        toy_exact_summary_free(&p);
    }
}

int main(void) {
    psamp_test_state t = {0, 0};
    toy_world *trap = psamp_test_toy_world(&t, "greedy_trap.json"), *eos = psamp_test_toy_world(&t, "eos_world.json");
    if (trap) {
        check_greedy_trap_table(&t, trap);
        check_against_enumeration(&t, trap, 8);
        check_against_enumeration(&t, trap, 3);
        check_errors(&t, trap);
        check_large_alpha(&t, trap, 8);
    }
    if (eos) {
        check_against_enumeration(&t, eos, eos->length);
        check_against_enumeration(&t, eos, 4);
        check_against_enumeration(&t, eos, 1);
        check_eos_world(&t, eos);
        check_large_alpha(&t, eos, eos->length);
    }
    check_huge(&t);
    toy_world_free(trap);
    toy_world_free(eos);
    return psamp_test_finish(&t, "test_toy_exact");
}
