/* kernels/decoder_attention.cu as host C++ on the block emulator (kernel_emu.h). */
#include "decoder_attention.cu"
