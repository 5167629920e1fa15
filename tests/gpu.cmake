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
# The fp8 KV cache on the shipped trained model and its tasks: log p per token and per sample
# against the CPU engine, and the checker's verdicts, with each cache (64 problems per family).
psamp_c_test(NAME test_gpu_kv_fp8_model SOURCES gpu/test_gpu_kv_fp8_model.c ${PSAMP_GPU_TEST_UTIL} GPU
  LABELS engine opt)
# What tests/gpu/check.sh builds on the GPU machine resolves in this build (no GPU needed).
if(PSAMP_WITH_CUDA)
  add_test(NAME gpu_check_targets COMMAND bash ${CMAKE_SOURCE_DIR}/tests/gpu_check_targets.sh ${CMAKE_SOURCE_DIR}
    ${CMAKE_BINARY_DIR})
  set_tests_properties(gpu_check_targets PROPERTIES TIMEOUT 300 LABELS "cli")
endif()
# The fp8 KV cache through the whole engine: every fixture, fp16 and bf16 weights, every set of
# kernel variants (tests/cuda_emu.cmake runs three of them on the block emulator).
if(PSAMP_WITH_CUDA)
  add_test(NAME test_gpu_engine_kv_fp8 COMMAND test_gpu_engine --kv fp8)
  set_tests_properties(test_gpu_engine_kv_fp8 PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
    LABELS "engine;opt;gpu")
endif()
