#!/usr/bin/env python3
"""test_cpu_times.py BUILD_DIR [-j N] [-R REGEX]: runs each CTest test of BUILD_DIR (as CTest
would: its command, environment and folder) and prints its CPU time (user + system, children
included), wall time and timeout, longest CPU first, with the headroom of the timeout over
the CPU time at a given load (--load L: on a 2-core machine at load L a test gets about
2/L of a core when L > 2). Wall times depend on the machine's load; CPU times much less:
these are the numbers to size timeouts from. Standard library only."""
import argparse
import concurrent.futures
import json
import os
import re
import resource
import subprocess
import sys
import time


def tests(build, regex):
    out = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build, check=True,
                         capture_output=True, text=True).stdout
    for t in json.loads(out)["tests"]:
        if regex and not re.search(regex, t["name"]):
            continue
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        env = dict(os.environ)
        for kv in props.get("ENVIRONMENT", []):
            k, _, v = kv.partition("=")
            env[k] = v
        yield t["name"], t["command"], props.get("WORKING_DIRECTORY", build), env, \
            float(props.get("TIMEOUT", 1500)), props.get("SKIP_RETURN_CODE")


def run(name, command, cwd, env, timeout, skip):
    start = time.monotonic()
    # Each test in its own process with wait4: the rusage of that test alone.
    p = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    state = "passed" if p.returncode == 0 else \
        "skipped" if skip is not None and p.returncode == int(skip) else f"exit {p.returncode}"
    return name, ru.ru_utime + ru.ru_stime, wall, timeout, state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("-R", default=None)
    ap.add_argument("--load", type=float, default=8.0)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    with concurrent.futures.ThreadPoolExecutor(a.j) as pool:
        rows = list(pool.map(lambda t: run(*t), tests(build, a.R)))
    share = min(1.0, 2.0 / a.load)
    total = sum(r[1] for r in rows)
    print(f"{'test':48} {'cpu s':>8} {'wall s':>8} {'timeout':>8} {'headroom@load':>14}  state")
    for name, cpu, wall, timeout, state in sorted(rows, key=lambda r: -r[1]):
        print(f"{name:48} {cpu:8.1f} {wall:8.1f} {timeout:8.0f} {timeout * share / max(cpu, 1e-3):14.1f}  {state}")
    print(f"total CPU {total:.1f} s ({len(rows)} tests); at load {a.load:g} on 2 cores a test gets "
          f"{share:.2f} of a core")
    return 0 if all(r[4] in ("passed", "skipped") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
