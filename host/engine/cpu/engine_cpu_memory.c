/* How many CPU engine slots the machine has room for. Linux lends memory it does not have
 * (overcommit), so an engine whose KV cache is larger than the free memory starts fine and is
 * killed once its slots fill up; callers ask first and run fewer chains at a time. */
#include <stdio.h>
#include <string.h>

#include "engine_cpu.h"
#include "engine_cpu_forward.h"
#include "engine_slots.h"
#include "opt_forward_cpu.h"

/* Room kept for everything else: the weights' fp32 copy, the per-row buffers, the OS. */
#define RESERVE_BYTES ((uint64_t)512 << 20)

/* Slots of per_slot bytes that fit in avail_bytes beside the reserve. */
static int32_t slots_fit(uint64_t per_slot, uint64_t avail_bytes) {
    const uint64_t usable = avail_bytes - avail_bytes / 10;
    if (usable <= RESERVE_BYTES) return 0;
    const uint64_t fit = (usable - RESERVE_BYTES) / per_slot;
    return fit > (uint64_t)(INT32_MAX / 4) ? INT32_MAX / 4 : (int32_t)fit;
}

uint64_t psamp_engine_cpu_bytes(const opt_config *c, int32_t n_slots, int32_t max_len, int threads) {
    const uint64_t h = (uint64_t)c->hidden, rows = (uint64_t)(n_slots > PSAMP_CPU_PREFILL_CHUNK ? n_slots : PSAMP_CPU_PREFILL_CHUNK);
    /* opt_forward_cpu.c: the KV cache, then per row x, xn, attn (h each), qkv (3h), ffn,
     * the embedding (proj) and the logits (vocab); attention scores per thread. */
    const uint64_t kv = (uint64_t)c->n_layers * 2 * h * (uint64_t)max_len * (uint64_t)n_slots;
    const uint64_t per_row = 6 * h + (uint64_t)c->ffn_dim + (uint64_t)c->word_embed_proj_dim + (uint64_t)c->vocab_size;
    const uint64_t floats = kv + rows * per_row + (uint64_t)threads * (uint64_t)max_len;
    /* engine_cpu.c: a row and a step result per row; engine_slots.c: the tokens. */
    return floats * sizeof(float) + rows * (sizeof(opt_cpu_row) + sizeof(psamp_step_result)) +
           psamp_slots_bytes(n_slots, max_len);
}

int32_t psamp_engine_cpu_slots_in(const opt_config *c, int32_t max_len, uint64_t avail_bytes) {
    const uint64_t usable = avail_bytes - avail_bytes / 10;
    if (usable <= RESERVE_BYTES) return 0;
    const uint64_t budget = usable - RESERVE_BYTES;
    const int threads = psamp_engine_cpu_default_threads();
    /* The largest n with bytes(n) <= budget (bytes grows with n); a slot takes at least its
     * KV cache, which bounds n (and keeps bytes(n) far from overflowing). */
    const uint64_t kv_slot = (uint64_t)c->n_layers * 2 * (uint64_t)c->hidden * (uint64_t)max_len * sizeof(float);
    const uint64_t bound = budget / (kv_slot ? kv_slot : 1) + 1;
    int32_t lo = 0, hi = bound < (uint64_t)(INT32_MAX / 4) ? (int32_t)bound : INT32_MAX / 4;
    if (psamp_engine_cpu_bytes(c, hi, max_len, threads) <= budget) return hi;
    while (hi - lo > 1) {
        int32_t mid = lo + (hi - lo) / 2;
        if (psamp_engine_cpu_bytes(c, mid, max_len, threads) <= budget) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* MemAvailable in bytes, or 0 when /proc/meminfo does not say. */
static uint64_t mem_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

int psamp_engine_cpu_max_slots(const opt_checkpoint *ck, int32_t max_len, int32_t *slots, psamp_err *err) {
    if (max_len < 1 || max_len > ck->cfg.max_positions)
        return psamp_fail(err, "cpu engine: max_len %d outside [1, %d] (max_position_embeddings)", max_len,
                          ck->cfg.max_positions);
    const uint64_t avail = mem_available();
    *slots = avail > 0 ? psamp_engine_cpu_slots_in(&ck->cfg, max_len, avail) : INT32_MAX / 4;
    return 0;
}

int32_t psamp_cpu_slots_fit(uint64_t per_slot_bytes) {
    const uint64_t avail = mem_available();
    return avail > 0 ? slots_fit(per_slot_bytes, avail) : INT32_MAX / 4;
}
