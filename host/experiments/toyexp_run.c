/* The toy-world experiment's runs: every section samples through the real sampler and
 * toy engine, then measures against the enumeration's exact probabilities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_toy.h"
#include "json_write.h"
#include "toyexp.h"

#define FLOOR_REPS 8

typedef struct {
    const toy_world *w;
    const toyexp_config *cfg;
    FILE *f;
    void (*progress)(void *, double);
    void *progress_ctx;
    int32_t runs_done, runs_total;
} world_ctx;

/* What one sampler run measured. */
typedef struct {
    double success;  /* fraction of chains on a correct sequence (NAN without a correct set) */
    double tokens;   /* tokens decoded per chain, proposals included */
    double accept;   /* MH acceptance rate (NAN for one-shot methods) */
    int64_t *index;  /* each chain's sequence in the enumeration */
} run_stats;

int32_t toyexp_runs_per_world(const toyexp_config *c) {
    return c->n_conv_blocks * c->n_conv_steps + 2 * c->n_alphas + c->n_budget_steps + c->n_best_of + 3 + 3;
}

static psamp_sampler_config base_config(const world_ctx *x, psamp_method m) {
    psamp_sampler_config sc = psamp_sampler_defaults();
    sc.method = m;
    sc.max_new_tokens = x->w->length;
    sc.n_chains = x->cfg->chains;
    sc.seed = x->cfg->seed;
    return sc;
}

static psamp_sampler_config power_config(const world_ctx *x, double alpha, int32_t block, int32_t steps) {
    psamp_sampler_config sc = base_config(x, PSAMP_METHOD_POWER);
    sc.alpha = alpha;
    sc.block_size = block;
    sc.mcmc_steps = steps;
    return sc;
}

static psamp_sampler_config temp_config(const world_ctx *x, double temperature) {
    psamp_sampler_config sc = base_config(x, PSAMP_METHOD_TEMP);
    sc.temperature = temperature;
    return sc;
}

static int run(world_ctx *x, const toy_enumeration *en, psamp_sampler_config sc, run_stats *st, psamp_err *err) {
    psamp_engine *e = NULL;
    psamp_run_result r;
    memset(st, 0, sizeof *st);
    if (psamp_sampler_validate(&sc, err) != 0) return -1;
    if (psamp_engine_toy_create(x->w, psamp_sampler_slots_needed(&sc), sc.max_new_tokens, &e, err) != 0) return -1;
    psamp_sampler_hooks hooks = {NULL, NULL, NULL, x->cfg->stop};
    int rc = psamp_sample(e, &sc, NULL, 0, &hooks, &r, err);
    psamp_engine_destroy(e);
    if (rc == PSAMP_SAMPLE_STOPPED) psamp_run_result_free(&r);
    if (rc != 0) return -1;
    double correct = 0.0, tokens = 0.0, proposals = 0.0, accepted = 0.0;
    for (int32_t c = 0; c < r.n_chains; c++) {
        correct += toy_world_is_correct(x->w, r.chains[c].tokens, r.chains[c].n_tokens);
        tokens += (double)r.chains[c].tokens_decoded;
        proposals += (double)r.chains[c].proposals;
        accepted += (double)r.chains[c].accepted;
    }
    st->success = x->w->n_correct > 0 ? correct / r.n_chains : NAN;
    st->tokens = tokens / r.n_chains;
    st->accept = proposals > 0 ? accepted / proposals : NAN;
    rc = toyexp_locate(en, &r, &st->index, err);
    psamp_run_result_free(&r);
    x->runs_done++;
    if (x->progress) x->progress(x->progress_ctx, (double)x->runs_done / x->runs_total);
    return rc;
}

/* The enumeration at alpha (power) and temperature 1/alpha, with both weight columns. */
typedef struct {
    toy_enumeration en;
    double *power, *low_temp, *p; /* p^alpha / Z, temperature 1/alpha, p itself */
} exact_view;

