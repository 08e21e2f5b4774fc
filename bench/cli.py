"""How fast the command line answers, each figure beside its target; exit 1 when one misses.

    python bench/cli.py                 # 20 runs of each command
    python bench/cli.py --runs 50

Runs `xinyong --help`, `xinyong lists --help` and `xinyong id check <number>` as separate
processes with the project's virtual environment, and reports the median and the 95th percentile
of their wall time. Target: each answers within 0.3 s at the 95th percentile on an idle machine.
`python -c pass` is measured the same way, as the floor any command pays. The median CPU time
(user + system) is shown beside: on a busy machine it moves less than the wall time.

To measure another tree (say `main` before a change), put its `src` first on PYTHONPATH:
`git archive <commit> src | tar -x -C /tmp/old && PYTHONPATH=/tmp/old/src python bench/cli.py`.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
XINYONG = BIN / ("xinyong.exe" if os.name == "nt" else "xinyong")
TARGET_SECONDS = 0.3
#: A valid test number (born 1949-12-31 in Beijing's Xicheng district); it is not a real person's.
NUMBER = "11010519491231002X"


def timed_runs(command: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Run `command` `runs` times after one warm-up run; return each run's wall and CPU time."""
    walls: list[float] = []
    cpus: list[float] = []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i:  # the first run warms the file cache and writes the bytecode
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each command")
    args = parser.parse_args()
    if not XINYONG.exists():
        sys.exit(f"{XINYONG} is missing: run `python3 dev.py test` once to create .venv")
    commands = [
        ("python -c pass", [str(PYTHON), "-c", "pass"], None),
        ("xinyong --help", [str(XINYONG), "--help"], TARGET_SECONDS),
        ("xinyong lists --help", [str(XINYONG), "lists", "--help"], TARGET_SECONDS),
        ("xinyong id check", [str(XINYONG), "id", "check", NUMBER], TARGET_SECONDS),
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.runs} runs each; load average {load:.2f} on {os.cpu_count()} cores")
    print(f"{'command':<22} {'median':>8} {'p95':>8} {'cpu':>8}  target (p95 wall)")
    failed = False
    for label, command, target in commands:
        walls, cpus = timed_runs(command, args.runs)
        median, high, cpu = statistics.median(walls), p95(walls), statistics.median(cpus)
        verdict = ""
        if target is not None:
            ok = high < target
            failed |= not ok
            verdict = f"< {target:.2f} s  {'PASS' if ok else 'FAIL'}"
        print(f"{label:<22} {median:>7.3f}s {high:>7.3f}s {cpu:>7.3f}s  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
