/* RoPE tables (decoder_rope.h). The float32 arithmetic follows transformers'
 * modeling_rope_utils step by step, so that the frequencies agree to the last bit or two. */
#include "decoder_rope.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 2 * math.pi, the double transformers divides by inv_freq */
#define TWO_PI 6.283185307179586

void decoder_rope_inv_freq(const decoder_config *c, int set, float *out) {
    const decoder_rope *r = &c->rope;
    const int32_t dim = c->head_dim, pairs = dim / 2;
    const float base = (float)r->theta;
    for (int32_t i = 0; i < pairs; i++) {
        /* base ** (arange(0, dim, 2).float() / dim) */
        const float p = powf(base, (float)(2 * i) / (float)dim);
        float inv = 1.0f / p;
        if (r->type == ROPE_LONGROPE) {
            const float f = (float)(set ? r->long_factor[i] : r->short_factor[i]);
            inv = 1.0f / (f * p);
        } else if (r->type == ROPE_LLAMA3) {
            const float factor = (float)r->factor, low = (float)r->low_freq_factor, high = (float)r->high_freq_factor;
            const float old = (float)r->original_max_positions;
            const float low_wavelen = old / low, high_wavelen = old / high;
            const float wavelen = (float)TWO_PI / inv;
            if (wavelen > low_wavelen) {
                inv = inv / factor;
            } else if (!(wavelen < high_wavelen)) {
                const float smooth = (old / wavelen - low) / (high - low);
                inv = (1.0f - smooth) * inv / factor + smooth * inv;
            }
        }
        out[i] = inv;
    }
}

void decoder_rope_table_free(decoder_rope_table *t) {
    if (!t) return;
    free(t->cos);
    free(t->sin);
    memset(t, 0, sizeof *t);
}

int decoder_rope_table_init(decoder_rope_table *t, const decoder_config *c, int32_t max_len, psamp_err *err) {
    memset(t, 0, sizeof *t);
    t->pairs = c->head_dim / 2;
    t->max_len = max_len;
    t->n_sets = c->rope.type == ROPE_LONGROPE ? 2 : 1;
    t->switch_len = c->rope.type == ROPE_LONGROPE ? c->rope.original_max_positions : INT32_MAX;
    const size_t n = (size_t)t->n_sets * (size_t)max_len * (size_t)t->pairs;
    t->cos = malloc(n * sizeof(float));
    t->sin = malloc(n * sizeof(float));
    if (!t->cos || !t->sin) {
        decoder_rope_table_free(t);
        return psamp_fail(err, "out of memory for the RoPE tables (%d positions)", max_len);
    }
    const float scale = (float)c->rope.attention_factor;
    float inv[DECODER_MAX_ROPE_PAIRS];
    for (int32_t set = 0; set < t->n_sets; set++) {
        decoder_rope_inv_freq(c, set, inv);
        for (int32_t pos = 0; pos < max_len; pos++) {
            float *cs = t->cos + ((size_t)set * max_len + pos) * t->pairs;
            float *sn = t->sin + ((size_t)set * max_len + pos) * t->pairs;
            for (int32_t i = 0; i < t->pairs; i++) {
                const float angle = (float)pos * inv[i];
                cs[i] = (float)cos((double)angle) * scale;
                sn[i] = (float)sin((double)angle) * scale;
            }
        }
    }
    return 0;
}

void decoder_rope_apply(const decoder_rope_table *t, float *x, int32_t n_vec, int32_t pos, int set) {
    const int32_t pairs = t->pairs;
    const float *cs = t->cos + ((size_t)set * t->max_len + pos) * pairs;
    const float *sn = t->sin + ((size_t)set * t->max_len + pos) * pairs;
    for (int32_t v = 0; v < n_vec; v++) {
        float *a = x + (size_t)v * 2 * pairs, *b = a + pairs;
        for (int32_t i = 0; i < pairs; i++) {
            /* x * cos + rotate_half(x) * sin, rotate_half(x) = (-x2, x1) */
            const float x1 = a[i], x2 = b[i];
            a[i] = x1 * cs[i] - x2 * sn[i];
            b[i] = x2 * cs[i] + x1 * sn[i];
        }
    }
}
