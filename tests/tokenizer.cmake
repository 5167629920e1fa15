# The GPT-2 byte-level BPE tokenizer: ids identical to Hugging Face's on the fixture, exact
# round trips (fuzzed), and a one-line error for every broken file.
psamp_c_test(NAME test_tokenizer SOURCES test_tokenizer.c LABELS unit tokenizer)
psamp_c_test(NAME test_tokenizer_files SOURCES test_tokenizer_files.c LABELS unit tokenizer)
