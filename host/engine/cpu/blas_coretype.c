/* Detects OpenBLAS's fallback to its oldest x86 kernels on CPUs it does not know (OpenBLAS
 * issue #4267, fixed in 0.3.25; Debian 12 ships 0.3.21) and names the kernel set to ask for
 * instead. Those kernels run sgemm about 3x slower on an AVX-512 machine. OpenBLAS reads
 * OPENBLAS_CORETYPE only when it loads, so the fix is to run the program again with it set. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_cpu.h"

char *openblas_get_corename(void);

const char *psamp_blas_coretype_hint(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    const char *core = openblas_get_corename();
    if (!core || strcmp(core, "Prescott") != 0) return NULL;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
    return NULL;
}

int psamp_blas_coretype_reexec(char *const argv[], psamp_err *err) {
    /* A value already there is the user's choice, or this process is the re-run: either
     * way, never change it (which also keeps the re-run from running again). */
    if (getenv("OPENBLAS_CORETYPE")) return 0;
    const char *hint = psamp_blas_coretype_hint();
    if (!hint) return 0;
    if (setenv("OPENBLAS_CORETYPE", hint, 1) != 0)
        return psamp_fail(err, "cannot set OPENBLAS_CORETYPE=%s (%s): sgemm runs about 3x slower; "
                          "set it yourself", hint, strerror(errno));
    execv("/proc/self/exe", argv);
    return psamp_fail(err, "re-running with OPENBLAS_CORETYPE=%s failed (%s): sgemm runs about "
                      "3x slower; set OPENBLAS_CORETYPE=%s yourself", hint, strerror(errno), hint);
}
