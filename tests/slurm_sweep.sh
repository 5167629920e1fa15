#!/usr/bin/env bash
# A real Slurm cluster on localhost runs a toy-world sweep as a job array
# (experiments/slurm/sweep.sbatch, one shard per task); one task is killed mid-run and
# requeued; the merged results must equal the same sweep run whole, sample for sample.
#
# The cluster: munged with a freshly generated key, slurmctld and slurmd from Debian's
# slurm-wlm, a generated slurm.conf, all in a temporary folder, on free ports. Every
# daemon this script starts is stopped on exit, whatever happens. Where Slurm is not
# installed or cannot start, the script says why and exits 77 (CTest: skipped).
set -u
PSAMP=${PSAMP:?run through ctest (PSAMP names the psamp binary)}
src=${PSAMP_SOURCE_DIR:?}
export PATH=$PATH:/usr/sbin:/sbin # the daemons live there; not every root PATH has it
skip() {
  echo "SKIPPED: $*"
  exit 77
}
for tool in munged slurmctld slurmd sbatch squeue scontrol sinfo python3; do
  command -v $tool >/dev/null 2>&1 || skip "$tool not found: install slurm-wlm and munge (apt-get install slurm-wlm munge)"
done
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root to start jobs (run the tests as root, as CI does)"

tmp=$(mktemp -d /tmp/psamp-slurm.XXXXXX)
chmod 755 "$tmp"
export SLURM_CONF=$tmp/slurm.conf
fails=0
checks=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

