/* Shard specs and the balanced split (a greedy longest-first deal over a min-heap of
 * shard loads). */
#include "sweep_shard.h"

#include <stdlib.h>
#include <string.h>

static int parse_part(const char *s, size_t len, long *out) {
    if (len == 0 || len > 9) return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int sweep_shard_parse(const char *spec, int32_t *index, int32_t *count, psamp_err *err) {
    const char *slash = strchr(spec, '/');
    long i, n;
    if (!slash || parse_part(spec, (size_t)(slash - spec), &i) != 0 ||
        parse_part(slash + 1, strlen(slash + 1), &n) != 0)
        return psamp_fail(err, "--shard: expected I/N with whole numbers 0 <= I < N, got '%s'", spec);
    if (n < 1 || n > SWEEP_MAX_SHARDS)
        return psamp_fail(err, "--shard %s: the shard count must be from 1 to %d", spec, SWEEP_MAX_SHARDS);
    if (i >= n)
        return psamp_fail(err, "--shard %s: index %ld is not below the count %ld (shards are 0..%ld)",
                          spec, i, n, n - 1);
    *index = (int32_t)i;
    *count = (int32_t)n;
    return 0;
}

typedef struct {
    double load;
    int32_t shard;
} shard_load;

static int lighter(const shard_load *a, const shard_load *b) {
    return a->load < b->load || (a->load == b->load && a->shard < b->shard);
}

static void sift_down(shard_load *h, int32_t n, int32_t i) {
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && lighter(&h[l], &h[m])) m = l;
        if (r < n && lighter(&h[r], &h[m])) m = r;
        if (m == i) return;
        shard_load t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

typedef struct {
    double cost;
    int32_t point;
} point_cost;

static int costlier_first(const void *a_, const void *b_) {
    const point_cost *a = a_, *b = b_;
    if (a->cost != b->cost) return a->cost > b->cost ? -1 : 1;
    return (a->point > b->point) - (a->point < b->point);
}

int sweep_shard_assign(const double *cost, int32_t n, int32_t count, int32_t *shard_of,
                       psamp_err *err) {
    if (count < 1) return psamp_fail(err, "shard count must be positive (got %d)", count);
    shard_load *heap = malloc((size_t)count * sizeof *heap);
    point_cost *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    if (!heap || !order) {
        free(heap);
        free(order);
        return psamp_fail(err, "out of memory");
    }
    for (int32_t s = 0; s < count; s++) heap[s] = (shard_load){0.0, s}; /* a valid heap */
    for (int32_t i = 0; i < n; i++) order[i] = (point_cost){cost[i], i};
    qsort(order, (size_t)n, sizeof *order, costlier_first);
    for (int32_t k = 0; k < n; k++) {
        shard_of[order[k].point] = heap[0].shard;
        heap[0].load += order[k].cost;
        sift_down(heap, count, 0);
    }
    free(heap);
    free(order);
    return 0;
}
