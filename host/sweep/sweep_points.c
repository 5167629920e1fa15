/* Expanding a sweep's grid: an odometer over the config's keys, each point resolved against
 * its model (default lengths, blocks), checked, given its identity, and repeats dropped. */
#include "sweep_points.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int uses_seed(psamp_method m) { return m != PSAMP_METHOD_GREEDY; }
static int uses_mcmc(psamp_method m) { return m == PSAMP_METHOD_POWER || m == PSAMP_METHOD_MAXSWAP; }
static int uses_temperature(psamp_method m) { return m == PSAMP_METHOD_TEMP || m == PSAMP_METHOD_BESTOFN; }

double sweep_est_tokens(const psamp_sampler_config *c, int32_t n_prompt) {
    double T = c->max_new_tokens, per_chain = T;
    if (c->method == PSAMP_METHOD_BESTOFN) per_chain = (double)c->best_of * T;
    if (uses_mcmc(c->method)) {
        /* After block k (ending at e), each of N proposals regenerates from a uniform index
         * to e: (e + 1) / 2 tokens on average. */
        int32_t B = psamp_sampler_block_size(c);
        for (int32_t end = B;; end += B) {
            int32_t e = end < c->max_new_tokens ? end : c->max_new_tokens;
            per_chain += (double)c->mcmc_steps * (e + 1) / 2.0;
            if (e >= c->max_new_tokens) break;
        }
        per_chain += (double)c->probe_steps * (c->max_new_tokens + 1) / 2.0; /* on the last block */
    }
    return (double)n_prompt + (double)c->n_chains * per_chain;
}

/* The resolved settings of one grid point, before it is checked. */
static int resolve_lengths(const sweep_config *cfg, const sweep_model_info *info, const int *idx,
                           psamp_sampler_config *s, psamp_err *err) {
    const sweep_axis *ax = cfg->axes;
    char model[64], prompt[64], len_key[64], key[64];
    sweep_axis_label(cfg, SWEEP_MODEL, idx[SWEEP_MODEL], model, sizeof model);
    sweep_axis_label(cfg, SWEEP_PROMPT, idx[SWEEP_PROMPT], prompt, sizeof prompt);
    sweep_axis_label(cfg, SWEEP_MAX_NEW_TOKENS, idx[SWEEP_MAX_NEW_TOKENS], len_key, sizeof len_key);
    int32_t n_prompt = info->n_prompt[idx[SWEEP_PROMPT]], room = info->max_len - n_prompt;
    if (room <= 0)
        return psamp_fail(err, "%s: %s: %d tokens leave no room in %s (%d positions)", cfg->path,
                          prompt, n_prompt, model, info->max_len);
    double T = ax[SWEEP_MAX_NEW_TOKENS].num[idx[SWEEP_MAX_NEW_TOKENS]];
    if (T == 0) T = info->is_toy || room < 64 ? room : 64;
    else if (T > room)
        return psamp_fail(err, "%s: %s: %d new tokens after %s (%d tokens) exceed %s's %d positions",
                          cfg->path, len_key, (int)T, prompt, n_prompt, model, info->max_len);
    s->max_new_tokens = (int32_t)T;
    if (!uses_mcmc(s->method)) return 0;
    double B = ax[SWEEP_BLOCK_SIZE].num[idx[SWEEP_BLOCK_SIZE]];
    double K = ax[SWEEP_BLOCKS].num[idx[SWEEP_BLOCKS]];
    if (B > 0) {
        sweep_axis_label(cfg, SWEEP_BLOCK_SIZE, idx[SWEEP_BLOCK_SIZE], key, sizeof key);
        if (B > T)
            return psamp_fail(err, "%s: %s: %d is larger than max_new_tokens %d", cfg->path, key,
                              (int)B, (int)T);
    } else {
        sweep_axis_label(cfg, SWEEP_BLOCKS, idx[SWEEP_BLOCKS], key, sizeof key);
        if (K > T && ax[SWEEP_BLOCKS].given)
            return psamp_fail(err, "%s: %s: %d blocks for max_new_tokens %d (at most one per token)",
                              cfg->path, key, (int)K, (int)T);
        if (K > T) K = T; /* the default 4 blocks on a shorter run: one token each */
        B = ceil(T / K);
    }
    /* The sampler runs on B itself: K and B = T/K are the same run. */
    s->block_size = (int32_t)B;
    return 0;
}

