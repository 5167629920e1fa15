# Experiments: H1 (power vs temperature), H2 (correction tracker), toy-world experiments.
psamp_c_test(NAME test_exp_config SOURCES test_exp_config.c LABELS unit experiments)
psamp_c_test(NAME test_h1 SOURCES test_h1.c LABELS unit experiments toy)
psamp_c_test(NAME test_h2 SOURCES test_h2.c LABELS unit experiments toy)
psamp_c_test(NAME test_toyexp_stats SOURCES test_toyexp_stats.c LABELS unit experiments toy)
psamp_cli_test(NAME cli_h1 SCRIPT cli_h1.sh LABELS experiments)
psamp_cli_test(NAME cli_h2 SCRIPT cli_h2.sh LABELS experiments)
psamp_cli_test(NAME cli_toyexp SCRIPT cli_toyexp.sh LABELS experiments toy)
psamp_cli_test(NAME plots_experiments SCRIPT plots_experiments.sh LABELS experiments)
# The arithmetic comparison's report (table and figures) from the committed CPU results.
psamp_cli_test(NAME plots_arith SCRIPT plots_arith.sh LABELS experiments)
