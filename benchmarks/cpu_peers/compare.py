#!/usr/bin/env python3
"""psamp against its peers in interleaved pairs, on the CPU or on one GPU; prints the ratio tables.

On the CPU, run through benchmarks/cpu_peers/run.sh, which builds nothing, makes the random
checkpoint and its CTranslate2 conversion when absent, and passes its options here. On a GPU
(--device cuda), through benchmarks/gpu_temp_peers.sh (called by benchmarks/gpu_power_bench.sh).

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

--device cuda: psamp bench --backend cuda --dtype D (fp16 by default); transformers on the
same GPU in the same dtype with its static KV cache (peer_hf_temp.py: a full-length warm-up
first, so the decoding step transformers compiles for a static cache is built outside the
clock; --eager-too times one more call without that compile); CTranslate2 only where
--ct2-model is given and the peers' python imports ctranslate2 with a CUDA device. Batches
default to 1,64,256,1024 and the rounds go round-major (every batch's first pair before any
second one), so a --deadline still leaves one pair per batch.

--keep-going: a run that fails or times out leaves its cell empty (the table says how many
pairs each point got) instead of stopping everything. --deadline S: no pair starts later than
S seconds after the start; SIGTERM (from `timeout`) also stops the runs: either way the
tables are still printed from the runs finished by then, and the exit status is 3 (1 when a
run failed). --dry-run prints the commands only.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Stopped(Exception):
    """No more runs: the deadline passed or a SIGTERM came."""


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

    def __init__(self, out_dir, timeout, peer_env, keep_going=False, deadline=None, dry_run=False):
        self.out_dir, self.timeout, self.peer_env, self.records = out_dir, timeout, peer_env, []
        self.keep_going, self.dry_run, self.planned = keep_going, dry_run, 0
        self.t_start = time.monotonic()
        self.deadline = deadline

    def point(self, label):
        """Before a pair (psamp and its peers): stops once the deadline has passed."""
        if not self.dry_run and self.deadline is not None and time.monotonic() - self.t_start > self.deadline:
            raise Stopped(f"--deadline {self.deadline:g} s passed before {label}")

    def run(self, name, argv, key, peer=True):
        """The run's record, or None when it failed and --keep-going (or in a dry run)."""
        if self.dry_run:
            self.planned += 1
            print(f"  {name}: {' '.join(argv)}")
            return None
        n = len(self.records)
        log = os.path.join(self.out_dir, f"{n:03d}-{name}.log")
        load_before = load_average()
        t0 = time.perf_counter()
        failure, result = None, None
        with open(log, "w") as err:
            try:
                proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=err, text=True, timeout=self.timeout,
                                      env={**os.environ, **(self.peer_env if peer else {})})
            except subprocess.TimeoutExpired:
                proc, failure = None, f"timed out after {self.timeout:g} s"
        elapsed = time.perf_counter() - t0
        if proc is not None:
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            if proc.returncode != 0:
                failure = f"exit {proc.returncode}"
            elif not lines:
                failure = "printed no JSON"
            else:
                result = json.loads(lines[-1])
        record = {"name": name, "argv": argv, "key": key, "load_before": load_before, "load_after": load_average(),
                  "process_seconds": elapsed, "result": result}
        if failure:
            record["failed"] = failure
            self.records.append(record)
            if not self.keep_going:
                raise SystemExit(f"compare.py: {name} failed ({failure}): see {log}\n  {' '.join(argv)}")
            print(f"  {name}: FAILED ({failure}), see {log}; going on (--keep-going)", file=sys.stderr, flush=True)
            return None
        self.records.append(record)
        print(f"  {name}: {summary(result)} (load {load_before:.1f} -> {record['load_after']:.1f}, "
              f"{elapsed:.0f} s in all)", file=sys.stderr, flush=True)
        return record


def summary(result):
    if "runs" in result:  # psamp bench
        r = result["runs"][0]
        return f"{r['tokens_per_second']:.1f} tokens/s, {r['wall_seconds'] / r['chains']:.2f} s per chain"
    if "seconds_per_chain" in result:
        return f"{result['tokens_per_second']:.1f} tokens/s, {result['seconds_per_chain']:.2f} s per chain"
    text = f"{result['tokens_per_second']:.1f} tokens/s"
    if result.get("device") == "cuda" and result.get("peer") == "transformers":
        text += f" (compiled {result.get('compiled')}, warm-up {result.get('warmup_seconds', 0):.1f} s"
        if "eager_tokens_per_second" in result:
            text += f", eager {result['eager_tokens_per_second']:.1f} tokens/s"
        text += ")"
    return text


