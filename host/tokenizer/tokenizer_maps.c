/* The tokenizer's two hash maps, both open addressing with linear probing over a
 * power-of-two table at most half full: token spelling -> id, and id pair -> merge. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

static uint64_t hash_bytes(const char *s, size_t len) { /* FNV-1a */
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static uint64_t hash_pair(uint64_t pair) { /* splitmix64's finalizer */
    pair ^= pair >> 30;
    pair *= UINT64_C(0xbf58476d1ce4e5b9);
    pair ^= pair >> 27;
    pair *= UINT64_C(0x94d049bb133111eb);
    return pair ^ (pair >> 31);
}

static size_t table_capacity(size_t entries) {
    size_t cap = 16;
    while (cap < 2 * entries) cap *= 2;
    return cap;
}

static int spelling_equals(const psamp_tokenizer *tok, int32_t id, const char *s, size_t len) {
    return (size_t)tok->spelling_len[id] == len &&
           memcmp(tok->spelling_pool + tok->spelling_off[id], s, len) == 0;
}

int psamp_tok_vocab_map_build(psamp_tokenizer *tok, psamp_err *err) {
    size_t cap = table_capacity((size_t)tok->n_tokens);
    tok->vocab_slots = malloc(cap * sizeof *tok->vocab_slots);
    if (!tok->vocab_slots) return psamp_fail(err, "out of memory for %zu vocabulary slots", cap);
    for (size_t i = 0; i < cap; i++) tok->vocab_slots[i] = -1;
    tok->vocab_mask = cap - 1;
    for (int32_t id = 0; id < tok->vocab_size; id++) {
        if (tok->spelling_len[id] < 0) continue;
        const char *s = tok->spelling_pool + tok->spelling_off[id];
        size_t len = (size_t)tok->spelling_len[id];
        size_t slot = hash_bytes(s, len) & tok->vocab_mask;
        while (tok->vocab_slots[slot] >= 0) {
            if (spelling_equals(tok, tok->vocab_slots[slot], s, len))
                return psamp_fail(err, "token \"%.*s\" appears twice (ids %d and %d)", (int)len, s,
                                  tok->vocab_slots[slot], id);
            slot = (slot + 1) & tok->vocab_mask;
        }
        tok->vocab_slots[slot] = id;
    }
    return 0;
}

int32_t psamp_tok_vocab_find(const psamp_tokenizer *tok, const char *s, size_t len) {
    size_t slot = hash_bytes(s, len) & tok->vocab_mask;
    for (;;) {
        int32_t id = tok->vocab_slots[slot];
        if (id < 0 || spelling_equals(tok, id, s, len)) return id;
        slot = (slot + 1) & tok->vocab_mask;
    }
}

int psamp_tok_merge_map_init(psamp_tokenizer *tok, size_t expected, psamp_err *err) {
    size_t cap = table_capacity(expected);
    tok->merge_slots = malloc(cap * sizeof *tok->merge_slots);
    if (!tok->merge_slots) return psamp_fail(err, "out of memory for %zu merge slots", cap);
    for (size_t i = 0; i < cap; i++) tok->merge_slots[i].rank = -1;
    tok->merge_mask = cap - 1;
    return 0;
}

static uint64_t pair_key(int32_t left, int32_t right) {
    return (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
}

/* The caller sized the table for every merge line, so it never fills past half. */
void psamp_tok_merge_put(psamp_tokenizer *tok, int32_t left, int32_t right, int32_t rank,
                         int32_t merged) {
    uint64_t key = pair_key(left, right);
    size_t slot = hash_pair(key) & tok->merge_mask;
    while (tok->merge_slots[slot].rank >= 0 && tok->merge_slots[slot].pair != key)
        slot = (slot + 1) & tok->merge_mask;
    tok->merge_slots[slot].pair = key;
    tok->merge_slots[slot].rank = rank;
    tok->merge_slots[slot].merged = merged;
}

const psamp_tok_merge *psamp_tok_merge_find(const psamp_tokenizer *tok, int32_t left, int32_t right) {
    uint64_t key = pair_key(left, right);
    size_t slot = hash_pair(key) & tok->merge_mask;
    for (;;) {
        const psamp_tok_merge *m = &tok->merge_slots[slot];
        if (m->rank < 0) return NULL;
        if (m->pair == key) return m;
        slot = (slot + 1) & tok->merge_mask;
    }
}
