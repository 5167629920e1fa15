/* The mixing diagnostic (host/sampler_mixing.h) on toy worlds, where the exact p^alpha is
 * known by enumeration:
 *   - the Kolmogorov-Smirnov distance with ties, the first-token turnover, and the probe
 *     leaving every kept sample bit-identical (its draws come after the sample's);
 *   - the ranking: over a grid of settings (blocks K x proposal temperature x MH steps N),
 *     the Spearman correlation between the diagnostic, computed from 4,000 chains, and the
 *     true total variation distance to p^alpha, measured on an independent run of 20,000
 *     chains, must reach the thresholds fixed below before the grid was first run. Alphas 2
 *     and 4 were the design alphas; 3 and 8 are held out with the same thresholds;
 *   - the test has power: diagnostics that ignore the chains (random numbers per setting,
 *     which is the true TV shuffled across settings) reach the threshold in at most 5 % of
 *     2,000 tries.
 * CTest runs N up to 32, one test per alpha and world (--alpha A --world trap|eos: 10 s of
 * CPU each rather than 80 s in one); --full adds N = 64 (the table of docs/mixing.md); --reduced (the sanitizer build)
 * runs a smaller grid with fewer chains. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_toy.h"
#include "philox.h"
#include "sampler.h"
#include "sampler_mixing.h"
#include "testlib.h"
#include "toy_exact.h"
#include "toy_world.h"

/* Pre-registered (written down before the grid was first run; from the earlier attempt). */
#define MIN_SPEARMAN_START 0.70
#define MIN_SPEARMAN_SCORE 0.75
/* The controls: a diagnostic that never looks at the chains (random numbers per setting,
 * i.e. the true TV shuffled across settings) may reach the score threshold in at most this
 * fraction of NULL_TRIALS tries, or the grid is too small to tell anything. */
#define MAX_NULL_PASS 0.05
#define NULL_TRIALS 2000

static int run(const toy_world *w, const psamp_sampler_config *cfg, const psamp_sampler_hooks *hooks,
               psamp_run_result *res) {
    psamp_engine *e = NULL;
    psamp_err err;
    int rc = psamp_engine_toy_create(w, psamp_sampler_slots_needed(cfg), cfg->max_new_tokens, &e, &err);
    if (rc == 0) rc = psamp_sample(e, cfg, NULL, 0, hooks, res, &err);
    if (rc != 0) fprintf(stderr, "run failed: %s\n", err.msg);
    psamp_engine_destroy(e);
    return rc;
}

static psamp_sampler_config power_config(double alpha, int32_t T, int32_t K, double tau, int32_t N,
                                         int32_t chains, uint64_t seed) {
    psamp_sampler_config c = psamp_sampler_defaults();
    c.method = PSAMP_METHOD_POWER;
    c.alpha = alpha;
    c.max_new_tokens = T;
    c.n_blocks = K;
    c.proposal_temp = tau;
    c.mcmc_steps = N;
    c.n_chains = chains;
    c.seed = seed;
    return c;
}

/* ---- unit tests ---- */

static double ks_of(const double *a, int32_t na, const double *b, int32_t nb) {
    double x[16], y[16];
    memcpy(x, a, (size_t)na * sizeof *a);
    memcpy(y, b, (size_t)nb * sizeof *b);
    return psamp_ks_distance(x, na, y, nb);
}