def spread(values):
    return statistics.median(values), min(values), max(values)


def fmt_ratio(values):
    if not values:
        return "-"
    med, lo, hi = spread(values)
    return f"{med:.2f}x ({lo:.2f}-{hi:.2f})"


def fmt_median(values, digits=1):
    return f"{statistics.median(values):.{digits}f}" if values else "-"


def fmt_load(loads):
    return f"{min(loads):.1f}-{max(loads):.1f}" if loads else "-"


def psamp_argv(a, method, chains, seed):
    argv = [a.psamp, "bench", "--model", a.model]
    if a.device == "cuda":
        argv += ["--backend", "cuda", "--dtype", a.dtype]
    else:
        argv += ["--backend", "cpu", "--threads", str(a.threads), "--sgemm-seconds", "0"]
    argv += ["--prompt-len", str(a.prompt_len), "--chains", str(chains), "--method", method, "--seed", str(seed)]
    if method == "temp":
        return argv + ["--temperature", str(a.temperature), "--max-new-tokens", str(a.new_tokens)]
    return argv + ["--alpha", str(a.alpha), "--block-size", str(a.block_size), "--mcmc-steps",
                   str(a.mcmc_steps), "--max-new-tokens", str(a.power_new_tokens)]


def peer_dtype(a):
    return a.dtype if a.device == "cuda" else "fp32"


def temp_peers(a):
    """The temperature-sampling peers that run: [(key, label)], and a line for each one left out."""
    peers, notes = [], []
    if not a.ct2_model:
        notes.append("CTranslate2: not run (no --ct2-model)")
    elif a.device == "cuda" and not ct2_has_cuda(a.python):
        notes.append("CTranslate2: not run (the peers' python does not import ctranslate2 with a CUDA device)")
    else:
        peers.append(("ct2", "CTranslate2"))
    peers.append(("hf", "transformers"))
    return peers, notes


