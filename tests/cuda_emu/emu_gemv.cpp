/* kernels/gemv.cu as host C++ on the block emulator (kernel_emu.h). */
#include "gemv.cu"
