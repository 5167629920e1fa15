/* Exact summaries of p^alpha and of temperature sampling on a toy world (toy_exact.h).
 *
 * A forward pass over (position, state) in log space gives log Z. The entropy comes from the
 * same distribution written as a Markov chain: a backward pass gives beta_k(s), the log weight
 * of every completion from state s choosing token k; then q(t | s, k) is a local softmax and
 * H = sum over (k, s) of P(reach s at k) * H_local(s, k). Each local entropy is a sum of
 * non-negative terms taken relative to the row's largest weight, so H stays finite, >= 0 and
 * accurate however large alpha is (log Z + E[-log w] cancels catastrophically: at alpha 1e4
 * both are ~1e5 and the difference is rounding noise). Everything stays in logs because
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

/* The forward pass: *log_z, the log of the total weight of the complete sequences. */
static int forward(const toy_world *w, const double *lw, int32_t T, double *log_z, psamp_err *err) {
    size_t S = (size_t)w->n_states, V = (size_t)w->n_tokens;
    double *buf = malloc(2 * S * sizeof *buf);
    if (!buf) return psamp_fail(err, "toy world %s: out of memory for the forward pass", w->name);
    double *f = buf, *nf = buf + S;
    for (size_t s = 0; s < S; s++) f[s] = -INFINITY;
    f[w->start] = 0.0;
    double z = -INFINITY;
    for (int32_t k = 1; k <= T; k++) {
        for (size_t s = 0; s < S; s++) nf[s] = -INFINITY;
        for (size_t s = 0; s < S; s++) {
            if (f[s] == -INFINITY) continue;
            for (size_t t = 0; t < V; t++) {
                double l = lw[s * V + t];
                if (l == -INFINITY) continue;
                int32_t to = w->next[s * V + t];
                if (to == TOY_END || k == T) z = log_add(z, f[s] + l);
                else nf[to] = log_add(nf[to], f[s] + l);
            }
        }
        double *tmp = f;
        f = nf, nf = tmp;
    }
    free(buf);
    *log_z = z;
    return 0;
}

/* log weight of choosing token t in state s at position k (1-based) and completing from there:
 * lw + beta_{k+1}(next), with beta = 0 past the end. beta[(k-1) * S + s] holds beta_k(s). */
static double choice_log_weight(const toy_world *w, const double *lw, const double *beta, int32_t T, int32_t k,
                                size_t s, size_t t) {
    size_t S = (size_t)w->n_states, V = (size_t)w->n_tokens;
    double l = lw[s * V + t];
    int32_t to = w->next[s * V + t];
    if (l == -INFINITY || to == TOY_END || k == T) return l;
    return l + beta[(size_t)k * S + (size_t)to];
}

/* The entropy of the normalised weights over complete sequences (see the top of the file). */
static int entropy(const toy_world *w, const double *lw, int32_t T, double *out, psamp_err *err) {
    size_t S = (size_t)w->n_states, V = (size_t)w->n_tokens;
    /* beta[(k-1) * S + s] = beta_k(s) for k = 1..T. */
    double *beta = malloc(((size_t)T * S + 2 * S) * sizeof *beta);
    if (!beta) return psamp_fail(err, "toy world %s: out of memory for the entropy", w->name);
    double *reach = beta + (size_t)T * S, *next = reach + S;
    for (int32_t k = T; k >= 1; k--)
        for (size_t s = 0; s < S; s++) {
            double b = -INFINITY;
            for (size_t t = 0; t < V; t++) b = log_add(b, choice_log_weight(w, lw, beta, T, k, s, t));
            beta[(size_t)(k - 1) * S + s] = b;
        }
    for (size_t s = 0; s < S; s++) reach[s] = 0.0;
    reach[w->start] = 1.0;
    double h = 0.0;
    for (int32_t k = 1; k <= T; k++) {
        for (size_t s = 0; s < S; s++) next[s] = 0.0;
        for (size_t s = 0; s < S; s++) {
            if (reach[s] == 0.0) continue;
            /* Relative to the row's largest choice m: H_local = log(1 + sum_{t != top} e^(u_t - m))
             * + sum_{t != top} q_t (m - u_t), every term >= 0. */
            size_t top = 0;
            double m = -INFINITY;
            for (size_t t = 0; t < V; t++) {
                double u = choice_log_weight(w, lw, beta, T, k, s, t);
                if (u > m) m = u, top = t;
            }
            if (m == -INFINITY) continue;
            double rest = 0.0;
            for (size_t t = 0; t < V; t++)
                if (t != top) rest += exp(choice_log_weight(w, lw, beta, T, k, s, t) - m);
            double log_norm = log1p(rest), local = log_norm;
            for (size_t t = 0; t < V; t++) {
                double u = choice_log_weight(w, lw, beta, T, k, s, t);
                if (u == -INFINITY) continue;
                double q = exp(u - m - log_norm);
                if (t != top) local += q * (m - u);
                int32_t to = w->next[s * V + t];
                if (to != TOY_END && k < T) next[to] += reach[s] * q;
            }
            h += reach[s] * local;
        }
        double *tmp = reach;
        reach = next, next = tmp;
    }
    free(beta); /* reach and next live in the same block */
    *out = h;
    return 0;
}

int toy_exact_log_z(const toy_world *w, const double *log_weights, int32_t max_tokens, double *log_z,
                    psamp_err *err) {
    if (check_max_tokens(w, max_tokens, err) != 0) return -1;
    return forward(w, log_weights, max_tokens, log_z, err);
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
    double *lw = NULL;
    *out = r;
    if (check_max_tokens(w, T, err) != 0) return -1;
    if (n_top < 0) return psamp_fail(err, "number of top sequences %d is negative", n_top);
    if (toy_exact_log_weights(w, kind, param, &lw, err) != 0) return -1;
    int rc = forward(w, lw, T, &r.log_z, err);
    if (rc == 0) rc = entropy(w, lw, T, &r.entropy, err);
    if (rc == 0) {
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
