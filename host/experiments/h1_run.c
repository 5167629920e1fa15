/* H1's run: sample per prompt at temperature 1, score every sample at each temperature by
 * prefill, pair the samples of each prompt and fit each temperature's gap on D. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "h1.h"
#include "sampler.h"

/* A key for pair choice that no chain stream of the same seed uses. */
#define H1_PAIR_KEY 0x9E3779B97F4A7C15ull
/* Pair lists are built whole (samples^2 entries): this keeps them in tens of MB. */
#define H1_MAX_SAMPLES 2048

void h1_result_free(h1_result *r) {
    if (!r) return;
    free(r->temps);
    free(r->logp);
    free(r->score);
    free(r->length);
    free(r->pairs);
    free(r->fit);
    free(r->dev_rms);
    free(r->dev_mean_abs);
    memset(r, 0, sizeof *r);
}

static int32_t n_scores(const h1_result *r) { return r->n_temps + 1; }

double h1_pair_gap(const h1_result *r, int64_t i, int32_t t) {
    int32_t p = r->pairs[3 * i], x = r->pairs[3 * i + 1], y = r->pairs[3 * i + 2];
    const double *sx = r->score + ((int64_t)p * r->samples + x) * n_scores(r);
    const double *sy = r->score + ((int64_t)p * r->samples + y) * n_scores(r);
    return sx[t + 1] - sy[t + 1];
}

static int check_config(const psamp_engine *e, const h1_config *cfg, psamp_err *err) {
    if (cfg->n_prompts < 1) return psamp_fail(err, "H1 needs at least one prompt");
    if (cfg->samples < 2 || cfg->samples > H1_MAX_SAMPLES)
        return psamp_fail(err, "samples: %d is outside [2, %d]", cfg->samples, H1_MAX_SAMPLES);
    if (cfg->pairs < 1) return psamp_fail(err, "pairs: %d must be at least 1", cfg->pairs);
    if (cfg->max_new_tokens < 1) return psamp_fail(err, "max_new_tokens: %d must be positive", cfg->max_new_tokens);
    if (cfg->n_temps < 1) return psamp_fail(err, "temperatures: the list is empty");
    for (int32_t t = 0; t < cfg->n_temps; t++)
        if (!(cfg->temps[t] > 0.0 && isfinite(cfg->temps[t])))
            return psamp_fail(err, "temperatures[%d]: %g must be > 0", t, cfg->temps[t]);
    if (e->info.n_slots < cfg->samples + 1)
        return psamp_fail(err, "the engine has %d slots; H1 needs %d", e->info.n_slots, cfg->samples + 1);
    for (int32_t p = 0; p < cfg->n_prompts; p++)
        if (cfg->prompt_len[p] + cfg->max_new_tokens > e->info.max_len)
            return psamp_fail(err, "prompt %d (%d tokens) + max_new_tokens %d exceeds the engine's %d", p,
                              cfg->prompt_len[p], cfg->max_new_tokens, e->info.max_len);
    return 0;
}

static int alloc_result(h1_result *r, const h1_config *cfg, psamp_err *err) {
    size_t n_seq = (size_t)cfg->n_prompts * (size_t)cfg->samples;
    memset(r, 0, sizeof *r);
    r->n_prompts = cfg->n_prompts;
    r->samples = cfg->samples;
    r->n_temps = cfg->n_temps;
    r->temps = malloc((size_t)cfg->n_temps * sizeof *r->temps);
    r->logp = malloc(n_seq * sizeof *r->logp);
    r->score = malloc(n_seq * (size_t)(cfg->n_temps + 1) * sizeof *r->score);
    r->length = malloc(n_seq * sizeof *r->length);
    r->fit = calloc((size_t)cfg->n_temps, sizeof *r->fit);
    r->dev_rms = malloc((size_t)cfg->n_temps * sizeof *r->dev_rms);
    r->dev_mean_abs = malloc((size_t)cfg->n_temps * sizeof *r->dev_mean_abs);
    if (!r->temps || !r->logp || !r->score || !r->length || !r->fit || !r->dev_rms || !r->dev_mean_abs) {
        h1_result_free(r);
        return psamp_fail(err, "out of memory for %zu H1 samples", n_seq);
    }
    memcpy(r->temps, cfg->temps, (size_t)cfg->n_temps * sizeof *r->temps);
    return 0;
}

