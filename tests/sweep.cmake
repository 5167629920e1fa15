# psamp sweep: configs, points, shards (unit) and the command on toy worlds and the tiny
# OPT fixture: bad input, resume, a run killed mid-point, shards vs whole, merge.
psamp_c_test(NAME test_sweep_config SOURCES test_sweep_config.c LABELS unit sweep)
psamp_cli_test(NAME cli_sweep SCRIPT cli_sweep.sh LABELS sweep TIMEOUT 360)
# One writer per sweep folder (sweep_lock.h).
psamp_cli_test(NAME cli_sweep_lock SCRIPT cli_sweep_lock.sh LABELS sweep TIMEOUT 600)
# The heatmap and pass@k figure scripts on real runs (skipped without the plot environment).
psamp_cli_test(NAME plots_sweep_passk SCRIPT plots_sweep_passk.sh LABELS sweep passk)