def ct2_has_cuda(python):
    probe = "import sys, ctranslate2; sys.exit(0 if ctranslate2.get_cuda_device_count() > 0 else 1)"
    try:
        return subprocess.run([python, "-c", probe], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def temp_peer_argv(a, peer, batch, rnd):
    common = ["--batch", str(batch), "--new-tokens", str(a.new_tokens), "--prompt-len", str(a.prompt_len),
              "--temperature", str(a.temperature), "--threads", str(a.threads), "--seed", str(rnd)]
    if peer == "ct2":
        argv = [a.python, os.path.join(HERE, "peer_ct2.py"), "--ct2-model", a.ct2_model, "--hf-model", a.model]
        if a.device == "cuda":
            argv += ["--device", "cuda", "--compute-type", {"fp16": "float16", "bf16": "bfloat16"}[a.dtype]]
        return argv + common
    argv = [a.python, os.path.join(HERE, "peer_hf_temp.py"), "--model", a.model, "--cache", a.hf_cache]
    if a.device == "cuda":
        argv += ["--device", "cuda", "--dtype", a.dtype, "--compile", a.hf_compile]
        if a.hf_eager_too:
            argv.append("--eager-too")
    return argv + common


def temp_runs(a, runner, peers):
    points = [(batch, rnd) for batch in a.batches for rnd in range(a.rounds)]
    if a.order == "round":
        points.sort(key=lambda p: (p[1], a.batches.index(p[0])))
    last = None
    for batch, rnd in points:
        if batch != last or a.order == "round":
            print(f"== temperature sampling, batch {batch}" + (f", round {rnd + 1}" if a.order == "round" else ""),
                  file=sys.stderr, flush=True)
        last = batch
        runner.point(f"batch {batch}, round {rnd + 1}")
        key = {"part": "temp", "batch": batch, "round": rnd}
        runner.run(f"psamp-temp-b{batch}", psamp_argv(a, "temp", batch, rnd), dict(key, who="psamp"), peer=False)
        for peer, _ in peers:
            runner.run(f"{peer}-temp-b{batch}", temp_peer_argv(a, peer, batch, rnd), dict(key, who=peer))


def by_key(records, part):
    """{(point, round, who): record} of the part's successful runs."""
    out = {}
    for rec in records:
        k = rec.get("key") or {}
        if k.get("part") == part and rec["result"] is not None:
            out[(k.get("batch", k.get("chains")), k["round"], k["who"])] = rec
    return out


def temp_lines(a, records, peers):
    runs = by_key(records, "temp")
    rate = {}
    for (batch, rnd, who), rec in runs.items():
        r = rec["result"]
        rate[batch, rnd, who] = r["runs"][0]["tokens_per_second"] if who == "psamp" else r["tokens_per_second"]
    hf = [rec["result"] for (_, _, who), rec in runs.items() if who == "hf"]
    eager = any("eager_tokens_per_second" in r for r in hf)
    cuda = a.device == "cuda"
    rows = []
    for batch in sorted(a.batches):
        rounds = range(a.rounds)
        col = {who: [rate[batch, r, who] for r in rounds if (batch, r, who) in rate] for who in ["psamp"] + [p for p, _ in peers]}
        ratio = {p: [rate[batch, r, "psamp"] / rate[batch, r, p] for r in rounds
                     if (batch, r, "psamp") in rate and (batch, r, p) in rate] for p, _ in peers}
        row = {"batch": batch, "col": col, "ratio": ratio,
               "loads": [rec[k] for (b, _, _), rec in runs.items() if b == batch for k in ("load_before", "load_after")],
               "pairs": min((len(v) for v in ratio.values()), default=0)}
        if eager:
            ev = {r: runs[batch, r, "hf"]["result"].get("eager_tokens_per_second") for r in rounds if (batch, r, "hf") in runs}
            row["eager"] = [v for v in ev.values() if v]
            row["eager_ratio"] = [rate[batch, r, "psamp"] / v for r, v in ev.items() if v and (batch, r, "psamp") in rate]
        row["warmup"] = [runs[batch, r, "hf"]["result"]["warmup_seconds"] for r in rounds
                         if (batch, r, "hf") in runs and "warmup_seconds" in runs[batch, r, "hf"]["result"]]
        rows.append(row)
    show_pairs = cuda or any(r["pairs"] < a.rounds for r in rows)
    head = ["batch", "psamp tokens/s"] + [f"{label} tokens/s" for _, label in peers]
    head += [f"psamp / {label}" for _, label in peers]
    if eager:
        head += ["transformers eager tokens/s", "psamp / eager"]
    if cuda:
        head.append("transformers warm-up s")
    else:
        head.append("load")
    if show_pairs:
        head.append("pairs")
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---:" if h.endswith(("tokens/s", "batch", "warm-up s", "pairs")) else "---" for h in head) + "|"]
    for row in rows:
        cells = [str(row["batch"]), fmt_median(row["col"]["psamp"])]
        cells += [fmt_median(row["col"][p]) for p, _ in peers]
        cells += [fmt_ratio(row["ratio"][p]) for p, _ in peers]
        if eager:
            cells += [fmt_median(row["eager"]), fmt_ratio(row["eager_ratio"])]
        cells.append(fmt_median(row["warmup"]) if cuda else fmt_load(row["loads"]))
        if show_pairs:
            cells.append(f"{row['pairs']}/{a.rounds}")
        lines.append("| " + " | ".join(cells) + " |")
    if cuda and hf:
        n_comp = sum(1 for r in hf if r.get("compiled"))
        lines += ["", f"transformers: {hf[0]['dtype']}, {hf[0]['cache']} KV cache; the timed call ran the decoding "
                      f"step compiled by generate (torch.compile) in {n_comp} of {len(hf)} runs; warm-up = one untimed "
                      "call of the same length (compile included)"
                      + ("; eager = one more timed call with disable_compile" if eager else "")]
        errors = sorted({r["compile_error"] for r in hf if "compile_error" in r})
        lines += [f"transformers compile error (those runs timed without it): {e}" for e in errors]
    return lines


def power_runs(a, runner):
    peer_script = os.path.join(HERE, "..", "peer_hf_power.py")
    for chains in a.power_chains:
        print(f"== power sampling, psamp {chains} chains", file=sys.stderr, flush=True)
        for rnd in range(a.rounds):
            runner.point(f"power, {chains} chains, round {rnd + 1}")
            key = {"part": "power", "chains": chains, "round": rnd}
            runner.run(f"psamp-power-c{chains}", psamp_argv(a, "power", chains, rnd), dict(key, who="psamp"),
                       peer=False)
            argv = [a.python, peer_script, "--model", a.model, "--device", a.device, "--dtype", peer_dtype(a),
                    "--threads", str(a.threads), "--chains", str(a.peer_chains), "--alpha", str(a.alpha),
                    "--block-size", str(a.block_size), "--mcmc-steps", str(a.mcmc_steps),
                    "--max-new-tokens", str(a.power_new_tokens), "--prompt-len", str(a.prompt_len),
                    "--seed", str(rnd)]
            if a.authors_file:
                argv += ["--authors-file", a.authors_file]
            runner.run(f"peer-power-c{chains}", argv, dict(key, who="peer"))


def power_lines(a, records):
    runs = by_key(records, "power")
    peer = "authors' file" if a.authors_file else "authors' loop (re-implemented)"
    rows = []
    for chains in a.power_chains:
        ps, pe, pairs, loads = [], [], [], []
        for rnd in range(a.rounds):
            p, q = runs.get((chains, rnd, "psamp")), runs.get((chains, rnd, "peer"))
            if p:
                run = p["result"]["runs"][0]
                ps.append(run["wall_seconds"] / run["chains"])
                loads += [p["load_before"], p["load_after"]]
            if q:
                pe.append(q["result"]["seconds_per_chain"])
                loads += [q["load_before"], q["load_after"]]
            if p and q:
                pairs.append(pe[-1] / ps[-1])
        rows.append((chains, ps, pe, pairs, loads))
    short = any(len(r[3]) < a.rounds for r in rows)
    lines = [f"| psamp chains | psamp s/chain | {peer} s/chain ({a.peer_chains} chain/run) "
             "| peer / psamp time per chain | load |" + (" pairs |" if short else ""),
             "|---:|---:|---:|---|---|" + ("---:|" if short else "")]
    for chains, ps, pe, pairs, loads in rows:
        lines.append(f"| {chains} | {fmt_median(ps, 2)} | {fmt_median(pe, 2)} | {fmt_ratio(pairs)} | {fmt_load(loads)} |"
                     + (f" {len(pairs)}/{a.rounds} |" if short else ""))
    return lines


def machine_lines(a, records):
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
        if r is None:
            continue
        if "runs" in r:
            seen.setdefault("psamp", r["engine"])
        elif r.get("peer") == "ctranslate2":
            seen.setdefault("ctranslate2", f"CTranslate2 {r['version']} ({r['compute_type']}, {r.get('device', 'cpu')})")
        elif r.get("peer") == "transformers":
            seen.setdefault("transformers", f"transformers {r['version']}, torch {r['torch']}, {r['cache']} cache"
                            + (f", {r['dtype']} on {r['device_name']}" if r.get("device") == "cuda" else ""))
        elif r.get("command") == "peer_hf_power":
            seen.setdefault("power peer", f"{r['loop']}, torch {r['torch']}, {r['dtype']}"
                            + (f" on {r['device_name']}" if r.get("device") == "cuda" else ""))
    lines = [f"machine: {cpu}, {os.cpu_count()} CPUs (os.cpu_count)"]
    if a.device == "cuda":
        gpu = next((rec["result"]["device_name"] for rec in records
                    if rec["result"] and rec["result"].get("device") == "cuda" and "device_name" in rec["result"]), None)
        lines.append(f"gpu: {gpu or 'see the psamp engine line'}")
    lines += [f"{k}: {v}" for k, v in seen.items()]
    return lines


def on_sigterm(signum, frame):
    raise Stopped("SIGTERM (the caller's timeout)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--psamp", required=True, help="the psamp binary")
    ap.add_argument("--model", required=True, help="OPT checkpoint directory (psamp, transformers)")
    ap.add_argument("--ct2-model", help="its CTranslate2 conversion (without it, CTranslate2 is not run)")
    ap.add_argument("--python", default=sys.executable, help="python for the peers")
    ap.add_argument("--out-dir", required=True, help="logs, every run's JSON (runs.json), the tables (table.md)")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="cpu (default) or cuda: psamp --backend cuda, the peers on the same GPU")
    ap.add_argument("--dtype", choices=("fp16", "bf16"), default="fp16",
                    help="cuda: psamp's and the peers' dtype (default fp16; the CPU runs are fp32)")
    ap.add_argument("--parts", default="temp,power", help="temp, power or both (default temp,power)")
    ap.add_argument("--batches", type=int_list,
                    help="temperature batch sizes (default 1,8 on cpu, 1,64,256,1024 on cuda)")
    ap.add_argument("--power-chains", type=int_list, default=[1, 8], help="psamp power chain counts (default 1,8)")
    ap.add_argument("--peer-chains", type=int, default=1, help="chains per authors'-loop run (default 1)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved pairs per point (default 3)")
    ap.add_argument("--order", choices=("batch", "round"),
                    help="temperature runs batch by batch (default on cpu) or round by round (default on cuda)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--new-tokens", type=int, default=64, help="temperature sampling: new tokens")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--hf-cache", choices=("dynamic", "static"),
                    help="transformers' KV cache (default dynamic on cpu, static on cuda)")
    ap.add_argument("--hf-compile", choices=("auto", "off"), default="auto",
                    help="cuda: transformers' compile of the static-cache step (peer_hf_temp.py --compile)")
    ap.add_argument("--hf-eager-too", action="store_true",
                    help="cuda: transformers also timed without its compile (peer_hf_temp.py --eager-too)")
    ap.add_argument("--alpha", type=float, default=4.0)
    ap.add_argument("--block-size", type=int, default=16)
    ap.add_argument("--mcmc-steps", type=int, default=4)
    ap.add_argument("--power-new-tokens", type=int, default=64)
    ap.add_argument("--authors-file", help="the authors' power_samp_utils.py (else the re-implementation)")
    ap.add_argument("--peer-omp-wait", choices=("passive", "default"), default="passive",
                    help="peers' OpenMP waiting: passive (OMP_WAIT_POLICY=PASSIVE, KMP_BLOCKTIME=0; default) "
                         "or their default spinning")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds one run may take (default 3600)")
    ap.add_argument("--deadline", type=float, help="seconds after which no run starts; the tables still print")
    ap.add_argument("--keep-going", action="store_true", help="a failed run leaves its cell empty; the rest go on")
    ap.add_argument("--dry-run", action="store_true", help="print the commands it would run, run nothing")
    a = ap.parse_args()
    cuda = a.device == "cuda"
    a.batches = a.batches or ([1, 64, 256, 1024] if cuda else [1, 8])
    a.hf_cache = a.hf_cache or ("static" if cuda else "dynamic")
    a.order = a.order or ("round" if cuda else "batch")
    parts = set(a.parts.split(","))
    if not parts or parts - {"temp", "power"}:
        ap.error(f"--parts {a.parts}: use temp, power or temp,power")
    if a.rounds < 1 or a.peer_chains < 1 or a.threads < 1:
        ap.error("--rounds, --peer-chains and --threads must be positive")
    if a.power_new_tokens % a.block_size:
        ap.error("--power-new-tokens must be a multiple of --block-size (the authors' loop asserts it)")
    if not a.dry_run:
        os.makedirs(a.out_dir, exist_ok=True)
    runner = Runner(a.out_dir, a.timeout, PASSIVE_OMP if a.peer_omp_wait == "passive" else {},
                    keep_going=a.keep_going, deadline=a.deadline, dry_run=a.dry_run)
    signal.signal(signal.SIGTERM, on_sigterm)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    where = f"{a.device}, {a.dtype}" if cuda else f"cpu, {a.threads} threads each"
    out = [f"run started {started}; {a.rounds} interleaved rounds per point ({a.order} by {a.order}), {where}, "
           f"prompt {a.prompt_len} tokens; peers' OpenMP wait policy: {a.peer_omp_wait}"]
    peers, notes = temp_peers(a) if "temp" in parts else ([], [])
    stopped = None
    try:
        if "temp" in parts:
            temp_runs(a, runner, peers)
        if "power" in parts:
            power_runs(a, runner)
    except Stopped as e:
        stopped = str(e)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if not a.dry_run:
            with open(os.path.join(a.out_dir, "runs.json"), "w") as f:
                json.dump({"started": started, "options": vars(a), "stopped": stopped, "runs": runner.records},
                          f, indent=1)
    if a.dry_run:
        print(f"dry run: {runner.planned} runs planned" + "".join(f"; {n}" for n in notes))
        return
    if "temp" in parts:
        out += ["", f"Plain temperature sampling (T {a.temperature}, {a.new_tokens} new tokens), tokens/s "
                    "(medians; ratios: median (min-max) of the per-round pairs, > 1: psamp faster):", ""]
        out += temp_lines(a, runner.records, peers) + [f"({n})" for n in notes]
    if "power" in parts:
        out += ["", f"Power sampling (alpha {a.alpha:g}, block {a.block_size}, N {a.mcmc_steps}, "
                    f"{a.power_new_tokens} tokens), seconds per chain (ratio > 1: psamp faster):", ""]
        out += power_lines(a, runner.records)
    failed = [r for r in runner.records if "failed" in r]
    if failed:
        out += ["", f"{len(failed)} run(s) failed (logs in {a.out_dir}): "
                + ", ".join(f"{r['name']} ({r['failed']})" for r in failed)]
    if stopped:
        out += ["", f"stopped early: {stopped}; the tables hold the runs finished by then"]
    out += ["", f"run ended {time.strftime('%Y-%m-%d %H:%M:%S %Z')}"] + machine_lines(a, runner.records)
    text = "\n".join(out) + "\n"
    with open(os.path.join(a.out_dir, "table.md"), "w") as f:
        f.write(text)
    print(text, end="")
    if failed or stopped:
        sys.exit(1 if failed else 3)


if __name__ == "__main__":
    main()
