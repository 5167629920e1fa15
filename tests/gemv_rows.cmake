psamp_c_test(NAME test_gemv_rows SOURCES test_gemv_rows.c LABELS unit)
