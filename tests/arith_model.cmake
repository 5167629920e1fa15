# The shipped arithmetic models (weights/psamp-arith-*): psamp score equals transformers' log p.
psamp_cli_test(NAME arith_parity SCRIPT arith_parity.sh LABELS "opt")
# The arithmetic experiment's CI configs against their committed numbers (about 10 s of CPU).
psamp_cli_test(NAME arith_ci SCRIPT arith_ci.sh LABELS "opt;experiments" TIMEOUT 600)
