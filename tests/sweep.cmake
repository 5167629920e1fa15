# psamp sweep: configs, points, shards (unit) and the command on toy worlds and the tiny
# OPT fixture: bad input, resume, a run killed mid-point, shards vs whole, merge.
psamp_c_test(NAME test_sweep_config SOURCES test_sweep_config.c LABELS unit sweep)
psamp_cli_test(NAME cli_sweep SCRIPT cli_sweep.sh LABELS sweep TIMEOUT 120)