# ---- cleanup: every daemon we started, by the pid it wrote -------------------------------
stop_all() {
  if [ -e "$tmp/slurmctld.pid" ]; then
    scancel --full --quiet --user="$(id -un)" 2>/dev/null
    for _ in $(seq 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
    scontrol shutdown >/dev/null 2>&1
  fi
  for pidfile in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munge/munged.pid"; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

cluster_log() { tail -n 5 "$tmp"/log/*.log "$tmp/munge/munged.log" 2>/dev/null | tr '\n' ' '; }

# ---- munge ------------------------------------------------------------------------------
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/out"
if command -v mungekey >/dev/null 2>&1; then
  mungekey --create --keyfile="$tmp/munge/munge.key" --force >/dev/null 2>&1
else
  dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
fi
chmod 400 "$tmp/munge/munge.key"
munged --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.socket" \
  --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munge/munged.log" \
  --seed-file="$tmp/munge/munged.seed" --force >/dev/null 2>&1 ||
  skip "munged would not start: $(cluster_log)"

# ---- slurm.conf: one node on 127.0.0.1, no accounting, no cgroups, no GPUs ---------------
read -r ctl_port node_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
host=$(hostname -s)
cpus=$(nproc)
cat >"$SLURM_CONF" <<EOF
ClusterName=psamptest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctl_port
SlurmdPort=$node_port
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
KillWait=2
MinJobAge=600
JobRequeue=1
NodeName=psamp1 NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=psamp Nodes=psamp1 Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -c -f "$SLURM_CONF" >/dev/null 2>&1 || skip "slurmctld would not start: $(cluster_log)"
slurmd -f "$SLURM_CONF" -N psamp1 >/dev/null 2>&1 || skip "slurmd would not start: $(cluster_log)"
state=
for _ in $(seq 100); do
  state=$(sinfo -h -o %T 2>/dev/null)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || skip "the one-node cluster did not come up (node state '$state'): $(cluster_log)"
echo "slurm: one-node cluster up ($(sinfo -V), $cpus CPUs, ports $ctl_port/$node_port)"

# ---- the sweep: 3 shards as a job array ---------------------------------------------------
cat >"$tmp/sweep.json" <<EOF
{"name": "slurm-test", "model": "$src/experiments/toy/greedy_trap.json",
 "alpha": [2, 4], "block_size": [2, 4], "mcmc_steps": 30, "chains": 6000, "seed": [1, 2, 3],
 "backend": "cpu"}
EOF
out=$tmp/out/sharded
"$PSAMP" sweep --config "$tmp/sweep.json" --out "$out" --list --shard 1/3 | awk -F'\t' 'NR > 2 {print $2}' >"$tmp/shard1"
n1=$(wc -l <"$tmp/shard1")
[ "$n1" -ge 2 ] || fail "shard 1 has $n1 points; the test needs 2 or more"
# No GPUs here: --gres=none and one CPU per task override the script's cluster settings.
# Every wait below is bounded, so that the trap, not CTest's timeout, ends the test.
PSAMP=$PSAMP timeout 150 sbatch --wait --array=0-2 --gres=none --cpus-per-task=1 --chdir="$tmp" \
  --output="$tmp/log/task-%a.out" "$src/experiments/slurm/sweep.sbatch" "$tmp/sweep.json" "$out" \
  >"$tmp/sbatch.out" 2>&1 &
sbatch_pid=$!
job=
for _ in $(seq 100); do
  job=$(awk '/Submitted batch job/ {print $4}' "$tmp/sbatch.out")
  [ -n "$job" ] && break
  sleep 0.1
done
[ -n "$job" ] || { fail "sbatch did not submit: $(cat "$tmp/sbatch.out")"; exit 1; }

# Kill task 1 once it has finished a point and is inside the next one, then requeue it.
killed=0
for _ in $(seq 1200); do
  done1=0
  while read -r name; do [ -e "$out/points/$name.json" ] && done1=$((done1 + 1)); done <"$tmp/shard1"
  inside=$(find "$out/samples" -name 'p*.tmp.*' 2>/dev/null | grep -c -F -f "$tmp/shard1")
  if [ "$done1" -ge 1 ] && [ "$inside" -ge 1 ] && [ "$done1" -lt "$n1" ]; then
    scancel --signal=KILL "${job}_1" && killed=1
    break
  fi
  sleep 0.05
done
checks=$((checks + 1))
[ $killed = 1 ] || { fail "never caught task 1 mid-run (shard 1 points done: $done1 of $n1)"; exit 1; }
# Wait for the task to die, then requeue it (and lift the requeue's start delay).
for _ in $(seq 100); do
  st=$(scontrol show job "${job}_1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  case $st in FAILED | CANCELLED | COMPLETED | NODE_FAIL) break ;; esac
  sleep 0.1
done
done_at_kill=0
while read -r name; do [ -e "$out/points/$name.json" ] && done_at_kill=$((done_at_kill + 1)); done <"$tmp/shard1"
checks=$((checks + 1))
case $st in FAILED | CANCELLED) ;; *) st="$st (expected FAILED or CANCELLED)" ;; esac
[ "$done_at_kill" -lt "$n1" ] && [[ $st != *expected* ]] || fail "task 1 after the kill: state '$st', $done_at_kill of $n1 points done"
scontrol requeue "${job}_1" || fail "scontrol requeue ${job}_1 failed"
for _ in $(seq 50); do scontrol update JobId="${job}_1" StartTime=now >/dev/null 2>&1 && break; sleep 0.2; done

wait $sbatch_pid
# sbatch --wait may have seen the array done before the requeue: wait for the task itself.
for _ in $(seq 300); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 0.2
done
checks=$((checks + 1))
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || fail "the array did not finish: $(squeue -j "$job")"
st=$(scontrol show job "${job}_1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
restarts=$(scontrol show job "${job}_1" | grep -o 'Restarts=[0-9]*' | cut -d= -f2)
checks=$((checks + 1))
[ "$st" = COMPLETED ] && [ "$restarts" = 1 ] || fail "task 1 ended $st after $restarts restarts: $(cat "$tmp"/log/task-1.out)"
checks=$((checks + 1))
grep -q "shard 1/3 has $n1: $done_at_kill finished before, $((n1 - done_at_kill)) run now, 0 failed" "$tmp/log/task-1.out" ||
  fail "the requeued task did not resume: $(cat "$tmp/log/task-1.out")"
checks=$((checks + 1))
[ -z "$(find "$out" -name '*.tmp.*')" ] || fail "temporaries left: $(find "$out" -name '*.tmp.*')"

# ---- merge and compare with the whole sweep -------------------------------------------------
"$PSAMP" sweep --merge "$out" >"$tmp/merge.out" 2>&1 || fail "merge: $(cat "$tmp/merge.out")"
"$PSAMP" sweep --config "$tmp/sweep.json" --out "$tmp/out/whole" --quiet >/dev/null 2>&1 || fail "whole run failed"
checks=$((checks + 1))
python3 "$src/tests/sweep_compare.py" "$tmp/out/whole" "$out" 12 || fail "the Slurm sweep differs from the whole run"
echo "slurm_sweep.sh: $checks checks, $fails failed (job $job; task 1 killed after $done_at_kill of $n1 points, requeued)"
[ "$fails" -eq 0 ]
