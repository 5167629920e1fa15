# The GPT-2 byte-level BPE tokenizer: ids identical to Hugging Face's on the fixture, exact
# round trips (fuzzed), and a one-line error for every broken file.
psamp_c_test(NAME test_tokenizer SOURCES test_tokenizer.c LABELS unit tokenizer)
psamp_c_test(NAME test_tokenizer_files SOURCES test_tokenizer_files.c test_files.c
  LABELS unit tokenizer)

# Throughput tool (not a test): bench_tokenizer VOCAB MERGES TEXT [MB] [IDS_OUT].
add_executable(bench_tokenizer bench_tokenizer.c)
target_compile_options(bench_tokenizer PRIVATE ${PSAMP_C_WARNINGS})
target_link_libraries(bench_tokenizer PRIVATE psamp_testlib)

# tokenizer.json tokenizers (Qwen2, Llama-3, Phi-3.5 shapes): ids and decoded text identical
# to transformers on tests/fixtures/hf_tokenizer_cases.json; broken files fail in one line.
psamp_c_test(NAME test_tokenizer_hf SOURCES test_tokenizer_hf.c LABELS unit tokenizer)
psamp_c_test(NAME test_tokenizer_hf_files SOURCES test_tokenizer_hf_files.c test_files.c
  LABELS unit tokenizer)