static void test_ks(psamp_test_state *t) {
    const double a[] = {3, 1, 2, 2}, same[] = {2, 3, 2, 1}, far[] = {7, 8, 9};
    CHECK_NEAR(t, ks_of(a, 4, same, 4), 0.0, 0.0, "identical samples");
    CHECK_NEAR(t, ks_of(a, 4, far, 3), 1.0, 0.0, "disjoint samples");
    CHECK_NEAR(t, ks_of(far, 3, a, 4), 1.0, 0.0, "disjoint samples, swapped");
    /* All-equal values on both sides: stepping one element at a time would report 1/2. */
    const double ones[] = {1, 1}, ones3[] = {1, 1, 1};
    CHECK_NEAR(t, ks_of(ones, 2, ones3, 3), 0.0, 0.0, "one shared value");
    /* {1,1,2} vs {1,2,2}: the CDFs are 2/3 and 1/3 at 1, both 1 at 2. */
    const double p[] = {1, 1, 2}, q[] = {2, 1, 2};
    CHECK_NEAR(t, ks_of(p, 3, q, 3), 1.0 / 3.0, 1e-15, "ties");
    /* {0, 5} vs {5, 5, 5, 9}: 1/2 at 0 (0 vs 0), at 5: 1 vs 3/4, at 9: 1 vs 1. */
    const double r[] = {0, 5}, s[] = {5, 9, 5, 5};
    CHECK_NEAR(t, ks_of(r, 2, s, 4), 0.5, 1e-15, "ties across samples");
    CHECK_NEAR(t, ks_of(r, 2, s, 0), 0.0, 0.0, "an empty side");
}

/* Hand-made chains: value v, first drawn token f, kept first token k, probe value pv. */
static void fake_chain(psamp_chain_result *c, int32_t *tok, double v, int32_t f, int32_t k, double pv) {
    memset(c, 0, sizeof *c);
    *tok = k;
    c->tokens = tok;
    c->n_tokens = 1;
    c->logp_sum = v;
    c->first_token_drawn = f;
    c->probe_logp_sum = pv;
    c->proposals = 4;
    c->accepted = 1;
}

static void test_statistics(psamp_test_state *t) {
    enum { N = 40 };
    psamp_chain_result c[N];
    int32_t tok[N];
    psamp_mixing m;
    psamp_err err;
    /* Group 0: chains that drew token 1 end at 0, the others at -5: fully start dependent.
     * Group 1: the final value does not depend on the start. Three of every four chains
     * keep the token they drew; the probe moves group 0 and leaves group 1. */
    for (int32_t i = 0; i < N; i++) {
        int32_t g = i / 20, f = i % 3 == 0 ? 2 : 1;
        double v = g == 0 ? (f == 1 ? 0.0 : -5.0) : -(double)(i % 5);
        fake_chain(&c[i], &tok[i], v, f, i % 4 == 0 ? 3 : f, g == 0 ? v - 1.0 : v);
    }
    CHECK(t, psamp_run_mixing(c, N, 20, 3, 99, &m, &err) == 0, "mixing: %s", err.msg);
    CHECK(t, m.groups == 2 && m.groups_split == 2, "groups %d, split %d", m.groups, m.groups_split);
    CHECK_NEAR(t, m.first_token_turnover, 10.0 / 40.0, 1e-12, "turnover");
    CHECK_NEAR(t, m.acceptance, 0.25, 1e-12, "acceptance");
    /* Group 0: KS 1; group 1: chains 20..39 with f = 1 vs f = 2 have values i % 5 spread
     * alike, so a small distance; the average weights both by 20 chains. */
    CHECK(t, m.start_dependence > 0.5 && m.start_dependence <= 1.0, "start dependence %g", m.start_dependence);
    CHECK(t, m.start_dependence_null < m.start_dependence - 0.2, "null %g vs %g", m.start_dependence_null,
          m.start_dependence);
    /* Probe: group 0's values all moved down by 1 (a KS distance of its own, computed
     * below); group 1's did not move (0). The mean weights both by 20 chains. */
    {
        double kept[20], moved[20];
        for (int32_t i = 0; i < 20; i++) {
            kept[i] = c[i].logp_sum;
            moved[i] = c[i].probe_logp_sum;
        }
        double ks0 = psamp_ks_distance(kept, 20, moved, 20);
        /* 7 chains at -5 and 13 at 0 moved to -6 and -1: at -1 the CDFs are 7/20 and 1. */
        CHECK_NEAR(t, ks0, 13.0 / 20.0, 1e-12, "group 0's probe KS");
        CHECK_NEAR(t, m.probe_shift, ks0 / 2.0, 1e-12, "probe shift: group 0's KS and group 1's 0, averaged");
    }
    double excess = m.start_dependence - m.start_dependence_null;
    CHECK_NEAR(t, m.score, excess > m.probe_shift ? excess : m.probe_shift, 0.0, "score");
    /* The same chains without a probe: no shift, the score is the start term. */
    CHECK(t, psamp_run_mixing(c, N, 20, 0, 99, &m, &err) == 0, "mixing: %s", err.msg);
    CHECK(t, isnan(m.probe_shift), "probe shift without a probe: %g", m.probe_shift);
    CHECK_NEAR(t, m.score, excess, 0.0, "score without a probe");
    /* Every chain drew the same token: no start term, and a group size that does not divide. */
    for (int32_t i = 0; i < N; i++) c[i].first_token_drawn = 1;
    CHECK(t, psamp_run_mixing(c, N, 7, 0, 99, &m, &err) == 0, "mixing: %s", err.msg);
    CHECK(t, m.groups == 6 && m.groups_split == 0 && isnan(m.start_dependence), "unsplit groups: %d, %d, %g",
          m.groups, m.groups_split, m.start_dependence);
    CHECK(t, psamp_run_mixing(c, 0, 7, 0, 99, &m, &err) != 0, "no chains accepted");
}

