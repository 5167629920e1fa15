# OpenBLAS's kernel choice: the re-run with OPENBLAS_CORETYPE on a CPU it misdetects (the
# psamp program and benchmarks/bench_cpu_opt do it first thing), and a user's own value kept.
psamp_c_test(NAME test_blas_coretype SOURCES test_blas_coretype.c LABELS unit)
set_tests_properties(test_blas_coretype PROPERTIES
  ENVIRONMENT_MODIFICATION "OPENBLAS_CORETYPE=unset:;PSAMP_TEST_BLAS_RUNS=unset:;PSAMP_TEST_BLAS_FIRST_HINT=unset:")
add_test(NAME test_blas_coretype_user COMMAND test_blas_coretype --user Prescott)
set_tests_properties(test_blas_coretype_user PROPERTIES LABELS unit TIMEOUT 60
  ENVIRONMENT "OPENBLAS_CORETYPE=Prescott"
  ENVIRONMENT_MODIFICATION "PSAMP_TEST_BLAS_RUNS=unset:;PSAMP_TEST_BLAS_FIRST_HINT=unset:")
