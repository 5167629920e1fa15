# The psamp command line: happy paths and every documented bad input.
psamp_cli_test(NAME cli_generate SCRIPT cli_generate.sh)
psamp_cli_test(NAME cli_score SCRIPT cli_score.sh)
psamp_cli_test(NAME cli_main SCRIPT cli_main.sh)
psamp_cli_test(NAME cli_docs SCRIPT cli_docs.sh)
psamp_cli_test(NAME cli_report SCRIPT cli_report.sh)
psamp_cli_test(NAME cli_fetch_opt SCRIPT cli_fetch_opt.sh)
psamp_cli_test(NAME cli_decoder_text SCRIPT cli_decoder_text.sh LABELS arch)
# SIGINT / SIGTERM: generate keeps the finished chains, a sweep resumes (cli_stop.h).
psamp_cli_test(NAME cli_interrupt SCRIPT cli_interrupt.sh LABELS sweep TIMEOUT 600)