static int resolve_point(const sweep_config *cfg, const sweep_model_info *models, const int *idx,
                         sweep_point *p, psamp_err *err) {
    const sweep_axis *ax = cfg->axes;
    psamp_sampler_config s = psamp_sampler_defaults();
    memset(p, 0, sizeof *p);
    if (psamp_method_parse(ax[SWEEP_METHOD].str[idx[SWEEP_METHOD]], &s.method, err) != 0) return -1;
    if (resolve_lengths(cfg, &models[idx[SWEEP_MODEL]], idx, &s, err) != 0) return -1;
    s.n_chains = (int32_t)ax[SWEEP_CHAINS].num[idx[SWEEP_CHAINS]];
    s.seed = uses_seed(s.method) ? (uint64_t)ax[SWEEP_SEED].num[idx[SWEEP_SEED]] : 0;
    if (uses_mcmc(s.method)) {
        s.mcmc_steps = (int32_t)ax[SWEEP_MCMC_STEPS].num[idx[SWEEP_MCMC_STEPS]];
        s.proposal_temp = ax[SWEEP_PROPOSAL_TEMP].num[idx[SWEEP_PROPOSAL_TEMP]];
        s.probe_steps = cfg->mixing_probe; /* in the config hash, so not in the point key */
    }
    if (s.method == PSAMP_METHOD_POWER) s.alpha = ax[SWEEP_ALPHA].num[idx[SWEEP_ALPHA]];
    if (uses_temperature(s.method)) s.temperature = ax[SWEEP_TEMPERATURE].num[idx[SWEEP_TEMPERATURE]];
    if (s.method == PSAMP_METHOD_BESTOFN) s.best_of = (int32_t)ax[SWEEP_BEST_OF].num[idx[SWEEP_BEST_OF]];
    if (psamp_sampler_validate(&s, err) != 0) {
        char model[64];
        sweep_axis_label(cfg, SWEEP_MODEL, idx[SWEEP_MODEL], model, sizeof model);
        return psamp_fail_context(err, "%s: %s, %s", cfg->path, model, psamp_method_name(s.method));
    }
    p->model = idx[SWEEP_MODEL];
    p->prompt = idx[SWEEP_PROMPT];
    p->n_prompt = models[p->model].n_prompt[p->prompt];
    p->sampler = s;
    p->est_tokens = sweep_est_tokens(&s, p->n_prompt);
    return 0;
}

/* The point's identity: the config hash and every setting the run depends on, strings
 * length-prefixed so that no two settings print alike. */
static int point_id(const sweep_config *cfg, const sweep_point *p, uint64_t *id, psamp_err *err) {
    const char *model = cfg->axes[SWEEP_MODEL].str[p->model];
    const char *prompt = cfg->axes[SWEEP_PROMPT].str[p->prompt];
    const psamp_sampler_config *s = &p->sampler;
    size_t cap = strlen(model) + strlen(prompt) + 512;
    char *text = malloc(cap);
    if (!text) return psamp_fail(err, "out of memory");
    int n = snprintf(text, cap,
                     "config=%016llx\nmodel=%zu:%s\nprompt=%zu:%s\nmethod=%s\nT=%d\nchains=%d\n"
                     "seed=%llu\nB=%d\nN=%d\nalpha=%.17g\nq=%.17g\ntemp=%.17g\nbest_of=%d\n",
                     (unsigned long long)cfg->hash, strlen(model), model, strlen(prompt), prompt,
                     psamp_method_name(s->method), s->max_new_tokens, s->n_chains,
                     (unsigned long long)s->seed, s->block_size, s->mcmc_steps, s->alpha,
                     s->proposal_temp, s->temperature, s->best_of);
    *id = sweep_hash_text(text, (size_t)n);
    free(text);
    return 0;
}

typedef struct {
    uint64_t id;
    int32_t pos;
} id_pos;

