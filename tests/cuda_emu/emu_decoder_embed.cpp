/* kernels/decoder_embed.cu as host C++ on the block emulator (kernel_emu.h). */
#include "decoder_embed.cu"