static int count_steps(void *ctx, const psamp_mh_record *rec, psamp_err *err) {
    (void)rec;
    (void)err;
    ++*(int64_t *)ctx;
    return 0;
}

/* Samples with and without the probe are the same bits; hooks see the N steps only. */
static void test_probe_identical(psamp_test_state *t, const toy_world *w) {
    psamp_sampler_config cfg = power_config(4.0, w->length, 2, 0.0, 6, 300, 4242);
    psamp_sampler_config probed = cfg;
    probed.probe_steps = 9;
    probed.max_active = 37; /* queued chains too */
    int64_t steps_plain = 0, steps_probed = 0;
    psamp_sampler_hooks h1 = {count_steps, NULL, &steps_plain, NULL}, h2 = {count_steps, NULL, &steps_probed, NULL};
    psamp_run_result a, b;
    if (run(w, &cfg, &h1, &a) != 0 || run(w, &probed, &h2, &b) != 0) {
        CHECK(t, 0, "probe runs failed");
        return;
    }
    int same = 1, moved = 0, probe_cost = 1;
    for (int32_t c = 0; c < a.n_chains; c++) {
        const psamp_chain_result *x = &a.chains[c], *y = &b.chains[c];
        same = same && x->n_tokens == y->n_tokens && x->ended == y->ended && x->proposals == y->proposals &&
               x->accepted == y->accepted && x->proposal_tokens == y->proposal_tokens &&
               x->first_token_drawn == y->first_token_drawn &&
               memcmp(&x->logp_sum, &y->logp_sum, sizeof x->logp_sum) == 0 &&
               memcmp(x->tokens, y->tokens, (size_t)x->n_tokens * sizeof *x->tokens) == 0 &&
               memcmp(x->logp, y->logp, (size_t)x->n_tokens * sizeof *x->logp) == 0 &&
               x->tokens_decoded == y->tokens_decoded - y->probe_tokens;
        CHECK(t, x->probe_tokens == 0 && memcmp(&x->probe_logp_sum, &x->logp_sum, sizeof x->logp_sum) == 0,
              "chain %d: without a probe, probe_logp_sum must be logp_sum", c);
        CHECK(t, x->first_token_drawn >= 0 && x->first_token_drawn < w->n_tokens, "chain %d: first token %d", c,
              x->first_token_drawn);
        moved += y->probe_logp_sum != y->logp_sum;
        probe_cost = probe_cost && y->probe_tokens >= 9; /* every proposal decodes >= 1 token */
    }
    CHECK(t, same, "a sample changed when the probe was added");
    CHECK(t, moved > 0, "the probe never moved a chain");
    CHECK(t, probe_cost, "probe tokens not counted");
    CHECK(t, steps_plain == (int64_t)300 * 2 * 6 && steps_probed == steps_plain,
          "hook calls: %lld without the probe, %lld with (want %d)", (long long)steps_plain,
          (long long)steps_probed, 300 * 2 * 6);
    printf("probe: %d of 300 chains moved in 9 probe steps; samples identical: %s\n", moved, same ? "yes" : "NO");
    psamp_run_result_free(&a);
    psamp_run_result_free(&b);

    psamp_err err;
    psamp_sampler_config bad = cfg;
    bad.probe_steps = -1;
    CHECK(t, psamp_sampler_validate(&bad, &err) != 0 && strstr(err.msg, "--mixing-probe"), "probe -1 accepted");
    bad.probe_steps = 3;
    bad.method = PSAMP_METHOD_TEMP;
    CHECK(t, psamp_sampler_validate(&bad, &err) != 0 && strstr(err.msg, "--mixing-probe"), "probe on temp accepted");
}

