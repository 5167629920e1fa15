# Toy worlds: the spec loader, the toy engine, the exact dynamic programs and `psamp exact`.
psamp_c_test(NAME test_toy_world SOURCES test_toy_world.c LABELS unit toy)
psamp_c_test(NAME test_engine_toy SOURCES test_engine_toy.c LABELS unit toy)
psamp_c_test(NAME test_toy_exact SOURCES test_toy_exact.c LABELS unit toy)
psamp_cli_test(NAME cli_exact SCRIPT cli_exact.sh LABELS toy)
