#!/usr/bin/env python
"""`make bench`: run the benchmarks and print their figures (var/bench/*.json).

  --size full   the sizes the issues state (100,000 touches, …)
  --size small  a quick run of the same code paths

Each benchmark is a script of its own that can also be run alone:
  scripts/bench_dispatch.py      the touch dispatcher (issue 4)
  qualification/bench.py         rescoring open leads (issue 5), when present
"""

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SIZES = {
    "full": {
        "dispatch": [
            "--touches",
            "100000",
            "--baseline",
            "20000",
            "--stream-rate",
            "2500",
            "--stream-seconds",
            "40",
            "--mime-touches",
            "20000",
        ],
        "rescore": ["--n", "1000000"],
    },
    "small": {
        "dispatch": [
            "--touches",
            "10000",
            "--baseline",
            "2000",
            "--stream-rate",
            "500",
            "--stream-seconds",
            "10",
            "--mime-touches",
            "5000",
        ],
        "rescore": ["--n", "50000"],
    },
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    args = parser.parse_args()
    size = SIZES[args.size]
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}; size {args.size}",
        flush=True,
    )
    rc = 0
    runs = [("dispatch", [sys.executable, "scripts/bench_dispatch.py", *size["dispatch"]])]
    if (ROOT / "qualification" / "bench.py").exists():
        runs.append(("rescore", [sys.executable, "-m", "qualification.bench", *size["rescore"]]))
    for name, cmd in runs:
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        rc |= subprocess.call(cmd, cwd=ROOT)
    return rc


if __name__ == "__main__":
    sys.exit(main())
