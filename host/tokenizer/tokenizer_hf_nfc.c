/* Unicode Normalization Form C (UAX #15) for tokenizer.json's "NFC" normalizer: canonical
 * decomposition (tables from scripts/gen_nfc_tables.py, Hangul by its algorithm), canonical
 * ordering of combining marks, then canonical composition. Pure ASCII, the common case, is
 * copied as it is. A byte that is not valid UTF-8 is kept as it is and acts as a starter
 * that composes with nothing (Hugging Face cannot take such bytes at all). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_hf_internal.h"
#include "tokenizer_hf_nfc_tables.h"
#include "utf8.h"

/* Code units for invalid bytes: above every code point, so no table has them. */
#define RAW_BYTE UINT32_C(0x80000000)

enum { S_BASE = 0xAC00, L_BASE = 0x1100, V_BASE = 0x1161, T_BASE = 0x11A7 };
enum { L_COUNT = 19, V_COUNT = 21, T_COUNT = 28, N_COUNT = V_COUNT * T_COUNT, S_COUNT = L_COUNT * N_COUNT };

static int ccc_of(uint32_t cp) {
    size_t lo = 0, hi = PSAMP_NFC_N_CCC;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (psamp_nfc_ccc_table[mid].cp < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < PSAMP_NFC_N_CCC && psamp_nfc_ccc_table[lo].cp == cp ? psamp_nfc_ccc_table[lo].ccc : 0;
}

/* Appends cp's full canonical decomposition to out; returns how many code points. */
static size_t decompose(uint32_t cp, uint32_t *out) {
    if (cp >= S_BASE && cp < S_BASE + S_COUNT) {
        uint32_t s = cp - S_BASE, t = s % T_COUNT;
        out[0] = L_BASE + s / N_COUNT;
        out[1] = V_BASE + (s % N_COUNT) / T_COUNT;
        if (t == 0) return 2;
        out[2] = T_BASE + t;
        return 3;
    }
    size_t lo = 0, hi = PSAMP_NFC_N_DECOMP;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (psamp_nfc_decomp_table[mid].cp < cp) lo = mid + 1;
        else hi = mid;
    }
    if (lo < PSAMP_NFC_N_DECOMP && psamp_nfc_decomp_table[lo].cp == cp) {
        const psamp_nfc_decomp *d = &psamp_nfc_decomp_table[lo];
        memcpy(out, psamp_nfc_decomp_pool + d->off, d->len * sizeof *out);
        return d->len;
    }
    out[0] = cp;
    return 1;
}

/* The primary composite of (a, b), or 0. */
static uint32_t compose(uint32_t a, uint32_t b) {
    if (a >= L_BASE && a < L_BASE + L_COUNT && b >= V_BASE && b < V_BASE + V_COUNT)
        return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT;
    if (a >= S_BASE && a < S_BASE + S_COUNT && (a - S_BASE) % T_COUNT == 0 && b > T_BASE &&
        b < T_BASE + T_COUNT)
        return a + (b - T_BASE);
    size_t lo = 0, hi = PSAMP_NFC_N_COMP;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const psamp_nfc_pair *p = &psamp_nfc_comp_table[mid];
        if (p->first < a || (p->first == a && p->second < b)) lo = mid + 1;
        else hi = mid;
    }
    if (lo < PSAMP_NFC_N_COMP && psamp_nfc_comp_table[lo].first == a &&
        psamp_nfc_comp_table[lo].second == b)
        return psamp_nfc_comp_table[lo].composite;
    return 0;
}

/* Stable sort of each run of non-starters by combining class (runs are short). */
static void canonical_order(uint32_t *cp, size_t n) {
    for (size_t i = 1; i < n; i++) {
        int c = ccc_of(cp[i]);
        if (c == 0) continue;
        for (size_t j = i; j > 0; j--) {
            int prev = ccc_of(cp[j - 1]);
            if (prev == 0 || prev <= c) break;
            uint32_t t = cp[j];
            cp[j] = cp[j - 1];
            cp[j - 1] = t;
        }
    }
}

/* Canonical composition in place; returns the new length. */
static size_t canonical_compose(uint32_t *cp, size_t n) {
    size_t out = 0;
    long starter = -1;
    int last_ccc = -1; /* class of the last character kept after the starter; -1: none */
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        int cc = ccc_of(c);
        if (starter >= 0 && (last_ccc < 0 || last_ccc < cc)) {
            uint32_t comp = compose(cp[starter], c);
            if (comp) {
                cp[starter] = comp;
                continue;
            }
        }
        if (cc == 0) {
            starter = (long)out;
            last_ccc = -1;
        } else {
            last_ccc = cc;
        }
        cp[out++] = c;
    }
    return out;
}

int psamp_hf_nfc(const unsigned char *s, size_t len, unsigned char **out, size_t *out_len,
                 psamp_err *err) {
    size_t ascii = 0;
    while (ascii < len && s[ascii] < 0x80) ascii++;
    *out = malloc(ascii == len ? len + 1 : 4 * len + 1);
    uint32_t *cp = ascii == len ? NULL : malloc((4 * len + 4) * sizeof *cp);
    if (!*out || (ascii < len && !cp)) {
        free(*out);
        free(cp);
        *out = NULL;
        return psamp_fail(err, "encode: out of memory normalizing %zu bytes", len);
    }
    if (ascii == len) {
        memcpy(*out, s, len);
        *out_len = len;
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t k = psamp_utf8_next(s, len, i, &c);
        if (c == PSAMP_UTF8_INVALID) cp[n++] = RAW_BYTE | s[i];
        else n += decompose(c, cp + n);
        i += k;
    }
    canonical_order(cp, n);
    n = canonical_compose(cp, n);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (cp[i] & RAW_BYTE) (*out)[o++] = (unsigned char)(cp[i] & 0xFF);
        else o += psamp_utf8_encode(cp[i], *out + o);
    }
    free(cp);
    *out_len = o;
    return 0;
}