static void free_view(exact_view *v) {
    toy_enumeration_free(&v->en);
    free(v->power);
    free(v->low_temp);
    free(v->p);
    memset(v, 0, sizeof *v);
}

static int make_view(const world_ctx *x, double alpha, exact_view *v, psamp_err *err) {
    memset(v, 0, sizeof *v);
    if (toy_exact_enumerate(x->w, x->w->length, alpha, 1.0 / alpha, x->cfg->enumerate_limit, &v->en, err) != 0)
        return -1;
    size_t n = (size_t)v->en.n;
    v->power = malloc(n * sizeof *v->power);
    v->low_temp = malloc(n * sizeof *v->low_temp);
    v->p = malloc(n * sizeof *v->p);
    if (!v->power || !v->low_temp || !v->p) {
        free_view(v);
        return psamp_fail(err, "out of memory for %zu sequences", n);
    }
    for (size_t i = 0; i < n; i++) {
        v->power[i] = v->en.seqs[i].power;
        v->low_temp[i] = v->en.seqs[i].temperature;
        v->p[i] = exp(v->en.seqs[i].logp);
    }
    return 0;
}

/* Writes "k0":v0,"k1":v1,... (no braces). */
static void put_fields(FILE *f, const char *const *keys, const double *vals, int n) {
    for (int i = 0; i < n; i++) {
        if (i) fputc(',', f);
        psamp_json_key_number(f, keys[i], vals[i]);
    }
}

static int32_t n_blocks_of(int32_t length, int32_t block) { return (length + block - 1) / block; }

static int convergence(world_ctx *x, psamp_err *err) {
    static const char *const keys[] = {"mcmc_steps", "mh_steps", "tokens_per_chain", "tv", "kl", "accept_rate",
                                       "success"};
    const toyexp_config *c = x->cfg;
    exact_view v;
    if (make_view(x, c->conv_alpha, &v, err) != 0) return -1;
    double floor[2];
    int rc = toyexp_floor(v.power, v.en.n, c->chains, FLOOR_REPS, c->seed, &floor[0], &floor[1], err);
    static const char *const floor_keys[] = {"tv", "kl"};
    fprintf(x->f, "\"convergence\":{\"alpha\":");
    psamp_json_number(x->f, c->conv_alpha);
    fprintf(x->f, ",\"chains\":%d,\"floor\":{", c->chains);
    put_fields(x->f, floor_keys, floor, 2);
    fputs("},\"series\":[", x->f);
    for (int32_t b = 0; rc == 0 && b < c->n_conv_blocks; b++) {
        int32_t B = c->conv_blocks[b], K = n_blocks_of(x->w->length, B);
        fprintf(x->f, "%s{\"block_size\":%d,\"blocks\":%d,\"points\":[", b ? "," : "", B, K);
        for (int32_t s = 0; rc == 0 && s < c->n_conv_steps; s++) {
            run_stats st;
            double vals[7] = {c->conv_steps[s], (double)K * c->conv_steps[s], 0, 0, 0, 0, 0};
            rc = run(x, &v.en, power_config(x, c->conv_alpha, B, c->conv_steps[s]), &st, err);
            if (rc == 0) rc = toyexp_distance(v.power, v.en.n, st.index, c->chains, &vals[3], &vals[4], err);
            vals[2] = st.tokens;
            vals[5] = st.accept;
            vals[6] = st.success;
            free(st.index);
            fputs(s ? ",{" : "{", x->f);
            put_fields(x->f, keys, vals, 7);
            fputc('}', x->f);
        }
        fputs("]}", x->f);
    }
    fputs("]}", x->f);
    free_view(&v);
    return rc;
}

