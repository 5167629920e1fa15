# Reading whole input files (host/file_read.h) and writing CSV fields (host/csv_write.h).
psamp_c_test(NAME test_file_read SOURCES test_file_read.c test_files.c LABELS unit)
psamp_c_test(NAME test_csv_write SOURCES test_csv_write.c LABELS unit)
