/* The CUDA runtime calls the engine makes, on the host: memory, streams, events, stream
 * capture and graphs (see mock.h for the capture rules). */
#include <cuda_runtime_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "tensor_narrow.h"

#define MOCK_MAX_ARGS 256
#define MOCK_MAX_STREAMS 16 /* streams taking part in one capture */

/* A stream: its place in the open capture (-1: none) and its vector clock there: clock[j]
 * is how many operations of capture stream j come before its next operation. */
typedef struct {
    int index;
    int clock[MOCK_MAX_STREAMS];
} mock_stream;

/* An event: recorded in the open capture (with the recording stream's clock), or not, and
 * then at which time of the mock's clock. */
typedef struct {
    int captured;
    int clock[MOCK_MAX_STREAMS];
    double at_ms;
} mock_event;

typedef struct {
    void (*fn)(const void *args);
    int stream;                 /* capture stream index */
    int deps[MOCK_MAX_STREAMS]; /* operations of each stream that must run before it */
    _Alignas(16) unsigned char args[MOCK_MAX_ARGS]; /* read back as the launcher's struct */
} mock_op;

typedef struct {
    mock_op *ops;
    int n, cap;
    int n_streams;
    int launches; /* graph launches so far: each picks its replay order from this */
} mock_graph;

/* The open capture (test-only state: the mock serves one thread). */
static struct {
    mock_graph *graph;
    mock_stream *origin;
    mock_stream *members[MOCK_MAX_STREAMS];
    int count[MOCK_MAX_STREAMS]; /* operations recorded per member */
} capture;

static cudaError_t last_error = cudaSuccess;
static double clock_ms; /* fake device time (mock.h) */
static size_t free_bytes_reported = (size_t)8 << 30;

void mock_clock_advance(double ms) { clock_ms += ms; }

static cudaError_t fail_with(cudaError_t e) {
    last_error = e;
    return e;
}

static int capturing(void) { return capture.graph != NULL; }

int mock_capturing(void) { return capturing(); }

/* s takes part in the open capture. */
static int member(cudaStream_t s) {
    return capturing() && s && ((mock_stream *)s)->index >= 0;
}

cudaError_t mock_submit(cudaStream_t stream, void (*fn)(const void *args), const void *args,
                        size_t size) {
    if (size > MOCK_MAX_ARGS) return fail_with(cudaErrorInvalidValue);
    if (!capturing()) {
        fn(args);
        return cudaSuccess;
    }
    if (!member(stream)) return fail_with(cudaErrorStreamCaptureImplicit);
    mock_graph *g = capture.graph;
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 64;
        mock_op *grown = realloc(g->ops, (size_t)cap * sizeof *grown);
        if (!grown) return fail_with(cudaErrorMemoryAllocation);
        g->ops = grown;
        g->cap = cap;
    }
    mock_stream *s = (mock_stream *)stream;
    mock_op *op = &g->ops[g->n++];
    op->fn = fn;
    op->stream = s->index;
    memcpy(op->deps, s->clock, sizeof op->deps);
    memcpy(op->args, args, size);
    s->clock[s->index]++;
    capture.count[s->index]++;
    return cudaSuccess;
}

void mock_load(const void *base, psamp_dtype dt, size_t offset, size_t n, float *out) {
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    psamp_tensor view = {(const unsigned char *)base + offset * es, dt, 1, {(int64_t)n, 0}, "mock"};
    psamp_tensor_to_f32(&view, out);
}

void mock_store(void *base, psamp_dtype dt, size_t offset, size_t n, const float *in) {
    const size_t es = dt == PSAMP_F32 ? 4 : 2;
    psamp_f32_to_dtype(in, n, dt, (unsigned char *)base + offset * es);
}

int mock_dtype_of(cudaDataType_t t, psamp_dtype *out) {
    if (t == CUDA_R_32F) *out = PSAMP_F32;
    else if (t == CUDA_R_16F) *out = PSAMP_F16;
    else if (t == CUDA_R_16BF) *out = PSAMP_BF16;
    else return -1;
    return 0;
}

/* ---- runtime ---------------------------------------------------------------------- */

cudaError_t cudaGetDeviceCount(int *count) {
    *count = 1;
    return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : cudaErrorInvalidDevice; }
