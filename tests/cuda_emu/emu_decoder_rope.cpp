/* kernels/decoder_rope.cu as host C++ on the block emulator (kernel_emu.h). */
#include "decoder_rope.cu"
