# pass@k, H3 and the throughput benchmark: their library pieces and their commands.
psamp_c_test(NAME test_passk SOURCES test_passk.c test_files.c LABELS unit passk)
psamp_c_test(NAME test_h3 SOURCES test_h3.c LABELS unit passk)
psamp_c_test(NAME test_math_answer SOURCES test_math_answer.c LABELS unit passk)
# 600 s: 24 s of CPU under the sanitizers, 192 s wall at load 15.
psamp_cli_test(NAME cli_passk SCRIPT cli_passk.sh LABELS passk TIMEOUT 600)
psamp_cli_test(NAME cli_h3 SCRIPT cli_h3.sh LABELS passk)
psamp_cli_test(NAME cli_bench SCRIPT cli_bench.sh LABELS passk)
# benchmarks/passk_pooling.sh runs (tiny size): both sides agree and the ratio line is printed.
psamp_cli_test(NAME bench_passk_pooling SCRIPT bench_passk_pooling.sh LABELS passk)