static int alpha_sweep(world_ctx *x, psamp_err *err) {
    static const char *const keys[] = {"alpha", "power_success", "power_success_exact", "low_temp_success",
                                       "low_temp_success_exact", "accept_rate", "power_tv", "low_temp_tv"};
    const toyexp_config *c = x->cfg;
    int rc = 0;
    fprintf(x->f, ",\"alpha_sweep\":{\"block_size\":%d,\"mcmc_steps\":%d,\"points\":[", c->sweep_block,
            c->sweep_steps);
    for (int32_t a = 0; rc == 0 && a < c->n_alphas; a++) {
        exact_view v;
        run_stats st;
        double alpha = c->alphas[a], kl, vals[8] = {alpha, 0, 0, 0, 0, 0, 0, 0};
        if (make_view(x, alpha, &v, err) != 0) return -1;
        vals[2] = toyexp_correct_mass(x->w, &v.en, v.power);
        vals[4] = toyexp_correct_mass(x->w, &v.en, v.low_temp);
        rc = run(x, &v.en, power_config(x, alpha, c->sweep_block, c->sweep_steps), &st, err);
        if (rc == 0) rc = toyexp_distance(v.power, v.en.n, st.index, c->chains, &vals[6], &kl, err);
        vals[1] = st.success;
        vals[5] = st.accept;
        free(st.index);
        if (rc == 0) rc = run(x, &v.en, temp_config(x, 1.0 / alpha), &st, err);
        if (rc == 0) rc = toyexp_distance(v.low_temp, v.en.n, st.index, c->chains, &vals[7], &kl, err);
        vals[3] = st.success;
        free(st.index);
        free_view(&v);
        fputs(a ? ",{" : "{", x->f);
        put_fields(x->f, keys, vals, 8);
        fputc('}', x->f);
    }
    fputs("]}", x->f);
    return rc;
}

/* A one-shot method's budget point: "name":{"tokens_per_chain":..,"success":..,"success_exact":..}. */
static int budget_single(world_ctx *x, const exact_view *v, const char *name, psamp_sampler_config sc,
                         const double *q, psamp_err *err) {
    static const char *const keys[] = {"temperature", "tokens_per_chain", "success", "success_exact"};
    run_stats st;
    double vals[4] = {sc.method == PSAMP_METHOD_GREEDY ? 0.0 : sc.temperature, 0, 0, 0};
    if (run(x, &v->en, sc, &st, err) != 0) return -1;
    free(st.index);
    vals[1] = st.tokens;
    vals[2] = st.success;
    /* Greedy is deterministic: what its chains did is its exact success. */
    vals[3] = q ? toyexp_correct_mass(x->w, &v->en, q) : st.success;
    fprintf(x->f, ",\"%s\":{", name);
    put_fields(x->f, keys, vals, 4);
    fputc('}', x->f);
    return 0;
}

static int budget(world_ctx *x, psamp_err *err) {
    static const char *const power_keys[] = {"mcmc_steps", "tokens_per_chain", "success"};
    static const char *const best_keys[] = {"n", "tokens_per_chain", "success", "success_exact"};
    const toyexp_config *c = x->cfg;
    exact_view v;
    run_stats st;
    int rc = 0;
    if (make_view(x, c->budget_alpha, &v, err) != 0) return -1;
    fputs(",\"budget\":{\"alpha\":", x->f);
    psamp_json_number(x->f, c->budget_alpha);
    fprintf(x->f, ",\"block_size\":%d,\"power\":[", c->budget_block);
    for (int32_t s = 0; rc == 0 && s < c->n_budget_steps; s++) {
        rc = run(x, &v.en, power_config(x, c->budget_alpha, c->budget_block, c->budget_steps[s]), &st, err);
        double vals[3] = {c->budget_steps[s], st.tokens, st.success};
        free(st.index);
        fputs(s ? ",{" : "{", x->f);
        put_fields(x->f, power_keys, vals, 3);
        fputc('}', x->f);
    }
    fputs("],\"best_of\":[", x->f);
    for (int32_t i = 0; rc == 0 && i < c->n_best_of; i++) {
        psamp_sampler_config sc = temp_config(x, 1.0);
        sc.method = PSAMP_METHOD_BESTOFN;
        sc.best_of = c->best_of[i];
        double vals[4] = {c->best_of[i], 0, 0, 0};
        rc = run(x, &v.en, sc, &st, err);
        if (rc == 0) rc = toyexp_best_of_exact(x->w, &v.en, v.p, c->best_of[i], &vals[3], err);
        vals[1] = st.tokens;
        vals[2] = st.success;
        free(st.index);
        fputs(i ? ",{" : "{", x->f);
        put_fields(x->f, best_keys, vals, 4);
        fputc('}', x->f);
    }
    fputc(']', x->f);
    if (rc == 0) rc = budget_single(x, &v, "temperature", temp_config(x, 1.0), v.p, err);
    if (rc == 0) rc = budget_single(x, &v, "low_temperature", temp_config(x, 1.0 / c->budget_alpha), v.low_temp, err);
    if (rc == 0) rc = budget_single(x, &v, "greedy", base_config(x, PSAMP_METHOD_GREEDY), NULL, err);
    fputc('}', x->f);
    free_view(&v);
    return rc;
}

