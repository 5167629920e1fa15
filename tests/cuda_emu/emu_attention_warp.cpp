/* kernels/attention_warp.cu as host C++ on the block emulator (kernel_emu.h). */
#include "attention_warp.cu"
