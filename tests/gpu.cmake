# The CUDA engine: kernels against CPU references, the engine against the CPU engine
# (label gpu: each test exits 77, "skipped", without a GPU). tests/gpu/check.sh runs them
# on a GPU machine with PSAMP_REQUIRE_GPU=1, which turns a missing GPU into a failure.
set(PSAMP_GPU_TEST_UTIL gpu/gpu_test.c)
psamp_c_test(NAME test_gpu_kernels SOURCES gpu/test_gpu_kernels.c ${PSAMP_GPU_TEST_UTIL} GPU LABELS unit)
psamp_c_test(NAME test_gpu_attention SOURCES gpu/test_gpu_attention.c ${PSAMP_GPU_TEST_UTIL} GPU LABELS unit)
psamp_c_test(NAME test_gpu_gemv SOURCES gpu/test_gpu_gemv.c ${PSAMP_GPU_TEST_UTIL} GPU LABELS unit)
psamp_c_test(NAME test_gpu_decoder SOURCES gpu/test_gpu_decoder.c ${PSAMP_GPU_TEST_UTIL} GPU LABELS unit)
psamp_c_test(NAME test_gpu_decoder_forward SOURCES gpu/test_gpu_decoder_forward.c ${PSAMP_GPU_TEST_UTIL} GPU
  LABELS engine)
psamp_c_test(NAME test_gpu_sample SOURCES gpu/test_gpu_sample.c ${PSAMP_GPU_TEST_UTIL} GPU LABELS unit)
psamp_c_test(NAME test_gpu_engine SOURCES gpu/test_gpu_engine.c ${PSAMP_GPU_TEST_UTIL} GPU
  LABELS engine opt)
psamp_c_test(NAME test_gpu_engine_decoder SOURCES gpu/test_gpu_engine_decoder.c ${PSAMP_GPU_TEST_UTIL} GPU
  LABELS engine arch)
# The fp8 KV cache through the whole engine: every fixture, fp16 and bf16 weights, every set of
# kernel variants (tests/cuda_emu.cmake runs three of them on the block emulator).
if(PSAMP_WITH_CUDA)
  add_test(NAME test_gpu_engine_kv_fp8 COMMAND test_gpu_engine --kv fp8)
  set_tests_properties(test_gpu_engine_kv_fp8 PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
    LABELS "engine;opt;gpu")
endif()
