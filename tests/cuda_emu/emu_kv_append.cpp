/* kernels/kv_append.cu as host C++ on the block emulator (kernel_emu.h). */
#include "kv_append.cu"
