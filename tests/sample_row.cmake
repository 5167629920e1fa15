psamp_c_test(NAME test_sample_row SOURCES test_sample_row.c LABELS unit)
