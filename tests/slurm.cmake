# A real one-node Slurm cluster (munge, slurmctld, slurmd from slurm-wlm) runs a toy sweep
# as a job array, one task killed and requeued; skipped (77, with the reason) where Slurm
# is not installed or cannot start. Not in the sanitizer build: cli_sweep covers the same
# code there, and the cluster takes most of a minute.
if(NOT PSAMP_SANITIZE)
  psamp_cli_test(NAME slurm_sweep SCRIPT slurm_sweep.sh LABELS slurm TIMEOUT 330)
endif()
