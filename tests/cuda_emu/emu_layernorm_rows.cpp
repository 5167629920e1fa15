/* kernels/layernorm_rows.cu as host C++ on the block emulator (kernel_emu.h). */
#include "layernorm_rows.cu"
