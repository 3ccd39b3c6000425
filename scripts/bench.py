#!/usr/bin/env python
"""`make bench`: run the benchmarks, print one table, write var/bench/latest.json.

  --size full   the target sizes: 1,000,000 leads (10,000,000 timeline entries,
                2,000,000 touches), 100,000 touches dispatched, 1,000,000 leads rescored
  --size small  a tenth: a quick run of the same code paths
  --size tiny   seconds: what `make test` runs (tests/test_bench.py) to check the suite works
  --only pages,dispatch,rescore   a subset (the JSON then has only those figures);
                `--only mailboxes` runs the mailbox figures alone

Each benchmark is a script of its own that can also be run alone, and writes its figures to
a JSON file this script merges:
  scripts/bench_data.py       the data set (made once, reused while its marker matches)
  scripts/bench_pages.py      page server times on it, Django's admin as the baseline
                              (+ scripts/bench_dashboards.py when present: see bench_pages)
  scripts/bench_dispatch.py   the touch dispatcher vs one Celery task per touch, stream
                              lateness, Celery worker memory over the batch
  scripts/bench_rescore.py    rescoring every open lead
  scripts/bench_import.py     import of 100,000 rows vs django-import-export,
                              when present; not at size tiny
  scripts/bench_mailboxes.py  SDRs' own mailboxes on the test mail servers (a private
                              Dovecot and the aiosmtpd submission server): a reply to
                              its enrollment stopped with 200 mailboxes and one or two
                              `mailbox_sync` processes, their CPU and memory while idle,
                              sending under the mailboxes' caps (needs Dovecot)

latest.json: {"size", "machine", "data", "figures": [{"name", "unit", "median", "p95",
"queries", and where there is one "baseline", "baseline_median", "ratio" (times better than
the baseline: baseline time / time, or rate / baseline rate)}, …], "hooks", "runs"}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

SIZES = {
    "full": {
        "pages": ["--repeat", "30", "--baseline-repeat", "10"],
        "dispatch": ["--touches", "100000", "--baseline", "20000", "--stream-rate", "2500",
                     "--stream-seconds", "40", "--mime-touches", "20000"],
        "rescore": ["--n", "1000000"],
        "import": ["--rows", "100000", "--baseline-rows", "10000", "--memory-rows", "1000000"],
        "mailboxes": ["--mailboxes", "200", "--replies", "100", "--reply-window", "60",
                      "--idle-seconds", "60", "--send-mailboxes", "20", "--send-emails", "240"],
    },
    "small": {
        "pages": ["--repeat", "20", "--baseline-repeat", "5"],
        "dispatch": ["--touches", "10000", "--baseline", "2000", "--stream-rate", "500",
                     "--stream-seconds", "10", "--mime-touches", "5000"],
        "rescore": ["--n", "50000"],
        "import": ["--rows", "10000", "--baseline-rows", "2000", "--memory-rows", "0"],
        "mailboxes": ["--mailboxes", "50", "--replies", "25", "--reply-window", "20",
                      "--idle-seconds", "20", "--send-mailboxes", "5", "--send-emails", "60"],
    },
    "tiny": {
        "pages": ["--repeat", "3", "--baseline-repeat", "2"],
        "dispatch": ["--touches", "300", "--baseline", "100", "--stream-rate", "50",
                     "--stream-seconds", "2", "--mime-touches", "0", "--workers", "1"],
        "rescore": ["--n", "1000", "--batch", "500"],
        "import": ["--rows", "2000", "--baseline-rows", "200", "--memory-rows", "0", "--runs",
                   "1"],
        "mailboxes": ["--mailboxes", "4", "--replies", "4", "--reply-window", "3",
                      "--idle-seconds", "3", "--send-mailboxes", "2", "--send-emails", "24"],
    },
}  # fmt: skip

# (benchmark, command before its size arguments, present when this file exists, where it
# writes its figures: None = the --json PATH given to it)
BENCHMARKS = [
    ("pages", [PY, "scripts/bench_pages.py", "--size", "{size}"], "scripts/bench_pages.py", None),
    ("dispatch", [PY, "scripts/bench_dispatch.py"], "scripts/bench_dispatch.py", None),
    ("rescore", [PY, "scripts/bench_rescore.py"], "scripts/bench_rescore.py", None),
    # 100,000 CSV rows end to end against django-import-export, and the
    # peak memory of a 1,000,000-row file (scratch database <DATABASE_URL name>_bench_import).
    ("import", [PY, "scripts/bench_import.py"], "scripts/bench_import.py", None),
    # Issue 19: 200 mailboxes on the test Dovecot (scratch database <name>_bench_mailboxes).
    ("mailboxes", [PY, "scripts/bench_mailboxes.py"], "scripts/bench_mailboxes.py", None),
]  # fmt: skip
KEYS = ["name", "unit", "median", "p95", "queries"]


def machine() -> dict:
    info = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        # Other work on the machine while measuring (e.g. other test runs) slows every figure.
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        )
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        info["memory_gb"] = round(mem_kb / 1024**2, 1)
    except (OSError, StopIteration, ValueError, IndexError):
        pass
    try:
        import psycopg2

        url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sdrcrm")
        conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            info["postgresql"] = cur.fetchone()[0]
            cur.execute("SHOW shared_buffers")
            info["shared_buffers"] = cur.fetchone()[0]
        conn.close()
    except Exception as exc:  # noqa: BLE001  (machine info is best effort)
        info["postgresql"] = f"unknown ({exc.__class__.__name__})"
    return info


def _reference_work() -> None:
    """A fixed piece of Python work shaped like rendering a page: objects made, attributes
    and dict keys looked up, values escaped and joined."""
    import html

    class Row:
        __slots__ = ("pk", "name", "state", "tags")

        def __init__(self, pk):
            self.pk, self.name, self.state, self.tags = pk, f"Lead <{pk}>", "new", {"a": pk}

    rows = [Row(i) for i in range(20_000)]
    "".join(
        f'<tr id="{r.pk}"><td>{html.escape(r.name)}</td><td>{r.state}</td>'
        f"<td>{r.tags['a']}</td></tr>"
        for r in sorted(rows, key=lambda r: -r.pk)
    )


def speed() -> dict:
    """How fast the machine is right now: the same VM gave page times twice as long from one
    hour to the next with nothing else running (docs/performance.md). Median ms of a fixed
    Python workload, and median µs of a PostgreSQL round trip (SELECT 1), so runs can be
    compared."""
    import statistics

    result = {}
    times = []
    for _ in range(15):
        started = time.perf_counter()
        _reference_work()
        times.append((time.perf_counter() - started) * 1000)
    result["reference_python_ms"] = round(statistics.median(times), 2)
    try:
        import psycopg2

        url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sdrcrm")
        conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
        trips = []
        with conn.cursor() as cur:
            for _ in range(1000):
                started = time.perf_counter()
                cur.execute("SELECT 1")
                cur.fetchone()
                trips.append((time.perf_counter() - started) * 1e6)
        conn.close()
        result["pg_round_trip_us"] = round(statistics.median(trips))
    except Exception:  # noqa: BLE001  (machine info is best effort)
        result["pg_round_trip_us"] = None
    return result


def normalise(figure: dict) -> dict:
    """Every figure has the keys the JSON promises (None where they do not apply)."""
    return {**{k: figure.get(k) for k in KEYS}, **figure}


def _fmt(value, digits=1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(figures: list[dict]) -> str:
    header = ["figure", "unit", "median", "p95", "queries", "baseline", "ratio"]
    rows = [
        [
            f["name"],
            f["unit"] or "",
            _fmt(f["median"]),
            _fmt(f["p95"]),
            _fmt(f["queries"]),
            _fmt(f.get("baseline_median")),
            f"{f['ratio']:.1f}x" if f.get("ratio") else "-",
        ]
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            str(c).ljust(w) if i < 2 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    names = [name for name, *_ in BENCHMARKS]
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(names))
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "latest.json"))
    args = parser.parse_args(argv)
    only = {s for s in args.only.split(",") if s}
    if only - set(names):
        parser.error(f"--only: no benchmark {', '.join(sorted(only - set(names)))}")
    size = SIZES[args.size]
    info = machine()
    info["speed_at_start"] = speed()
    print(
        f"machine: {info['cpus']} CPUs ({info.get('cpu', '?')}), {info.get('memory_gb', '?')} GB, "
        f"PostgreSQL {info['postgresql']}, Python {info['python']}; size {args.size}; "
        f"speed {info['speed_at_start']}",
        flush=True,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"size": args.size, "machine": info, "data": None, "figures": [], "hooks": {},
              "runs": []}  # fmt: skip
    rc = 0
    with tempfile.TemporaryDirectory(prefix="sdrcrm-bench-") as tmp:
        for name, command, needs, output in BENCHMARKS:
            if only and name not in only:
                continue
            if not (ROOT / needs).exists() or name not in size:
                why = "is not there yet" if not (ROOT / needs).exists() else f"size {args.size}"
                result["hooks"][name] = f"not run: {needs} ({why})"
                print(f"\n=== {name}: skipped ({needs}: {why})", flush=True)
                continue
            cmd = [c.format(size=args.size) for c in command] + size[name]
            if output is None:
                part = Path(tmp) / f"{name}.json"
                cmd += ["--json", str(part)]
            else:
                part = ROOT / output
                part.unlink(missing_ok=True)
            print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
            started = time.monotonic()
            code = subprocess.call(cmd, cwd=ROOT)
            seconds = time.monotonic() - started
            result["runs"].append({"name": name, "exit": code, "seconds": round(seconds, 1)})
            if code != 0 or not part.exists():
                print(f"=== {name} FAILED (exit {code})", flush=True)
                rc = rc or code or 1
                continue
            part_result = json.loads(part.read_text())
            result["figures"].extend(normalise(f) for f in part_result["figures"])
            result["hooks"].update(part_result.get("hooks", {}))
            if part_result.get("data"):
                result["data"] = part_result["data"]
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["machine"]["speed_at_end"] = speed()
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\n{table(result['figures'])}\n\nwritten: {out}", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
