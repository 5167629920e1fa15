/* kernels/decoder_swiglu.cu as host C++ on the block emulator (kernel_emu.h). */
#include "decoder_swiglu.cu"
