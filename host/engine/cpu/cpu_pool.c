#include "cpu_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct cpu_pool {
    int n_threads;
    pthread_t *workers; /* n_threads - 1 of them */
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    uint64_t generation; /* bumped per run: workers start when it changes */
    int busy;            /* workers still inside the current run */
    int stop;
    /* the current run */
    cpu_pool_fn fn;
    void *ctx;
    int64_t n_items;
    atomic_llong next;
};

typedef struct {
    cpu_pool *pool;
    int thread;
} worker_arg;

static void drain(cpu_pool *p, int thread) {
    for (;;) {
        int64_t item = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (item >= p->n_items) return;
        p->fn(p->ctx, item, thread);
    }
}

static void *worker_main(void *arg) {
    cpu_pool *p = ((worker_arg *)arg)->pool;
    int thread = ((worker_arg *)arg)->thread;
    free(arg);
    uint64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->wake, &p->lock);
        if (p->stop) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        drain(p, thread);
        pthread_mutex_lock(&p->lock);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int cpu_pool_threads(const cpu_pool *pool) { return pool->n_threads; }

void cpu_pool_run(cpu_pool *p, int64_t n_items, cpu_pool_fn fn, void *ctx) {
    if (n_items <= 0) return;
    if (p->n_threads == 1 || n_items == 1) {
        for (int64_t i = 0; i < n_items; i++) fn(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->ctx = ctx;
    p->n_items = n_items;
    atomic_store(&p->next, 0);
    p->busy = p->n_threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    drain(p, 0);
    pthread_mutex_lock(&p->lock);
    while (p->busy > 0) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void cpu_pool_destroy(cpu_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_threads - 1; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
}

int cpu_pool_create(cpu_pool **out, int n_threads, psamp_err *err) {
    *out = NULL;
    if (n_threads < 1) return psamp_fail(err, "cpu pool: n_threads must be >= 1, got %d", n_threads);
    cpu_pool *p = calloc(1, sizeof *p);
    if (!p) return psamp_fail(err, "cpu pool: out of memory");
    p->workers = calloc((size_t)n_threads, sizeof *p->workers);
    if (!p->workers) {
        free(p);
        return psamp_fail(err, "cpu pool: out of memory");
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->next, 0);
    p->n_threads = 1; /* counts the caller plus the workers started so far */
    for (int i = 1; i < n_threads; i++) {
        worker_arg *arg = malloc(sizeof *arg);
        if (!arg) break;
        *arg = (worker_arg){p, i};
        if (pthread_create(&p->workers[i - 1], NULL, worker_main, arg) != 0) {
            free(arg);
            break;
        }
        p->n_threads++;
    }
    if (p->n_threads != n_threads) {
        cpu_pool_destroy(p);
        return psamp_fail(err, "cpu pool: could not start %d threads", n_threads);
    }
    *out = p;
    return 0;
}
