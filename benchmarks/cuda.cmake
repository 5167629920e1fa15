# The CUDA engine's decode-step throughput and roofline (needs a GPU to run).
if(PSAMP_WITH_CUDA)
  add_executable(bench_cuda ${CMAKE_CURRENT_SOURCE_DIR}/bench_cuda.c
    ${CMAKE_CURRENT_SOURCE_DIR}/bench_cuda_kernels.c ${CMAKE_CURRENT_SOURCE_DIR}/bench_cuda_budget.c
    ${CMAKE_CURRENT_SOURCE_DIR}/bench_cuda_util.c)
  target_compile_options(bench_cuda PRIVATE ${PSAMP_C_WARNINGS})
  target_link_libraries(bench_cuda PRIVATE psamp_engine_cuda psamp_kernels)
  # The decoder forward on a random model with Qwen2.5-7B's shapes (cuda_notes.md).
  add_executable(bench_cuda_decoder ${CMAKE_CURRENT_SOURCE_DIR}/bench_cuda_decoder.c
    ${CMAKE_CURRENT_SOURCE_DIR}/bench_cuda_util.c)
  target_compile_options(bench_cuda_decoder PRIVATE ${PSAMP_C_WARNINGS})
  target_link_libraries(bench_cuda_decoder PRIVATE psamp_engine_cuda psamp_kernels)
endif()
