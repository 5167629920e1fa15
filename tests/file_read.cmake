# The whole-file reader every loader uses (host/file_read.h).
psamp_c_test(NAME test_file_read SOURCES test_file_read.c test_files.c LABELS unit)
