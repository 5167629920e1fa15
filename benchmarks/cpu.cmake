# The CPU engine's decode throughput against this machine's cblas_sgemm.
add_executable(bench_cpu_opt ${CMAKE_CURRENT_SOURCE_DIR}/bench_cpu_opt.c)
target_compile_options(bench_cpu_opt PRIVATE ${PSAMP_C_WARNINGS})
target_link_libraries(bench_cpu_opt PRIVATE psamp_engine_cpu psamp_util ${PSAMP_BLAS_LIB})
