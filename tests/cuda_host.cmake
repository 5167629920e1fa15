# Host-side pieces of the CUDA work that run anywhere: fp32 -> fp16/bf16 narrowing, the
# slot table of the OPT engines, and the plain C GEMM that stands in for OpenBLAS.
psamp_c_test(NAME test_tensor_narrow SOURCES test_tensor_narrow.c LABELS unit)
psamp_c_test(NAME test_engine_slots SOURCES test_engine_slots.c LABELS unit)
psamp_c_test(NAME test_sgemm_plain SOURCES test_sgemm_plain.c
  ${CMAKE_SOURCE_DIR}/host/engine/cpu/blas_fallback/sgemm_plain.c LABELS unit)
target_include_directories(test_sgemm_plain PRIVATE ${CMAKE_SOURCE_DIR}/host/engine/cpu/blas_fallback)
