psamp_c_test(NAME test_philox SOURCES test_philox.c LABELS unit)
