#!/usr/bin/env python3
"""psamp against its CPU peers in interleaved pairs; prints the ratio tables.

Run through benchmarks/cpu_peers/run.sh, which builds nothing, makes the random checkpoint
and its CTranslate2 conversion when absent, and passes its options here.

Plain temperature sampling (psamp bench --method temp) against CTranslate2 and Hugging Face
transformers, per batch size: R rounds of psamp, CTranslate2, transformers, one after
another; each peer's run is paired with psamp's run of the same round. Power sampling
(psamp bench --method power) against the authors' loop (peer_hf_power.py, its
re-implementation or --authors-file), per psamp chain count: R rounds of psamp, then the
peer (which runs its chains one after another, batch 1). Every run is its own process (the
model loads before the timed part, which excludes it); a peer whose threads linger cannot
take cores from the next run. The tables give the median and the min-max of the per-pair
ratios, and the load average seen around the runs: on a shared machine that is where the
spread comes from.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"needs positive integers: {text!r}")
    return values


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


# OpenMP threads that wait passively (sleep) instead of spinning between parallel regions. On
# a machine shared with other jobs, CTranslate2 (Intel OpenMP under MKL) and torch spinning
# at their barriers ran ~10x slower here (0.6 against 7 tokens/s at batch 1, load 20);
# psamp's own pool already sleeps on a futex. --peer-omp-wait default leaves them spinning.
PASSIVE_OMP = {"OMP_WAIT_POLICY": "PASSIVE", "KMP_BLOCKTIME": "0"}


class Runner:
    """Runs one measurement as a subprocess; keeps its JSON, log and the load around it."""

    def __init__(self, out_dir, timeout, peer_env):
        self.out_dir, self.timeout, self.peer_env, self.records = out_dir, timeout, peer_env, []

    def run(self, name, argv, peer=True):
        n = len(self.records)
        log = os.path.join(self.out_dir, f"{n:03d}-{name}.log")
        load_before = load_average()
        t0 = time.perf_counter()
        with open(log, "w") as err:
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=err, text=True, timeout=self.timeout,
                                  env={**os.environ, **(self.peer_env if peer else {})})
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"compare.py: {name} failed (exit {proc.returncode}): see {log}\n  {' '.join(argv)}")
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            raise SystemExit(f"compare.py: {name} printed no JSON: see {log}")
        result = json.loads(lines[-1])
        record = {"name": name, "argv": argv, "load_before": load_before, "load_after": load_average(),
                  "process_seconds": elapsed, "result": result}
        self.records.append(record)
        print(f"  {name}: {summary(result)} (load {load_before:.1f} -> {record['load_after']:.1f})",
              file=sys.stderr, flush=True)
        return record


def summary(result):
    if "runs" in result:  # psamp bench
        r = result["runs"][0]
        return f"{r['tokens_per_second']:.1f} tokens/s, {r['wall_seconds'] / r['chains']:.2f} s per chain"
    if "seconds_per_chain" in result:
        return f"{result['tokens_per_second']:.1f} tokens/s, {result['seconds_per_chain']:.2f} s per chain"
    return f"{result['tokens_per_second']:.1f} tokens/s"


def spread(values):
    return statistics.median(values), min(values), max(values)


def fmt_ratio(values):
    med, lo, hi = spread(values)
    return f"{med:.2f}x ({lo:.2f}-{hi:.2f})"


def psamp_argv(a, method, chains, seed):
    argv = [a.psamp, "bench", "--model", a.model, "--backend", "cpu", "--threads", str(a.threads),
            "--sgemm-seconds", "0", "--prompt-len", str(a.prompt_len), "--chains", str(chains),
            "--method", method, "--seed", str(seed)]
    if method == "temp":
        return argv + ["--temperature", str(a.temperature), "--max-new-tokens", str(a.new_tokens)]
    return argv + ["--alpha", str(a.alpha), "--block-size", str(a.block_size), "--mcmc-steps",
                   str(a.mcmc_steps), "--max-new-tokens", str(a.power_new_tokens)]


def temp_table(a, runner):
    rows = []
    for batch in a.batches:
        print(f"== temperature sampling, batch {batch}", file=sys.stderr, flush=True)
        pairs = {"ct2": [], "hf": []}
        rates = {"psamp": [], "ct2": [], "hf": []}
        loads = []
        for rnd in range(a.rounds):
            common = ["--batch", str(batch), "--new-tokens", str(a.new_tokens), "--prompt-len", str(a.prompt_len),
                      "--temperature", str(a.temperature), "--threads", str(a.threads), "--seed", str(rnd)]
            ps = runner.run(f"psamp-temp-b{batch}", psamp_argv(a, "temp", batch, rnd), peer=False)
            ps_rate = ps["result"]["runs"][0]["tokens_per_second"]
            rates["psamp"].append(ps_rate)
            loads += [ps["load_before"], ps["load_after"]]
            for peer, argv in (("ct2", [a.python, os.path.join(HERE, "peer_ct2.py"), "--ct2-model", a.ct2_model,
                                        "--hf-model", a.model] + common),
                               ("hf", [a.python, os.path.join(HERE, "peer_hf_temp.py"), "--model", a.model,
                                       "--cache", a.hf_cache] + common)):
                rec = runner.run(f"{peer}-temp-b{batch}", argv)
                rate = rec["result"]["tokens_per_second"]
                rates[peer].append(rate)
                pairs[peer].append(ps_rate / rate)
                loads += [rec["load_before"], rec["load_after"]]
        rows.append((batch, rates, pairs, loads))
    lines = ["| batch | psamp tokens/s | CTranslate2 tokens/s | transformers tokens/s | psamp / CTranslate2 "
             "| psamp / transformers | load |",
             "|---:|---:|---:|---:|---|---|---|"]
    for batch, rates, pairs, loads in rows:
        med = {k: statistics.median(v) for k, v in rates.items()}
        lines.append(f"| {batch} | {med['psamp']:.1f} | {med['ct2']:.1f} | {med['hf']:.1f} | {fmt_ratio(pairs['ct2'])} "
                     f"| {fmt_ratio(pairs['hf'])} | {min(loads):.1f}-{max(loads):.1f} |")
    return lines


def power_table(a, runner):
    rows = []
    peer_script = os.path.join(HERE, "..", "peer_hf_power.py")
    for chains in a.power_chains:
        print(f"== power sampling, psamp {chains} chains", file=sys.stderr, flush=True)
        ps_spc, peer_spc, pairs, loads = [], [], [], []
        for rnd in range(a.rounds):
            ps = runner.run(f"psamp-power-c{chains}", psamp_argv(a, "power", chains, rnd), peer=False)
            run = ps["result"]["runs"][0]
            ps_spc.append(run["wall_seconds"] / run["chains"])
            argv = [a.python, peer_script, "--model", a.model, "--device", "cpu", "--dtype", "fp32",
                    "--threads", str(a.threads), "--chains", str(a.peer_chains), "--alpha", str(a.alpha),
                    "--block-size", str(a.block_size), "--mcmc-steps", str(a.mcmc_steps),
                    "--max-new-tokens", str(a.power_new_tokens), "--prompt-len", str(a.prompt_len),
                    "--seed", str(rnd)]
            if a.authors_file:
                argv += ["--authors-file", a.authors_file]
            rec = runner.run(f"peer-power-c{chains}", argv)
            peer_spc.append(rec["result"]["seconds_per_chain"])
            pairs.append(peer_spc[-1] / ps_spc[-1])
            loads += [ps["load_before"], ps["load_after"], rec["load_before"], rec["load_after"]]
        rows.append((chains, ps_spc, peer_spc, pairs, loads))
    peer = "authors' file" if a.authors_file else "authors' loop (re-implemented)"
    lines = [f"| psamp chains | psamp s/chain | {peer} s/chain ({a.peer_chains} chain/run) "
             "| peer / psamp time per chain | load |",
             "|---:|---:|---:|---|---|"]
    for chains, ps_spc, peer_spc, pairs, loads in rows:
        lines.append(f"| {chains} | {statistics.median(ps_spc):.2f} | {statistics.median(peer_spc):.2f} "
                     f"| {fmt_ratio(pairs)} | {min(loads):.1f}-{max(loads):.1f} |")
    return lines


def machine_lines(records):
    """The machine and the versions, as the runs themselves reported them."""
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    seen = {}
    for rec in records:
        r = rec["result"]
        if "runs" in r:
            seen.setdefault("psamp", r["engine"])
        elif r.get("peer") == "ctranslate2":
            seen.setdefault("ctranslate2", f"CTranslate2 {r['version']} ({r['compute_type']})")
        elif r.get("peer") == "transformers":
            seen.setdefault("transformers", f"transformers {r['version']}, torch {r['torch']}, {r['cache']} cache")
        elif r.get("command") == "peer_hf_power":
            seen.setdefault("power peer", f"{r['loop']}, torch {r['torch']}, {r['dtype']}")
    lines = [f"machine: {cpu}, {os.cpu_count()} CPUs (os.cpu_count)"]
    lines += [f"{k}: {v}" for k, v in seen.items()]
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--psamp", required=True, help="the psamp binary")
    ap.add_argument("--model", required=True, help="OPT checkpoint directory (psamp, transformers)")
    ap.add_argument("--ct2-model", required=True, help="its CTranslate2 conversion")
    ap.add_argument("--python", default=sys.executable, help="python for the peers")
    ap.add_argument("--out-dir", required=True, help="logs, every run's JSON (runs.json), the tables (table.md)")
    ap.add_argument("--parts", default="temp,power", help="temp, power or both (default temp,power)")
    ap.add_argument("--batches", type=int_list, default=[1, 8], help="temperature batch sizes (default 1,8)")
    ap.add_argument("--power-chains", type=int_list, default=[1, 8], help="psamp power chain counts (default 1,8)")
    ap.add_argument("--peer-chains", type=int, default=1, help="chains per authors'-loop run (default 1)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved pairs per point (default 3)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--new-tokens", type=int, default=64, help="temperature sampling: new tokens")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--hf-cache", choices=("dynamic", "static"), default="dynamic")
    ap.add_argument("--alpha", type=float, default=4.0)
    ap.add_argument("--block-size", type=int, default=16)
    ap.add_argument("--mcmc-steps", type=int, default=4)
    ap.add_argument("--power-new-tokens", type=int, default=64)
    ap.add_argument("--authors-file", help="the authors' power_samp_utils.py (else the re-implementation)")
    ap.add_argument("--peer-omp-wait", choices=("passive", "default"), default="passive",
                    help="peers' OpenMP waiting: passive (OMP_WAIT_POLICY=PASSIVE, KMP_BLOCKTIME=0; default) "
                         "or their default spinning")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds one run may take (default 3600)")
    a = ap.parse_args()
    parts = set(a.parts.split(","))
    if not parts or parts - {"temp", "power"}:
        ap.error(f"--parts {a.parts}: use temp, power or temp,power")
    if a.rounds < 1 or a.peer_chains < 1 or a.threads < 1:
        ap.error("--rounds, --peer-chains and --threads must be positive")
    if a.power_new_tokens % a.block_size:
        ap.error("--power-new-tokens must be a multiple of --block-size (the authors' loop asserts it)")
    os.makedirs(a.out_dir, exist_ok=True)
    runner = Runner(a.out_dir, a.timeout, PASSIVE_OMP if a.peer_omp_wait == "passive" else {})
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    out = [f"run started {started}; {a.rounds} interleaved rounds per point, {a.threads} threads each, "
           f"prompt {a.prompt_len} tokens; peers' OpenMP wait policy: {a.peer_omp_wait}"]
    try:
        if "temp" in parts:
            out += ["", f"Plain temperature sampling (T {a.temperature}, {a.new_tokens} new tokens), tokens/s "
                        "(medians; ratios: median (min-max) of the per-round pairs, > 1: psamp faster):", ""]
            out += temp_table(a, runner)
        if "power" in parts:
            out += ["", f"Power sampling (alpha {a.alpha:g}, block {a.block_size}, N {a.mcmc_steps}, "
                        f"{a.power_new_tokens} tokens), seconds per chain (ratio > 1: psamp faster):", ""]
            out += power_table(a, runner)
    finally:
        with open(os.path.join(a.out_dir, "runs.json"), "w") as f:
            json.dump({"started": started, "options": vars(a), "runs": runner.records}, f, indent=1)
    out += ["", f"run ended {time.strftime('%Y-%m-%d %H:%M:%S %Z')}"] + machine_lines(runner.records)
    text = "\n".join(out) + "\n"
    with open(os.path.join(a.out_dir, "table.md"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
