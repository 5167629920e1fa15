/* The block emulator of kernel_emu.h: every thread of a block is a fiber on its own stack,
 * run round-robin by one scheduler on the calling thread; a fiber runs until it waits at a
 * barrier (a shuffle is a warp barrier between writing its value and reading its partner's,
 * in one of two alternating exchange buffers; __syncthreads is a block barrier) or returns.
 * A scheduler round in which no barrier opens and no fiber ends is a deadlock. Fibers switch
 * with a few instructions of assembly on x86-64 (ucontext's swapcontext makes a system call
 * per switch: ten times slower) and with ucontext elsewhere. Test-only code: one
 * emulated launch at a time, state in this file. */
#include "kernel_emu.h"

#include <stdio.h>
#include <stdlib.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#include <vector>

extern "C" {
#include "mock.h" /* mock_submit: the stream (and graph capture) of the CUDA mock */
}

#if defined(__SANITIZE_ADDRESS__)
#define EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMU_ASAN 1
#endif
#endif
#ifdef EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__x86_64__)
/* psamp_emu_switch(&from_sp, to_sp): pushes the callee-saved registers, stores the stack
 * pointer in *from_sp, and resumes the context saved at to_sp (the System V ABI leaves every
 * other register to the caller; MXCSR and the x87 control word are never changed here). */
extern "C" void psamp_emu_switch(void **from_sp, void *to_sp);
__asm__(".text\n"
        ".globl psamp_emu_switch\n"
        ".type psamp_emu_switch,@function\n"
        "psamp_emu_switch:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  movq %rsp, (%rdi)\n  movq %rsi, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n"
        ".size psamp_emu_switch,.-psamp_emu_switch\n"
        ".section .note.GNU-stack,\"\",@progbits\n"
        ".text\n");
#endif

namespace psamp_emu {
namespace {

#if defined(__x86_64__)
struct context {
    void *sp = nullptr;
};
void switch_to(context &from, context &to) { psamp_emu_switch(&from.sp, to.sp); }
/* A context that starts entry() on [stack, stack + size) at its first switch; entry must
 * never return. */
void make_context(context &c, unsigned char *stack, size_t size, void (*entry)()) {
    void **sp = (void **)(((uintptr_t)stack + size) & ~(uintptr_t)15);
    *--sp = nullptr;       /* entry's return address (it never returns): entry starts as if called */
    *--sp = (void *)entry; /* taken by the switch's ret */
    for (int i = 0; i < 6; i++) *--sp = nullptr; /* rbp, rbx, r12..r15 */
    c.sp = sp;
}
#else
struct context {
    ucontext_t uc;
};
void switch_to(context &from, context &to) { swapcontext(&from.uc, &to.uc); }
void make_context(context &c, unsigned char *stack, size_t size, void (*entry)()) {
    if (getcontext(&c.uc) != 0) abort();
    c.uc.uc_stack.ss_sp = stack;
    c.uc.uc_stack.ss_size = size;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, entry, 0);
}
#endif

constexpr size_t kStackBytes = 256 << 10;
constexpr int kMaxThreads = 1024;
constexpr size_t kMaxSmem = 48 << 10; /* without cudaFuncSetAttribute */

struct barrier {
    int expected = 0, arrived = 0;
    unsigned generation = 0;
};

struct lane_slot {
    unsigned char bytes[8];
    size_t size;
    int offset;
};

struct warp_state {
    barrier bar;
    lane_slot lanes[2][32]; /* alternate shuffles use alternate buffers */
    int parity[32];         /* each lane's next buffer */
};

struct fiber {
    context ctx;
    std::vector<unsigned char> stack;
    uint3 tid;
    bool done = false;
};

struct emulator {
    dim3 grid, block;
    uint3 block_idx;
    std::vector<fiber> fibers;
    std::vector<warp_state> warps;
    barrier block_bar;
    std::vector<unsigned char> smem;
    const std::function<void()> *body = nullptr;
    context scheduler;
    int current = -1;
    long progress = 0; /* barriers opened + fibers ended */
    bool running = false;
#ifdef EMU_ASAN
    const void *sched_bottom = nullptr; /* the scheduler's stack, for ASan's fiber switches */
    size_t sched_size = 0;
#endif
};

emulator E;

int linear_tid() { return E.current; }

/* Fiber -> scheduler and back. */
void yield() {
    fiber &f = E.fibers[(size_t)E.current];
#ifdef EMU_ASAN
    void *fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, E.sched_bottom, E.sched_size);
#endif
    switch_to(f.ctx, E.scheduler);
#ifdef EMU_ASAN
    __sanitizer_finish_switch_fiber(fake, &E.sched_bottom, &E.sched_size);
#endif
}

void arrive(barrier &b) {
    const unsigned gen = b.generation;
    if (++b.arrived == b.expected) {
        b.arrived = 0;
        b.generation++;
        E.progress++;
        return;
    }
    while (b.generation == gen) yield();
}

/* A fiber's entry: the scheduler sets E.current before switching in. Never returns: the
 * finished fiber switches to the scheduler for good. */
