/* Detects OpenBLAS's fallback to its oldest x86 kernels on CPUs it does not know (OpenBLAS
 * issue #4267, fixed in 0.3.25; Debian 12 ships 0.3.21) and names the kernel set to ask for
 * instead. Those kernels run sgemm about 3x slower on an AVX-512 machine. */
#include <stddef.h>
#include <string.h>

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
