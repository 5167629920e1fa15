/* How many CPU engine slots the machine has room for. Linux lends memory it does not have
 * (overcommit), so an engine whose KV cache is larger than the free memory starts fine and is
 * killed once its slots fill up; callers ask first and run fewer chains at a time. */
#include <stdio.h>
#include <string.h>

#include "engine_cpu.h"
#include "engine_cpu_forward.h"

/* Room kept for everything else: the weights' fp32 copy, the per-row buffers, the OS. */
#define RESERVE_BYTES ((uint64_t)512 << 20)

/* Slots of per_slot bytes that fit in avail_bytes beside the reserve. */
static int32_t slots_fit(uint64_t per_slot, uint64_t avail_bytes) {
    const uint64_t usable = avail_bytes - avail_bytes / 10;
    if (usable <= RESERVE_BYTES) return 0;
    const uint64_t fit = (usable - RESERVE_BYTES) / per_slot;
    return fit > (uint64_t)(INT32_MAX / 4) ? INT32_MAX / 4 : (int32_t)fit;
}

int32_t psamp_engine_cpu_slots_in(const opt_config *c, int32_t max_len, uint64_t avail_bytes) {
    /* A slot: fp32 K and V of every layer, and its token ids (engine_slots.c). */
    const uint64_t per_slot = (uint64_t)c->n_layers * 2 * (uint64_t)c->hidden * (uint64_t)max_len * 4 +
                              (uint64_t)max_len * 4 + 8;
    return slots_fit(per_slot, avail_bytes);
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