/* Samples one prompt's sequences and scores each at temperature 1 and every T. */
static int sample_and_score(psamp_engine *e, const h1_config *cfg, int32_t p, h1_result *r,
                            int32_t *buf, float *lp, psamp_err *err) {
    psamp_sampler_config sc = psamp_sampler_defaults();
    psamp_run_result run;
    sc.method = PSAMP_METHOD_TEMP;
    sc.temperature = 1.0;
    sc.max_new_tokens = cfg->max_new_tokens;
    sc.n_chains = cfg->samples;
    sc.first_chain = (uint64_t)p * (uint64_t)cfg->samples; /* distinct streams per prompt */
    sc.seed = cfg->seed;
    int32_t np = cfg->prompt_len[p];
    psamp_sampler_hooks hooks = {NULL, NULL, NULL, cfg->stop};
    int rc = psamp_sample(e, &sc, cfg->prompts[p], np, &hooks, &run, err);
    if (rc == PSAMP_SAMPLE_STOPPED) psamp_run_result_free(&run);
    if (rc != 0) return -1;
    if (np > 0) memcpy(buf, cfg->prompts[p], (size_t)np * sizeof *buf); /* a toy prompt may be NULL */
    for (int32_t s = 0; s < cfg->samples; s++) {
        const psamp_chain_result *ch = &run.chains[s];
        int64_t k = (int64_t)p * cfg->samples + s;
        double *score = r->score + k * n_scores(r);
        memcpy(buf + np, ch->tokens, (size_t)ch->n_tokens * sizeof *buf);
        r->logp[k] = ch->logp_sum;
        r->length[k] = ch->n_tokens;
        for (int32_t t = 0; t <= cfg->n_temps; t++) {
            float tau = t == 0 ? 1.0f : (float)cfg->temps[t - 1];
            if (e->ops->prefill(e, 0, buf, np + ch->n_tokens, tau, lp, err) != 0) {
                psamp_run_result_free(&run);
                return -1;
            }
            double sum = 0.0;
            for (int32_t i = np; i < np + ch->n_tokens; i++) sum += lp[i];
            score[t] = sum;
        }
        double diff = fabs(score[0] - ch->logp_sum);
        if (diff > r->rescore_max_abs) r->rescore_max_abs = diff;
    }
    psamp_run_result_free(&run);
    return 0;
}

static int choose_all_pairs(const h1_config *cfg, h1_result *r, psamp_err *err) {
    int64_t per = (int64_t)cfg->samples * (cfg->samples - 1) / 2;
    if (cfg->pairs < per) per = cfg->pairs;
    r->pairs = malloc((size_t)(per * cfg->n_prompts) * 3 * sizeof *r->pairs);
    if (!r->pairs) return psamp_fail(err, "out of memory for pairs");
    for (int32_t p = 0; p < cfg->n_prompts; p++) {
        int32_t *xy;
        int64_t n = h1_choose_pairs(cfg->samples, cfg->pairs, cfg->seed ^ H1_PAIR_KEY, (uint64_t)p, &xy, err);
        if (n < 0) return -1;
        for (int64_t i = 0; i < n; i++) {
            int32_t *dst = r->pairs + 3 * r->n_pairs++;
            dst[0] = p;
            dst[1] = xy[2 * i];
            dst[2] = xy[2 * i + 1];
        }
        free(xy);
    }
    return 0;
}

/* Per temperature: the fitted line, and how far gap_T lies from power's alpha * D. */
static int fit_all(h1_result *r, psamp_err *err) {
    double *d = malloc((size_t)r->n_pairs * sizeof *d), *g = malloc((size_t)r->n_pairs * sizeof *g);
    if (!d || !g) {
        free(d);
        free(g);
        return psamp_fail(err, "out of memory for %lld pairs", (long long)r->n_pairs);
    }
    double sum = 0.0, sum_abs = 0.0, sum_sq = 0.0;
    for (int64_t i = 0; i < r->n_pairs; i++) {
        d[i] = h1_pair_gap(r, i, -1);
        sum += d[i];
        sum_abs += fabs(d[i]);
    }
    double mean = sum / (double)r->n_pairs;
    for (int64_t i = 0; i < r->n_pairs; i++) sum_sq += (d[i] - mean) * (d[i] - mean);
    r->d_mean_abs = sum_abs / (double)r->n_pairs;
    r->d_std = sqrt(sum_sq / (double)r->n_pairs);
    for (int32_t t = 0; t < r->n_temps; t++) {
        double dev_abs = 0.0, dev_sq = 0.0, alpha = 1.0 / r->temps[t];
        for (int64_t i = 0; i < r->n_pairs; i++) {
            g[i] = h1_pair_gap(r, i, t);
            double dev = g[i] - alpha * d[i];
            dev_abs += fabs(dev);
            dev_sq += dev * dev;
        }
        r->dev_mean_abs[t] = dev_abs / (double)r->n_pairs;
        r->dev_rms[t] = sqrt(dev_sq / (double)r->n_pairs);
        psamp_err fit_err;
        if (h1_fit_line(d, g, r->n_pairs, &r->fit[t], &fit_err) != 0) {
            /* Every D equal (e.g. a deterministic world): no line, reported as null. */
            r->fit[t].slope = r->fit[t].intercept = r->fit[t].r2 = r->fit[t].residual_std = NAN;
        }
    }
    free(d);
    free(g);
    return 0;
}

int h1_run(psamp_engine *e, const h1_config *cfg, void (*progress)(void *, double), void *ctx,
           h1_result *out, psamp_err *err) {
    memset(out, 0, sizeof *out);
    if (check_config(e, cfg, err) != 0) return -1;
    if (alloc_result(out, cfg, err) != 0) return -1;
    int32_t *buf = malloc((size_t)e->info.max_len * sizeof *buf);
    float *lp = malloc((size_t)e->info.max_len * sizeof *lp);
    int rc = buf && lp ? 0 : psamp_fail(err, "out of memory");
    for (int32_t p = 0; rc == 0 && p < cfg->n_prompts; p++) {
        rc = sample_and_score(e, cfg, p, out, buf, lp, err);
        if (rc != 0) psamp_fail_context(err, "prompt %d", p);
        if (progress) progress(ctx, (double)(p + 1) / cfg->n_prompts);
    }
    free(buf);
    free(lp);
    if (rc == 0) rc = choose_all_pairs(cfg, out, err);
    if (rc == 0) rc = fit_all(out, err);
    if (rc != 0) h1_result_free(out);
    return rc;
}
