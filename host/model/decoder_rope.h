/* Rotary position embeddings as transformers computes them, tabulated per position: the
 * inverse frequencies in float32 (plain, Llama-3's "llama3" rescaling, or Phi-3's "longrope"
 * short and long factor sets), cos and sin of position * inv_freq in float32, times the
 * attention factor (longrope: sqrt(1 + ln(max / original) / ln(original)); else 1).
 *
 * Pairing is rotate_half's: dims i and i + head_dim / 2 of a head rotate together by
 * frequency i.
 *
 * longrope picks its factor set per forward call from the longest position the call sees:
 * set 1 (long) when the call covers more than original_max_position_embeddings positions,
 * else set 0 (short), for every position of that call. */
#ifndef PSAMP_DECODER_ROPE_H
#define PSAMP_DECODER_ROPE_H

#include <stdint.h>

#include "hf_config.h"

typedef struct {
    int32_t pairs;       /* head_dim / 2 */
    int32_t max_len;     /* positions tabulated */
    int32_t n_sets;      /* 2 for longrope, else 1 */
    int32_t switch_len;  /* longrope: a forward over more positions than this uses set 1 */
    float *cos, *sin;    /* [n_sets][max_len][pairs], attention factor included */
} decoder_rope_table;

/* The float32 inverse frequencies of factor set `set` (0, or 1 = longrope's long factors). */
void decoder_rope_inv_freq(const decoder_config *c, int set, float *out);

int decoder_rope_table_init(decoder_rope_table *t, const decoder_config *c, int32_t max_len, psamp_err *err);
void decoder_rope_table_free(decoder_rope_table *t);

/* The factor set of a forward call whose longest prefix is seq_len positions. */
static inline int decoder_rope_set(const decoder_rope_table *t, int32_t seq_len) {
    return t->n_sets == 2 && seq_len > t->switch_len;
}

/* Rotates head vectors x[n_vec][head_dim] in place for position pos, factor set `set`. */
void decoder_rope_apply(const decoder_rope_table *t, float *x, int32_t n_vec, int32_t pos, int set);

#endif
