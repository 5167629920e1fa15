/* kernels/decoder_rmsnorm.cu as host C++ on the block emulator (kernel_emu.h). */
#include "decoder_rmsnorm.cu"