cudaError_t cudaGetLastError(void) {
    const cudaError_t e = last_error;
    last_error = cudaSuccess;
    return e;
}
const char *cudaGetErrorString(cudaError_t error) {
    switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorStreamCaptureImplicit: return "mock: work on a stream outside the open capture";
    case cudaErrorStreamCaptureUnjoined: return "mock: a stream of the capture was not joined back";
    case cudaErrorStreamCaptureIsolation: return "mock: a capture waited on an event from outside it";
    case cudaErrorStreamCaptureUnsupported: return "mock: an operation not allowed in a capture";
    default: return "mock CUDA error";
    }
}
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device) {
    memset(prop, 0, sizeof *prop);
    strcpy(prop->name, "CPU mock of a CUDA device");
    return device == 0 ? cudaSuccess : cudaErrorInvalidDevice;
}
void mock_set_free_bytes(size_t free_bytes) { free_bytes_reported = free_bytes; }

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
    *free_bytes = free_bytes_reported;
    *total_bytes = (size_t)16 << 30;
    return cudaSuccess;
}
/* 256-byte aligned like cudaMalloc, and exactly `size` bytes, so that AddressSanitizer sees
 * a kernel reading past the end of a buffer. */
cudaError_t cudaMalloc(void **ptr, size_t size) {
    *ptr = NULL;
    if (posix_memalign(ptr, 256, size ? size : 1) != 0) *ptr = NULL;
    return *ptr ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFree(void *ptr) {
    free(ptr);
    return cudaSuccess;
}
cudaError_t cudaMallocHost(void **ptr, size_t size) { return cudaMalloc(ptr, size); }
cudaError_t cudaFreeHost(void *ptr) { return cudaFree(ptr); }
cudaError_t cudaMemset(void *ptr, int value, size_t count) {
    memset(ptr, value, count);
    return cudaSuccess;
}
cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind) {
    (void)kind;
    memcpy(dst, src, count);
    return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                            cudaStream_t stream) {
    (void)stream;
    if (capturing()) return cudaErrorStreamCaptureUnsupported; /* the engine never does */
    return cudaMemcpy(dst, src, count, kind);
}
cudaError_t cudaDeviceSynchronize(void) {
    return capturing() ? cudaErrorStreamCaptureUnsupported : cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    (void)stream;
    return capturing() ? cudaErrorStreamCaptureUnsupported : cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned int flags) {
    (void)flags;
    mock_stream *s = calloc(1, sizeof *s);
    if (!s) return cudaErrorMemoryAllocation;
    s->index = -1;
    *stream = (cudaStream_t)s;
    return cudaSuccess;
}
cudaError_t cudaStreamCreateWithPriority(cudaStream_t *stream, unsigned int flags, int priority) {
    int least = 0, greatest = 0;
    (void)cudaDeviceGetStreamPriorityRange(&least, &greatest);
    if (priority > least || priority < greatest) return cudaErrorInvalidValue;
    return cudaStreamCreateWithFlags(stream, flags);
}
/* An H100's range: 0 (least) to -5 (greatest). */
cudaError_t cudaDeviceGetStreamPriorityRange(int *least, int *greatest) {
    *least = 0;
    *greatest = -5;
    return cudaSuccess;
}
cudaError_t cudaStreamIsCapturing(cudaStream_t stream, enum cudaStreamCaptureStatus *status) {
    *status = member(stream) ? cudaStreamCaptureStatusActive : cudaStreamCaptureStatusNone;
    return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    if (member(stream)) return cudaErrorStreamCaptureUnsupported;
    free(stream);
    return cudaSuccess;
}

/* ---- events ----------------------------------------------------------------------- */

cudaError_t cudaEventCreateWithFlags(cudaEvent_t *event, unsigned int flags) {
    (void)flags;
    mock_event *e = calloc(1, sizeof *e);
    if (!e) return cudaErrorMemoryAllocation;
    *event = (cudaEvent_t)e;
    return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t *event) { return cudaEventCreateWithFlags(event, 0); }
cudaError_t cudaEventSynchronize(cudaEvent_t event) {
    (void)event;
    return capturing() ? cudaErrorStreamCaptureUnsupported : cudaSuccess;
}
/* The fake device time between two events recorded outside a capture (mock.h). */
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end) {
    if (capturing()) {
        mock_note_timing_in_capture();
        return fail_with(cudaErrorStreamCaptureUnsupported);
    }
    *ms = (float)(((mock_event *)end)->at_ms - ((mock_event *)start)->at_ms);
    return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
    free(event);
    return cudaSuccess;
}
/* Outside a capture the mock has run everything enqueued already: nothing to record. */
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
    mock_event *e = (mock_event *)event;
    if (capturing() && !stream) return fail_with(cudaErrorStreamCaptureImplicit);
    e->captured = member(stream);
    if (e->captured) memcpy(e->clock, ((mock_stream *)stream)->clock, sizeof e->clock);
    e->at_ms = clock_ms;
    return cudaSuccess;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags) {
    (void)flags;
    mock_event *e = (mock_event *)event;
    if (!capturing()) return cudaSuccess;
    if (!stream) return fail_with(cudaErrorStreamCaptureImplicit);
    mock_stream *s = (mock_stream *)stream;
    if (!e->captured) /* a capture may not depend on work outside it */
        return member(stream) ? fail_with(cudaErrorStreamCaptureIsolation) : cudaSuccess;
    if (s->index < 0) { /* s joins the capture */
        const int i = capture.graph->n_streams;
        if (i == MOCK_MAX_STREAMS) return fail_with(cudaErrorInvalidValue);
        capture.graph->n_streams++;
        capture.members[i] = s;
        capture.count[i] = 0;
        s->index = i;
        memset(s->clock, 0, sizeof s->clock);
    }
    for (int j = 0; j < MOCK_MAX_STREAMS; j++)
        if (e->clock[j] > s->clock[j]) s->clock[j] = e->clock[j];
    return cudaSuccess;
}

