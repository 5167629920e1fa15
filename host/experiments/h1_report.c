/* H1's results as JSON (streamed: the pair arrays can hold tens of thousands of values). */
#include <math.h>
#include <string.h>

#include "h1.h"
#include "json_write.h"

static void write_fit(FILE *f, const h1_result *r, int32_t t) {
    const h1_fit *fit = &r->fit[t];
    double T = r->temps[t];
    fputc('{', f);
    psamp_json_key_number(f, "temperature", T);
    fputc(',', f);
    psamp_json_key_number(f, "alpha", 1.0 / T);
    fprintf(f, ",\"n\":%lld,", (long long)fit->n);
    psamp_json_key_number(f, "slope", fit->slope);
    fputc(',', f);
    psamp_json_key_number(f, "slope_over_alpha", fit->slope * T);
    fputc(',', f);
    psamp_json_key_number(f, "intercept", fit->intercept);
    fputc(',', f);
    psamp_json_key_number(f, "r2", fit->r2);
    fputc(',', f);
    psamp_json_key_number(f, "residual_std", fit->residual_std);
    fputc(',', f);
    psamp_json_key_number(f, "dev_rms", r->dev_rms[t]);
    fputc(',', f);
    psamp_json_key_number(f, "dev_mean_abs", r->dev_mean_abs[t]);
    /* What power at alpha = 1/T gives on the same pairs, by definition. */
    fputs(",\"power\":{", f);
    psamp_json_key_number(f, "slope", 1.0 / T);
    fputs(",\"r2\":1,\"residual_std\":0,\"dev_rms\":0}}", f);
}

static void write_samples(FILE *f, const h1_result *r, const char *const *texts) {
    int32_t ns = r->n_temps + 1;
    fputs("\"prompts\":[", f);
    for (int32_t p = 0; p < r->n_prompts; p++) {
        int64_t base = (int64_t)p * r->samples;
        double lp = 0.0, len = 0.0;
        for (int32_t s = 0; s < r->samples; s++) {
            lp += r->logp[base + s];
            len += r->length[base + s];
        }
        fputs(p ? ",{\"text\":" : "{\"text\":", f);
        psamp_json_string(f, texts[p], strlen(texts[p]));
        fputc(',', f);
        psamp_json_key_number(f, "mean_logp", lp / r->samples);
        fputc(',', f);
        psamp_json_key_number(f, "mean_length", len / r->samples);
        fputs(",\"logp\":[", f);
        for (int32_t s = 0; s < r->samples; s++) {
            if (s) fputc(',', f);
            psamp_json_number(f, r->logp[base + s]);
        }
        fputs("],\"length\":", f);
        psamp_json_int_array(f, r->length + base, r->samples);
        /* scores[s] = [score at 1, score at temps[0], ...] */
        fputs(",\"scores\":[", f);
        for (int32_t s = 0; s < r->samples; s++) {
            fputs(s ? ",[" : "[", f);
            for (int32_t t = 0; t < ns; t++) {
                if (t) fputc(',', f);
                psamp_json_number(f, r->score[(base + s) * ns + t]);
            }
            fputc(']', f);
        }
        fputs("]}", f);
    }
    fputc(']', f);
}

static void write_pairs(FILE *f, const h1_result *r) {
    static const char *const index_keys[3] = {"prompt", "x", "y"};
    fputs("\"pairs\":{", f);
    for (int k = 0; k < 3; k++) {
        fprintf(f, "%s\"%s\":[", k ? "," : "", index_keys[k]);
        for (int64_t i = 0; i < r->n_pairs; i++) fprintf(f, i ? ",%d" : "%d", r->pairs[3 * i + k]);
        fputc(']', f);
    }
    fputs(",\"d\":[", f);
    for (int64_t i = 0; i < r->n_pairs; i++) {
        if (i) fputc(',', f);
        psamp_json_number(f, h1_pair_gap(r, i, -1));
    }
    fputs("],\"gap\":[", f);
    for (int32_t t = 0; t < r->n_temps; t++) {
        fputs(t ? ",[" : "[", f);
        for (int64_t i = 0; i < r->n_pairs; i++) {
            if (i) fputc(',', f);
            psamp_json_number(f, h1_pair_gap(r, i, t));
        }
        fputc(']', f);
    }
    fputs("]}", f);
}

int h1_write_json(FILE *f, const h1_result *r, const char *model, const char *backend,
                  const char *const *prompt_texts, int32_t max_new_tokens, int32_t pairs,
                  uint64_t seed, psamp_err *err) {
    fputs("{\"experiment\":\"h1\",\"model\":", f);
    psamp_json_string(f, model, strlen(model));
    fputs(",\"backend\":", f);
    psamp_json_string(f, backend, strlen(backend));
    fprintf(f, ",\"max_new_tokens\":%d,\"samples_per_prompt\":%d,\"pairs_per_prompt\":%d,\"seed\":%llu",
            max_new_tokens, r->samples, pairs, (unsigned long long)seed);
    fprintf(f, ",\"n_prompts\":%d,\"n_pairs\":%lld,", r->n_prompts, (long long)r->n_pairs);
    psamp_json_key_number(f, "d_mean_abs", r->d_mean_abs);
    fputc(',', f);
    psamp_json_key_number(f, "d_std", r->d_std);
    fputc(',', f);
    psamp_json_key_number(f, "rescore_max_abs", r->rescore_max_abs);
    fputs(",\"temperatures\":[", f);
    for (int32_t t = 0; t < r->n_temps; t++) {
        if (t) fputc(',', f);
        psamp_json_number(f, r->temps[t]);
    }
    fputs("],\"fits\":[", f);
    for (int32_t t = 0; t < r->n_temps; t++) {
        if (t) fputc(',', f);
        write_fit(f, r, t);
    }
    fputs("],", f);
    write_samples(f, r, prompt_texts);
    fputc(',', f);
    write_pairs(f, r);
    fputs("}\n", f);
    if (ferror(f)) return psamp_fail(err, "write failed");
    return 0;
}
