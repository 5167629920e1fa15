# The shipped arithmetic models (weights/psamp-arith-*): psamp score equals transformers' log p.
psamp_cli_test(NAME arith_parity SCRIPT arith_parity.sh LABELS "opt")
