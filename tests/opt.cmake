# OPT checkpoint loading, the CPU engine against Hugging Face fixtures.
psamp_c_test(NAME test_safetensors SOURCES test_safetensors.c test_files.c LABELS unit opt)