/* ---- the ranking ---- */

typedef struct {
    int32_t K, N;
    double tau; /* 0: 1/alpha */
    double tv;  /* true TV to p^alpha (independent large run) */
    psamp_mixing m;
} setting;

/* Empirical TV between a run's final sequences and the exact p^alpha. */
static double tv_to_power(const toy_enumeration *en, const psamp_run_result *res) {
    double *count = calloc((size_t)en->n, sizeof *count), tv = 0.0, outside = 0.0;
    if (!count) return NAN;
    for (int32_t c = 0; c < res->n_chains; c++) {
        int64_t i = toy_enumeration_find(en, res->chains[c].tokens, res->chains[c].n_tokens);
        if (i < 0) outside += 1.0;
        else count[i] += 1.0;
    }
    for (int64_t i = 0; i < en->n; i++) tv += fabs(count[i] / res->n_chains - en->seqs[i].power);
    free(count);
    return 0.5 * (tv + outside / res->n_chains);
}

/* Average ranks (ties share the mean rank). */
static void ranks(const double *v, int32_t n, double *r) {
    for (int32_t i = 0; i < n; i++) {
        int32_t less = 0, equal = 0;
        for (int32_t j = 0; j < n; j++) {
            less += v[j] < v[i];
            equal += v[j] == v[i];
        }
        r[i] = less + (equal + 1) / 2.0;
    }
}