static int by_id_then_pos(const void *a_, const void *b_) {
    const id_pos *a = a_, *b = b_;
    if (a->id != b->id) return a->id < b->id ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Drops points whose id repeats an earlier one; keeps grid order. */
static int drop_repeats(sweep_point *pts, int32_t *n, int32_t *n_dropped, psamp_err *err) {
    id_pos *order = malloc((size_t)*n * sizeof *order);
    char *keep = malloc((size_t)*n);
    if (!order || !keep) {
        free(order);
        free(keep);
        return psamp_fail(err, "out of memory");
    }
    for (int32_t i = 0; i < *n; i++) order[i] = (id_pos){pts[i].id, i};
    qsort(order, (size_t)*n, sizeof *order, by_id_then_pos);
    for (int32_t i = 0; i < *n; i++) keep[order[i].pos] = i == 0 || order[i].id != order[i - 1].id;
    int32_t m = 0;
    for (int32_t i = 0; i < *n; i++)
        if (keep[i]) pts[m++] = pts[i];
    *n_dropped = *n - m;
    *n = m;
    free(order);
    free(keep);
    return 0;
}

int sweep_points_plan(const sweep_config *cfg, const sweep_model_info *models, sweep_point **out,
                      int32_t *n_out, int32_t *n_dropped, psamp_err *err) {
    int64_t total = 1;
    *out = NULL;
    *n_out = *n_dropped = 0;
    for (int a = 0; a < SWEEP_N_AXES; a++) {
        total *= cfg->axes[a].n;
        if (total > SWEEP_MAX_POINTS)
            return psamp_fail(err, "%s: the grid has more than %d points", cfg->path, SWEEP_MAX_POINTS);
    }
    sweep_point *pts = calloc((size_t)total, sizeof *pts);
    if (!pts) return psamp_fail(err, "out of memory for %lld points", (long long)total);
    int idx[SWEEP_N_AXES] = {0};
    for (int64_t i = 0; i < total; i++) {
        if (resolve_point(cfg, models, idx, &pts[i], err) != 0 || point_id(cfg, &pts[i], &pts[i].id, err) != 0) {
            free(pts);
            return -1;
        }
        for (int a = SWEEP_N_AXES - 1; a >= 0; a--) { /* odometer: the last key turns fastest */
            if (++idx[a] < cfg->axes[a].n) break;
            idx[a] = 0;
        }
    }
    int32_t n = (int32_t)total;
    if (drop_repeats(pts, &n, n_dropped, err) != 0) {
        free(pts);
        return -1;
    }
    for (int32_t i = 0; i < n; i++) {
        pts[i].index = i;
        snprintf(pts[i].name, sizeof pts[i].name, "p%05d-%016llx", (int)i, (unsigned long long)pts[i].id);
    }
    *out = pts;
    *n_out = n;
    return 0;
}

static int add_number_or_null(cJSON *o, const char *key, int present, double v) {
    return (present ? cJSON_AddNumberToObject(o, key, v) : cJSON_AddNullToObject(o, key)) != NULL;
}

double sweep_effective_proposal_temp(const psamp_sampler_config *s) {
    if (s->proposal_temp > 0) return s->proposal_temp;
    return s->method == PSAMP_METHOD_POWER ? 1.0 / s->alpha : 1.0;
}

cJSON *sweep_point_settings(const sweep_config *cfg, const sweep_point *p) {
    const psamp_sampler_config *s = &p->sampler;
    psamp_method m = s->method;
    char id[24];
    snprintf(id, sizeof id, "%016llx", (unsigned long long)p->id);
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    ok = ok && cJSON_AddNumberToObject(o, "index", p->index);
    ok = ok && cJSON_AddStringToObject(o, "name", p->name);
    ok = ok && cJSON_AddStringToObject(o, "id", id);
    ok = ok && cJSON_AddStringToObject(o, "model", cfg->axes[SWEEP_MODEL].str[p->model]);
    ok = ok && cJSON_AddStringToObject(o, "prompt", cfg->axes[SWEEP_PROMPT].str[p->prompt]);
    ok = ok && cJSON_AddStringToObject(o, "method", psamp_method_name(m));
    ok = ok && cJSON_AddNumberToObject(o, "max_new_tokens", s->max_new_tokens);
    int32_t B = s->block_size;
    ok = ok && add_number_or_null(o, "block_size", uses_mcmc(m), B);
    ok = ok && add_number_or_null(o, "blocks", uses_mcmc(m), B > 0 ? (s->max_new_tokens + B - 1) / B : 0);
    ok = ok && add_number_or_null(o, "mcmc_steps", uses_mcmc(m), s->mcmc_steps);
    ok = ok && add_number_or_null(o, "alpha", m == PSAMP_METHOD_POWER, s->alpha);
    ok = ok && add_number_or_null(o, "proposal_temp", uses_mcmc(m), uses_mcmc(m) ? sweep_effective_proposal_temp(s) : 0);
    ok = ok && add_number_or_null(o, "temperature", uses_temperature(m), s->temperature);
    ok = ok && add_number_or_null(o, "best_of", m == PSAMP_METHOD_BESTOFN, s->best_of);
    ok = ok && cJSON_AddNumberToObject(o, "chains", s->n_chains);
    ok = ok && add_number_or_null(o, "seed", uses_seed(m), (double)s->seed);
    ok = ok && cJSON_AddNumberToObject(o, "est_tokens", p->est_tokens);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Appends to buf[0..cap) at *n, never past the end. */
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...) PSAMP_PRINTF(4, 5);
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...) {
    if (*n >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *n, cap - *n, fmt, ap);
    va_end(ap);
    if (k > 0) *n += (size_t)k;
}

void sweep_point_describe(const sweep_config *cfg, const sweep_point *p, char *buf, size_t cap) {
    const psamp_sampler_config *s = &p->sampler;
    size_t n = 0;
    buf[0] = '\0';
    append(buf, cap, &n, "%s model=%s", psamp_method_name(s->method), cfg->axes[SWEEP_MODEL].str[p->model]);
    if (cfg->axes[SWEEP_PROMPT].n > 1) append(buf, cap, &n, " prompt[%d]", p->prompt);
    append(buf, cap, &n, " T=%d", s->max_new_tokens);
    if (uses_mcmc(s->method))
        append(buf, cap, &n, " B=%d N=%d q=%g", s->block_size, s->mcmc_steps, sweep_effective_proposal_temp(s));
    if (s->method == PSAMP_METHOD_POWER) append(buf, cap, &n, " alpha=%g", s->alpha);
    if (uses_temperature(s->method)) append(buf, cap, &n, " temp=%g", s->temperature);
    if (s->method == PSAMP_METHOD_BESTOFN) append(buf, cap, &n, " best_of=%d", s->best_of);
    append(buf, cap, &n, " chains=%d seed=%llu", s->n_chains, (unsigned long long)s->seed);
}
