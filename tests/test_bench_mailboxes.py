"""`make bench SIZE=tiny ONLY=mailboxes` runs and writes its JSON: the mailbox figures (issue 19)
on the test mail servers, with 4 mailboxes. No timing is asserted here (the figures are the
benchmark's business: docs/performance.md); this checks that the benchmark works end to end
and that what it verifies holds: every reply stopped its enrollment, the sync processes held
a thread per mailbox, and the emails sent under low caps reached the SMTP server once each,
with the caps reached and none exceeded.

It runs scripts/bench.py --size tiny --only mailboxes against the test run's PostgreSQL server
and Redis, in the scratch database <test db>_bench_mailboxes (dropped afterwards); the
benchmark starts its own Dovecot and SMTP server and two `mailbox_sync` processes.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

from tests.test_bench import _drop, _server_url

ROOT = Path(__file__).resolve().parent.parent

FIGURES = [
    "mailboxes.reply_to_stop.one_process",
    "mailboxes.reply_to_stop.two_processes",
    "mailboxes.sync_idle_cpu",
    "mailboxes.sync_idle_memory",
    "mailboxes.send_lateness",
]


def test_bench_mailboxes_tiny_runs_and_writes_its_json(tmp_path):
    base = connection.settings_dict["NAME"]
    redis = urlsplit(settings.REDIS_URL)
    out = tmp_path / "latest.json"
    env = {
        **os.environ,
        "DATABASE_URL": _server_url(base),
        "REDIS_URL": settings.REDIS_URL,
        # The sync processes' tasks: a queue of the run in this run's Redis database, deleted
        # afterwards (nothing is flushed).
        "SDRCRM_BENCH_BROKER_URL": urlunsplit((redis.scheme, redis.netloc, redis.path, "", "")),
    }
    try:
        result = subprocess.run(
            [sys.executable, "scripts/bench.py", "--size", "tiny", "--only", "mailboxes",
             "--out", str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    finally:
        _drop([f"{base}_bench_mailboxes"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    data = json.loads(out.read_text())
    assert data["size"] == "tiny"
    assert [r["name"] for r in data["runs"]] == ["mailboxes"]
    figures = {f["name"]: f for f in data["figures"]}
    assert list(figures) == FIGURES
    for name, processes in (("one_process", 1), ("two_processes", 2)):
        replies = figures[f"mailboxes.reply_to_stop.{name}"]
        assert (replies["unit"], replies["replies"], replies["processes"]) == ("s", 4, processes)
        assert replies["mailboxes"] == 4
        assert 0 < replies["min"] <= replies["median"] <= replies["p95"] <= replies["max"]
        assert len(replies["process_memory"]) == processes
    cpu = figures["mailboxes.sync_idle_cpu"]
    assert cpu["unit"] == "CPU ms/min per 100 mailboxes"
    assert set(cpu["cpu_seconds_at"]) == {"2", "4"}  # half the mailboxes, then all
    assert all(v >= 0 for v in cpu["cpu_seconds_at"].values())
    # Idle for good adds a pass per mailbox every SDRCRM_SYNC_IDLE_SECONDS, measured apart.
    assert cpu["idle_refresh_seconds"] == 300 and cpu["cpu_ms_per_pass"] > 0
    memory = figures["mailboxes.sync_idle_memory"]
    assert memory["median"] == memory["rss_mb_at"]["4"] > 0
    # A watcher thread per mailbox held.
    assert memory["threads_at"]["4"] - memory["threads_at"]["2"] == 2
    send = figures["mailboxes.send_lateness"]
    assert send["over_limit"] == []
    assert (send["emails"], send["mailboxes"], send["handed_over"]) == (24, 2, 24)
    # 12 emails per mailbox against 5 an hour and 10 a day: both caps reached, none exceeded
    # (the last two wait for the next day); no two emails of a mailbox closer than the gap
    # (120 s, less the variable second an email takes from its reservation to the server).
    assert (send["most_in_an_hour"], send["most_in_a_day"]) == (5, 10)
    assert send["simulated_hours"] > 13
    assert send["smallest_gap_seconds"] >= 119
    assert 0 <= send["median"] <= send["p95"] <= send["max"]
    assert "mailboxes.send_lateness" in result.stdout and "written:" in result.stdout
