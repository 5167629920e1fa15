/* Exact summaries of p^alpha and of temperature sampling on a toy world (toy_exact.h).
 *
 * One forward pass over (position, state) in log space gives both log Z and the entropy:
 * alongside f_k(s) = sum of the weights of the prefixes of length k that reach s, it keeps
 * h_k(s) = sum of weight * (-sum of log-weights) over the same prefixes; then
 * H = log Z + (sum of h over complete sequences) / Z. Everything stays in logs because
 * alpha * log p underflows doubles long before toy worlds get interesting. */
#include "toy_exact.h"

#include <math.h>
#include <stdlib.h>

/* log(exp(a) + exp(b)), exact at -INFINITY. */
static double log_add(double a, double b) {
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

static int check_max_tokens(const toy_world *w, int32_t max_tokens, psamp_err *err) {
    if (max_tokens < 1 || max_tokens > w->length)
        return psamp_fail(err, "toy world %s: max new tokens %d is outside [1, %d] (its length)", w->name,
                          max_tokens, w->length);
    return 0;
}

/* Temperature 0 is greedy: the token the engine's argmax over float logits would take. */
static void greedy_row(const toy_world *w, int32_t s, double *lw) {
    const double *logp = w->logp + (size_t)s * (size_t)w->n_tokens;
    int32_t best = 0;
    for (int32_t t = 1; t < w->n_tokens; t++)
        if ((float)logp[t] > (float)logp[best]) best = t;
    for (int32_t t = 0; t < w->n_tokens; t++) lw[t] = t == best ? 0.0 : -INFINITY;
}

int toy_exact_log_weights(const toy_world *w, toy_weighting kind, double param, double **out, psamp_err *err) {
    *out = NULL;
    if (kind == TOY_WEIGHT_POWER && !(param > 0.0 && isfinite(param)))
        return psamp_fail(err, "alpha %g is not a finite number > 0", param);
    if (kind == TOY_WEIGHT_TEMPERATURE && !(param >= 0.0 && isfinite(param)))
        return psamp_fail(err, "temperature %g is not a finite number >= 0", param);
    size_t V = (size_t)w->n_tokens, cells = (size_t)w->n_states * V;
    double *lw = malloc(cells * sizeof *lw);
    if (!lw) return psamp_fail(err, "toy world %s: out of memory for weights", w->name);
    for (int32_t s = 0; s < w->n_states; s++) {
        const double *logp = w->logp + (size_t)s * V;
        double *row = lw + (size_t)s * V;
        if (kind == TOY_WEIGHT_POWER) {
            for (size_t t = 0; t < V; t++) row[t] = param * logp[t];
        } else if (param == 0.0) {
            greedy_row(w, s, row);
        } else {
            double norm = -INFINITY;
            for (size_t t = 0; t < V; t++) norm = log_add(norm, logp[t] / param);
            for (size_t t = 0; t < V; t++) row[t] = logp[t] / param - norm;
        }
    }
    *out = lw;
    return 0;
}

/* The forward pass: *log_z, and *log_h = log of sum over complete x of weight(x) *
 * (-sum of log-weights of x). */
static int forward(const toy_world *w, const double *lw, int32_t T, double *log_z, double *log_h, psamp_err *err) {
    size_t S = (size_t)w->n_states, V = (size_t)w->n_tokens;
    double *buf = malloc(4 * S * sizeof *buf);
    if (!buf) return psamp_fail(err, "toy world %s: out of memory for the forward pass", w->name);
    double *f = buf, *h = buf + S, *nf = buf + 2 * S, *nh = buf + 3 * S;
    for (size_t s = 0; s < S; s++) f[s] = h[s] = -INFINITY;
    f[w->start] = 0.0;
    double z = -INFINITY, hz = -INFINITY;
    for (int32_t k = 1; k <= T; k++) {
        for (size_t s = 0; s < S; s++) nf[s] = nh[s] = -INFINITY;
        for (size_t s = 0; s < S; s++) {
            if (f[s] == -INFINITY) continue;
            for (size_t t = 0; t < V; t++) {
                double l = lw[s * V + t];
                if (l == -INFINITY) continue;
                double a = f[s] + l;
                /* -l can round to a hair below 0 where q = 1: it contributes nothing. */
                double b = log_add(h[s] + l, l < 0.0 ? a + log(-l) : -INFINITY);
                int32_t to = w->next[s * V + t];
                if (to == TOY_END || k == T) {
                    z = log_add(z, a);
                    hz = log_add(hz, b);
                } else {
                    nf[to] = log_add(nf[to], a);
                    nh[to] = log_add(nh[to], b);
                }
            }
        }
        double *tmp = f;
        f = nf, nf = tmp;
        tmp = h, h = nh, nh = tmp;
    }
    free(buf);
    *log_z = z;
    *log_h = hz;
    return 0;
}

int toy_exact_log_z(const toy_world *w, const double *log_weights, int32_t max_tokens, double *log_z,
                    psamp_err *err) {
    double log_h;
    if (check_max_tokens(w, max_tokens, err) != 0) return -1;
    return forward(w, log_weights, max_tokens, log_z, &log_h, err);
}

/* The summed log-weight of correct sequence c if it is a complete sequence for T tokens
 * (ended by a null transition, or exactly T tokens long), else -INFINITY. */
static double correct_log_weight(const toy_world *w, const double *lw, int32_t T, int32_t c) {
    const int32_t *toks = w->correct_tokens + w->correct_offset[c];
    int32_t n = w->correct_offset[c + 1] - w->correct_offset[c], s = w->start;
    double sum = 0.0;
    if (n > T) return -INFINITY;
    for (int32_t i = 0; i < n; i++) {
        if (s == TOY_END) return -INFINITY; /* tokens after the end */
        size_t cell = (size_t)s * (size_t)w->n_tokens + (size_t)toks[i];
        sum += lw[cell];
        s = w->next[cell];
        if (s == TOY_IMPOSSIBLE) return -INFINITY;
    }
    return s == TOY_END || n == T ? sum : -INFINITY;
}

static double correct_mass(const toy_world *w, const double *lw, int32_t T, double log_z) {
    if (w->n_correct == 0) return NAN;
    double mass = 0.0;
    for (int32_t c = 0; c < w->n_correct; c++) mass += exp(correct_log_weight(w, lw, T, c) - log_z);
    return mass;
}

void toy_exact_summary_free(toy_exact_summary *s) {
    if (!s) return;
    toy_ranked_free(s->top, s->n_top);
    s->top = NULL;
    s->n_top = 0;
}

static int summarise(const toy_world *w, toy_weighting kind, double param, int32_t T, int32_t n_top,
                     toy_exact_summary *out, psamp_err *err) {
    toy_exact_summary r = {0.0, 0.0, NAN, 0, NULL};
    double *lw = NULL, log_h;
    *out = r;
    if (check_max_tokens(w, T, err) != 0) return -1;
    if (n_top < 0) return psamp_fail(err, "number of top sequences %d is negative", n_top);
    if (toy_exact_log_weights(w, kind, param, &lw, err) != 0) return -1;
    int rc = forward(w, lw, T, &r.log_z, &log_h, err);
    if (rc == 0) {
        r.entropy = r.log_z + exp(log_h - r.log_z);
        r.correct_mass = correct_mass(w, lw, T, r.log_z);
        rc = toy_exact_top(w, lw, T, n_top, r.log_z, &r.top, &r.n_top, err);
    }
    free(lw);
    if (rc == 0) *out = r;
    return rc;
}

int toy_exact_power(const toy_world *w, int32_t max_tokens, double alpha, int32_t n_top, toy_exact_summary *out,
                    psamp_err *err) {
    return summarise(w, TOY_WEIGHT_POWER, alpha, max_tokens, n_top, out, err);
}

int toy_exact_temperature(const toy_world *w, int32_t max_tokens, double temperature, int32_t n_top,
                          toy_exact_summary *out, psamp_err *err) {
    return summarise(w, TOY_WEIGHT_TEMPERATURE, temperature, max_tokens, n_top, out, err);
}