static int diversity(world_ctx *x, psamp_err *err) {
    static const char *const keys[] = {"k", "power", "power_exact", "temperature", "temperature_exact",
                                       "low_temp", "low_temp_exact"};
    const toyexp_config *c = x->cfg;
    exact_view v;
    run_stats st[3];
    int rc = 0, n_run = 0;
    if (make_view(x, c->div_alpha, &v, err) != 0) return -1;
    psamp_sampler_config configs[3] = {power_config(x, c->div_alpha, c->div_block, c->div_steps),
                                       temp_config(x, 1.0), temp_config(x, 1.0 / c->div_alpha)};
    for (; rc == 0 && n_run < 3; n_run++) rc = run(x, &v.en, configs[n_run], &st[n_run], err);
    if (rc == 0) {
        const double *exact[3] = {v.power, v.p, v.low_temp};
        fputs(",\"diversity\":{\"alpha\":", x->f);
        psamp_json_number(x->f, c->div_alpha);
        fprintf(x->f, ",\"block_size\":%d,\"mcmc_steps\":%d,\"points\":[", c->div_block, c->div_steps);
        for (int32_t i = 0; i < c->n_k; i++) {
            double vals[7] = {c->ks[i], 0, 0, 0, 0, 0, 0};
            for (int m = 0; m < 3; m++) {
                vals[1 + 2 * m] = toyexp_unique_sampled(st[m].index, c->chains, c->ks[i]);
                vals[2 + 2 * m] = toyexp_unique_exact(exact[m], v.en.n, c->ks[i]);
            }
            fputs(i ? ",{" : "{", x->f);
            put_fields(x->f, keys, vals, 7);
            fputc('}', x->f);
        }
        fputs("]}", x->f);
    }
    for (int m = 0; m < n_run; m++) free(st[m].index);
    free_view(&v);
    return rc;
}

int toyexp_world(const toy_world *w, const char *path, const toyexp_config *cfg, FILE *f,
                 void (*progress)(void *, double), void *ctx, psamp_err *err) {
    world_ctx x = {w, cfg, f, progress, ctx, 0, toyexp_runs_per_world(cfg)};
    double count, tokens;
    if (toy_exact_count(w, w->length, &count, &tokens, err) != 0) return -1;
    fputs("{\"name\":", f);
    psamp_json_string(f, w->name, strlen(w->name));
    fputs(",\"path\":", f);
    psamp_json_string(f, path, strlen(path));
    fprintf(f, ",\"length\":%d,\"n_sequences\":", w->length);
    psamp_json_number(f, count);
    fprintf(f, ",\"has_correct\":%s,", w->n_correct > 0 ? "true" : "false");
    int rc = convergence(&x, err);
    if (rc == 0) rc = alpha_sweep(&x, err);
    if (rc == 0) rc = budget(&x, err);
    if (rc == 0) rc = diversity(&x, err);
    fputc('}', f);
    if (rc != 0) return psamp_fail_context(err, "%s", w->name);
    return ferror(f) ? psamp_fail(err, "write failed") : 0;
}
