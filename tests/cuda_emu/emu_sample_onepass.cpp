/* kernels/sample_onepass.cu as host C++ on the block emulator (kernel_emu.h). */
#include "sample_onepass.cu"