void fiber_main() {
#ifdef EMU_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &E.sched_bottom, &E.sched_size);
#endif
    const int index = E.current;
    (*E.body)();
    fiber &f = E.fibers[(size_t)index];
    f.done = true;
    E.progress++;
#ifdef EMU_ASAN
    __sanitizer_start_switch_fiber(nullptr, E.sched_bottom, E.sched_size); /* stack done */
#endif
    switch_to(f.ctx, E.scheduler);
    abort(); /* a finished fiber is never resumed */
}

void run_block() {
    const int n = (int)(E.block.x * E.block.y * E.block.z);
    for (int t = 0; t < n; t++) {
        fiber &f = E.fibers[(size_t)t];
        f.done = false;
        f.tid = make_uint3((unsigned)t % E.block.x, (unsigned)t / E.block.x % E.block.y,
                           (unsigned)t / (E.block.x * E.block.y));
        make_context(f.ctx, f.stack.data(), f.stack.size(), fiber_main);
    }
    for (warp_state &w : E.warps) {
        w.bar = barrier{};
        for (int &p : w.parity) p = 0;
    }
    for (size_t w = 0; w < E.warps.size(); w++)
        E.warps[w].bar.expected = (int)(n - 32 * (int)w < 32 ? n - 32 * (int)w : 32);
    E.block_bar = barrier{};
    E.block_bar.expected = n;
    memset(E.smem.data(), 0xff, E.smem.size()); /* NaN: nothing was written yet */
    int left = n;
    while (left > 0) {
        const long before = E.progress;
        for (int t = 0; t < n; t++) {
            fiber &f = E.fibers[(size_t)t];
            if (f.done) continue;
            E.current = t;
#ifdef EMU_ASAN
            void *fake = nullptr;
            __sanitizer_start_switch_fiber(&fake, f.stack.data(), f.stack.size());
#endif
            switch_to(E.scheduler, f.ctx);
#ifdef EMU_ASAN
            __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
            if (f.done) left--;
        }
        E.current = -1;
        if (left > 0 && E.progress == before) fail("deadlock: threads wait at barriers or shuffles that not all threads reach");
    }
}

} // namespace

const uint3 &thread_index() { return E.fibers[(size_t)E.current].tid; }
const uint3 &block_index() { return E.block_idx; }
const dim3 &block_dim() { return E.block; }
const dim3 &grid_dim() { return E.grid; }
void *dynamic_smem() { return E.smem.data(); }

void sync_block() {
    if (E.current < 0) fail("__syncthreads outside a kernel");
    arrive(E.block_bar);
}

void shfl_xor_bytes(unsigned mask, const void *in, void *out, size_t size, int offset) {
    if (mask != 0xffffffffu) fail("shuffle with a partial mask");
    if (size > 8 || offset <= 0 || offset >= 32) fail("shuffle of an unsupported size or offset");
    const int t = linear_tid();
    warp_state &w = E.warps[(size_t)t / 32];
    const int lane = t % 32;
    if (w.bar.expected != 32) fail("shuffle in a warp of fewer than 32 threads");
    /* A lane can be one shuffle ahead of the slowest (the barrier stops it there), so two
     * buffers keep it from overwriting values not yet read. */
    lane_slot *buf = w.lanes[w.parity[lane]];
    w.parity[lane] ^= 1;
    memcpy(buf[lane].bytes, in, size);
    buf[lane].size = size;
    buf[lane].offset = offset;
    arrive(w.bar);
    if (lane == 0) /* one lane checks for the warp */
        for (int l = 1; l < 32; l++)
            if (buf[l].size != size || buf[l].offset != offset)
                fail("divergent shuffle: lanes disagree on offset or type");
    memcpy(out, buf[lane ^ offset].bytes, size);
}

void fail(const char *what) {
    if (E.running && E.current >= 0) {
        const uint3 &t = E.fibers[(size_t)E.current].tid;
        fprintf(stderr, "cuda emu: %s (block %u,%u,%u thread %u,%u,%u)\n", what, E.block_idx.x,
                E.block_idx.y, E.block_idx.z, t.x, t.y, t.z);
    } else {
        fprintf(stderr, "cuda emu: %s\n", what);
    }
    abort();
}

void submit(cudaStream_t stream, void (*replay)(const void *blob), const void *blob, size_t size) {
    (void)mock_submit(stream, replay, blob, size); /* a failure stays as the last error */
}

void run_grid(dim3 grid, dim3 block, size_t smem, const std::function<void()> &body) {
    const size_t n = (size_t)block.x * block.y * block.z;
    if (E.running) fail("a launch inside a kernel");
    if (n == 0 || n > kMaxThreads || grid.x == 0 || grid.y == 0 || grid.z == 0)
        fail("invalid launch configuration");
    if (smem > kMaxSmem) fail("dynamic shared memory over 48 KB");
    E.grid = grid;
    E.block = block;
    E.body = &body;
    if (E.fibers.size() < n) E.fibers.resize(n);
    for (fiber &f : E.fibers)
        if (f.stack.empty()) f.stack.resize(kStackBytes);
    E.warps.assign((n + 31) / 32, warp_state{});
    E.smem.assign(smem > 0 ? smem : 16, 0xff);
    E.running = true;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                E.block_idx = make_uint3(x, y, z);
                run_block();
            }
    E.running = false;
    E.body = nullptr;
}

} // namespace psamp_emu