static double spearman(const double *x, const double *y, int32_t n) {
    double rx[64], ry[64], mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    ranks(x, n, rx);
    ranks(y, n, ry);
    for (int32_t i = 0; i < n; i++) {
        mx += rx[i] / n;
        my += ry[i] / n;
    }
    for (int32_t i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0.0;
}

typedef struct {
    int32_t n_k, n_n, n_tau;
    const int32_t *ks, *ns;
    int32_t diag_chains, true_chains;
} grid_spec;

/* Runs the grid for one world and alpha; returns the number of settings (0 on failure). */
static int32_t run_grid(psamp_test_state *t, const toy_world *w, double alpha, const grid_spec *g,
                        setting *out) {
    toy_enumeration en;
    psamp_err err;
    if (toy_exact_enumerate(w, w->length, alpha, 1.0 / alpha, 1000000, &en, &err) != 0) {
        CHECK(t, 0, "enumerate: %s", err.msg);
        return 0;
    }
    int32_t n = 0;
    for (int32_t k = 0; k < g->n_k; k++)
        for (int32_t tau = 0; tau < g->n_tau; tau++)
            for (int32_t s = 0; s < g->n_n; s++) {
                setting *st = &out[n];
                st->K = g->ks[k];
                st->N = g->ns[s];
                st->tau = tau == 0 ? 0.0 : 1.0;
                psamp_sampler_config diag = power_config(alpha, w->length, st->K, st->tau, st->N,
                                                         g->diag_chains, 1000 + (uint64_t)n);
                psamp_sampler_config truth = power_config(alpha, w->length, st->K, st->tau, st->N,
                                                          g->true_chains, 900000 + (uint64_t)n);
                diag.probe_steps = st->N; /* N against 2N steps */
                psamp_run_result rd, rt;
                if (run(w, &diag, NULL, &rd) != 0) {
                    CHECK(t, 0, "diagnostic run failed");
                    toy_enumeration_free(&en);
                    return 0;
                }
                int rc = psamp_run_mixing(rd.chains, rd.n_chains, rd.n_chains, diag.probe_steps, 7, &st->m, &err);
                psamp_run_result_free(&rd);
                if (rc != 0 || run(w, &truth, NULL, &rt) != 0) {
                    CHECK(t, 0, "mixing or truth run failed");
                    toy_enumeration_free(&en);
                    return 0;
                }
                st->tv = tv_to_power(&en, &rt);
                psamp_run_result_free(&rt);
                n++;
            }
    toy_enumeration_free(&en);
    return n;
}

static void print_grid(const char *world, double alpha, const setting *s, int32_t n) {
    printf("\n%s, alpha %g\n  K  tau    N   true TV  start  null   probe  turnover accept  score\n", world, alpha);
    for (int32_t i = 0; i < n; i++)
        printf("  %d  %-5s %3d   %.4f   %.3f  %.3f  %.3f  %.3f    %.3f  %6.3f\n", s[i].K,
               s[i].tau > 0 ? "1" : "1/a", s[i].N, s[i].tv, s[i].m.start_dependence,
               s[i].m.start_dependence_null, s[i].m.probe_shift, s[i].m.first_token_turnover,
               s[i].m.acceptance, s[i].m.score);
}

/* One world and alpha: the correlations, checked against the pre-registered thresholds
 * when `check` (design and held-out alphas alike), and the controls that must fail. */
static void rank_world(psamp_test_state *t, const char *name, const toy_world *w, double alpha,
                       const grid_spec *g, double *rho_start_out, double *rho_score_out) {
    setting s[64];
    int32_t n = run_grid(t, w, alpha, g, s);
    if (n == 0) return;
    double tv[64], start[64], score[64], probe[64], turnover[64], blind[64], budget[64];
    for (int32_t i = 0; i < n; i++) {
        tv[i] = s[i].tv;
        start[i] = s[i].m.start_dependence - s[i].m.start_dependence_null;
        score[i] = s[i].m.score;
        probe[i] = s[i].m.probe_shift;
        turnover[i] = -s[i].m.first_token_turnover; /* more turnover: better mixed */
        /* A control that is not blind: the budget alone (fewer total MH steps: worse). */
        budget[i] = -(double)s[i].K * s[i].N;
    }
    /* Blind controls: random numbers per setting, NULL_TRIALS times. */
    int32_t blind_pass = 0;
    double blind_abs = 0.0;
    for (int32_t trial = 0; trial < NULL_TRIALS; trial++) {
        for (int32_t i = 0; i < n; i++)
            blind[i] = psamp_u32_to_unit(psamp_philox_u32(31337, (uint64_t)trial, (uint64_t)i));
        double r = spearman(blind, tv, n);
        blind_pass += r >= MIN_SPEARMAN_SCORE;
        blind_abs += fabs(r) / NULL_TRIALS;
    }
    double blind_rate = (double)blind_pass / NULL_TRIALS;
    print_grid(name, alpha, s, n);
    double r_start = spearman(start, tv, n), r_score = spearman(score, tv, n), r_probe = spearman(probe, tv, n),
           r_turn = spearman(turnover, tv, n), r_budget = spearman(budget, tv, n);
    printf("Spearman with the true TV (%d settings): start %.3f, score %.3f | probe alone %.3f, "
           "-turnover %.3f, budget K*N only %.3f | blind diagnostics: mean |rho| %.3f, reach %.2f in %.2f%%\n",
           n, r_start, r_score, r_probe, r_turn, r_budget, blind_abs, MIN_SPEARMAN_SCORE, 100.0 * blind_rate);
    CHECK(t, r_start >= MIN_SPEARMAN_START, "%s alpha %g: start dependence Spearman %.3f < %.2f", name, alpha,
          r_start, MIN_SPEARMAN_START);
    CHECK(t, r_score >= MIN_SPEARMAN_SCORE, "%s alpha %g: score Spearman %.3f < %.2f", name, alpha, r_score,
          MIN_SPEARMAN_SCORE);
    CHECK(t, blind_rate <= MAX_NULL_PASS, "%s alpha %g: blind diagnostics reach the threshold in %.1f%% of tries",
          name, alpha, 100.0 * blind_rate);
    *rho_start_out = r_start;
    *rho_score_out = r_score;
}

int main(int argc, char **argv) {
    psamp_test_state t = {0, 0};
    int reduced = 0, full = 0;
    double only_alpha = 0.0; /* --alpha A: that alpha's grids only (CTest runs one test per alpha) */
    int only_world = -1;     /* --world trap|eos: that world's grids only */
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--reduced") == 0) reduced = 1;
        else if (strcmp(argv[i], "--full") == 0) full = 1;
        else if (strcmp(argv[i], "--alpha") == 0 && i + 1 < argc && (only_alpha = strtod(argv[++i], &end)) > 0 && !*end)
            continue;
        else if (strcmp(argv[i], "--world") == 0 && i + 1 < argc &&
                 (only_world = strcmp(argv[i + 1], "trap") == 0 ? 0 : strcmp(argv[i + 1], "eos") == 0 ? 1 : -1) >= 0)
            i++;
        else {
            fprintf(stderr, "test_mixing_toy: bad argument '%s' (usage: [--reduced | --full] [--alpha 2|4|3|8] [--world trap|eos])\n",
                    argv[i]);
            return 2;
        }
    }
    toy_world *trap = psamp_test_toy_world(&t, "greedy_trap.json"), *eos = psamp_test_toy_world(&t, "eos_world.json");
    if (!trap || !eos) return psamp_test_finish(&t, "test_mixing_toy");
    test_ks(&t);
    test_statistics(&t);
    test_probe_identical(&t, eos);

    static const int32_t ks_full[] = {1, 2, 4}, ns_full[] = {2, 4, 8, 16, 32, 64};
    static const int32_t ks_red[] = {1, 4}, ns_red[] = {2, 8, 32};
    grid_spec g = reduced ? (grid_spec){2, 3, 2, ks_red, ns_red, 2000, 8000}
                          : (grid_spec){3, full ? 6 : 5, 2, ks_full, ns_full, 4000, 20000};
    static const double alphas_full[] = {2, 4, 3, 8}, alphas_red[] = {4};
    const double *alphas = reduced ? alphas_red : alphas_full;
    int32_t n_alphas = reduced ? 1 : 4;
    double alphas_one[1] = {only_alpha};
    int design_alpha = !reduced && (only_alpha == 2 || only_alpha == 4);
    if (only_alpha > 0) {
        int known = 0;
        for (int32_t a = 0; a < n_alphas; a++) known |= alphas[a] == only_alpha;
        if (!known) {
            fprintf(stderr, "test_mixing_toy: --alpha %g is not in this grid's alphas\n", only_alpha);
            return 2;
        }
        alphas = alphas_one;
        n_alphas = 1;
    }
    struct {
        const char *name;
        const toy_world *w;
    } worlds[2] = {{"greedy trap", trap}, {"EOS world", eos}};
    double rs[2][4] = {{NAN, NAN, NAN, NAN}, {NAN, NAN, NAN, NAN}}, rc[2][4] = {{NAN, NAN, NAN, NAN}, {NAN, NAN, NAN, NAN}};
    for (int32_t a = 0; a < n_alphas; a++)
        for (int32_t wi = 0; wi < 2; wi++)
            if (only_world < 0 || only_world == wi)
                rank_world(&t, worlds[wi].name, worlds[wi].w, alphas[a], &g, &rs[wi][a], &rc[wi][a]);
    printf("\nSpearman(diagnostic, true TV)   start dependence   score\n");
    for (int32_t a = 0; a < n_alphas; a++)
        for (int32_t wi = 0; wi < 2; wi++)
            if (only_world < 0 || only_world == wi)
                printf("  %-12s alpha %g %-9s      %.3f         %.3f\n", worlds[wi].name, alphas[a],
                   reduced ? "" : (only_alpha > 0 ? design_alpha : a < 2) ? "(design)" : "(held out)",
                   rs[wi][a], rc[wi][a]);
    toy_world_free(trap);
    toy_world_free(eos);
    return psamp_test_finish(&t, "test_mixing_toy");
}