/* ---- capture and graphs ----------------------------------------------------------- */

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, enum cudaStreamCaptureMode mode) {
    (void)mode;
    if (capturing() || !stream) return cudaErrorIllegalState;
    capture.graph = calloc(1, sizeof *capture.graph);
    if (!capture.graph) return cudaErrorMemoryAllocation;
    mock_stream *s = (mock_stream *)stream;
    capture.origin = s;
    capture.members[0] = s;
    capture.count[0] = 0;
    capture.graph->n_streams = 1;
    s->index = 0;
    memset(s->clock, 0, sizeof s->clock);
    return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *graph) {
    if (!capturing() || (mock_stream *)stream != capture.origin) return cudaErrorIllegalState;
    mock_graph *g = capture.graph;
    cudaError_t rc = cudaSuccess;
    /* Every operation of every stream taking part must come before the origin's end. */
    for (int i = 0; i < g->n_streams; i++)
        if (capture.origin->clock[i] < capture.count[i]) rc = cudaErrorStreamCaptureUnjoined;
    for (int i = 0; i < g->n_streams; i++) capture.members[i]->index = -1;
    capture.graph = NULL;
    capture.origin = NULL;
    if (rc != cudaSuccess) {
        free(g->ops);
        free(g);
        *graph = NULL;
        return rc;
    }
    *graph = (cudaGraph_t)g;
    return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags) {
    if (flags & ~(unsigned long long)cudaGraphInstantiateFlagUseNodePriority)
        return cudaErrorInvalidValue; /* the engine asks for nothing else */
    const mock_graph *g = (const mock_graph *)graph;
    mock_graph *copy = calloc(1, sizeof *copy);
    if (!copy) return cudaErrorMemoryAllocation;
    copy->ops = malloc((size_t)(g->n > 0 ? g->n : 1) * sizeof *copy->ops);
    if (!copy->ops) {
        free(copy);
        return cudaErrorMemoryAllocation;
    }
    if (g->n) memcpy(copy->ops, g->ops, (size_t)g->n * sizeof *copy->ops);
    copy->n = copy->cap = g->n;
    copy->n_streams = g->n_streams;
    *exec = (cudaGraphExec_t)copy;
    return cudaSuccess;
}

/* Replays g's operations in an order that respects only their dependencies: policy 0 the
 * recorded order, 1 the ready operation of the highest stream first, 2 of the lowest. */
static cudaError_t replay(const mock_graph *g, int policy) {
    if (policy == 0) {
        for (int i = 0; i < g->n; i++) g->ops[i].fn(g->ops[i].args);
        return cudaSuccess;
    }
    int next[MOCK_MAX_STREAMS] = {0}; /* each stream's next operation (index into ops) */
    int done[MOCK_MAX_STREAMS] = {0};
    for (int s = 0; s < g->n_streams; s++) {
        next[s] = 0;
        while (next[s] < g->n && g->ops[next[s]].stream != s) next[s]++;
    }
    for (int left = g->n; left > 0; left--) {
        int pick = -1;
        for (int k = 0; k < g->n_streams && pick < 0; k++) {
            const int s = policy == 1 ? g->n_streams - 1 - k : k;
            if (next[s] >= g->n) continue;
            const mock_op *op = &g->ops[next[s]];
            int ready = 1;
            for (int j = 0; j < g->n_streams; j++) ready &= done[j] >= op->deps[j];
            if (ready) pick = s;
        }
        if (pick < 0) return cudaErrorInvalidValue; /* cannot happen: the capture was acyclic */
        const mock_op *op = &g->ops[next[pick]];
        op->fn(op->args);
        done[pick]++;
        do next[pick]++;
        while (next[pick] < g->n && g->ops[next[pick]].stream != pick);
    }
    return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
    (void)stream;
    mock_graph *g = (mock_graph *)exec;
    return replay(g, g->launches++ % 3);
}
static void free_graph(mock_graph *g) {
    if (g) free(g->ops);
    free(g);
}
cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
    free_graph((mock_graph *)graph);
    return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
    free_graph((mock_graph *)exec);
    return cudaSuccess;
}
