#!/usr/bin/env python
"""Benchmark of SDRs' own mailboxes (issue 19) on the test mail servers (tests/mail/servers.py:
a private Dovecot and the aiosmtpd submission server, started here and stopped at the end).
Prints the figures and writes var/bench/mailboxes.json.

  1. reply to stop: N mailboxes of --mailboxes (each the mailbox of an SDR with a lead in an
     active cadence whose first email went out: ``Touch.message_id`` set) get a reply (its
     ``In-Reply-To`` the touch's Message-ID) appended to their INBOX at random moments over
     --reply-window seconds, while ``manage.py mailbox_sync`` runs: one process holding all
     the mailboxes, then two holding half each. Per reply, the time from the APPEND to the
     enrollment being stopped in PostgreSQL (polled every --poll seconds): p50, p95, max.
  2. idle: the CPU time (user + sys, /proc/PID/stat, and the scheduler's nanosecond count of
     the same in /proc/PID/task/*/schedstat: an idle minute is a few 10 ms ticks) and memory
     (RSS; PSS from /proc/PID/smaps_rollup) of one sync process holding half the mailboxes,
     then all of them, over --idle-seconds with nothing arriving (every mailbox in IDLE); the
     CPU of one pass over a mailbox (a newsletter appended to every INBOX); idle for good is
     the first plus a pass per mailbox every SDRCRM_SYNC_IDLE_SECONDS (300: IDLE renewed),
     which no measured window reaches (keep --idle-seconds well under it).
  3. sending with caps on (scripts/bench_mailboxes_send.py): --send-emails emails due across
     --send-mailboxes mailboxes with low caps, dispatched through the real SMTP server on a
     clock that jumps from tick to tick; checked against the server's log: no mailbox over its
     hourly cap, its daily cap or its minimum gap, no Message-ID twice; the lateness of each
     send against its slot.

Usage: scripts/bench_mailboxes.py [--mailboxes 200] [--replies 100] [--reply-window 60]
           [--idle-seconds 60] [--send-mailboxes 20] [--send-emails 240] [--json PATH]
Needs DATABASE_URL's server (a scratch database <name>_bench_mailboxes is created there,
dropped first), Dovecot (/usr/sbin/dovecot) and Redis (the sync processes' tasks go to a queue
of this run on SDRCRM_BENCH_BROKER_URL, else REDIS_URL's database 15; the queue is deleted
afterwards, nothing else is flushed).

Dovecot's IDLE watches a folder with inotify, one instance per IMAP process: with more IDLE
connections than ``fs.inotify.max_user_instances`` (128 by default, per account) the rest
look for new mail every 2 s instead (mailbox_idle_check_interval). The figures say whether
that happened (``inotify_fallback``); raise the limit (root: sysctl -w
fs.inotify.max_user_instances=1024) to measure IDLE itself.
"""

# Django's modules are imported inside the functions below: they can be imported only after
# django.setup(), which runs once the script has chosen its database.

import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import benchdb  # noqa: E402
from scripts.bench_mailboxes_world import (  # noqa: E402
    make_cadence,
    make_leads,
    make_mailboxes,
    make_team,
    mark_first_emails_sent,
    newsletter,
    percentile,
    reply,
    reply_targets,
)

BENCH_DB_NAME = benchdb.scratch_name("mailboxes")
_redis = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
BROKER = os.environ.get("SDRCRM_BENCH_BROKER_URL") or urlunsplit(
    (_redis.scheme, _redis.netloc, "/15", "", "")
)
QUEUE = f"bench-mail-{uuid.uuid4().hex[:8]}"
CLOCK_FILE = Path(tempfile.gettempdir()) / f"sdrcrm-bench-clock-{uuid.uuid4().hex[:8]}"
CLK_TCK = os.sysconf("SC_CLK_TCK")
INOTIFY_LIMIT = Path("/proc/sys/fs/inotify/max_user_instances")


def setup_django() -> None:
    benchdb.recreate(BENCH_DB_NAME)
    os.environ["DATABASE_URL"] = benchdb.url_of(BENCH_DB_NAME)
    os.environ["CELERY_BROKER_URL"] = BROKER
    os.environ["REDIS_URL"] = BROKER
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
    # The dispatcher of part 3 runs on a clock this script moves (sdrcrm/clock.py).
    os.environ["SDRCRM_CLOCK_FILE"] = str(CLOCK_FILE)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sdrcrm.settings")
    os.environ.setdefault("SDRCRM_DEV", "1")  # a benchmark run: the development key will do
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- the sync processes -----------------------------------------------------------------------


class SyncProcess:
    """One ``manage.py mailbox_sync`` holding up to ``limit`` mailboxes."""

    def __init__(self, limit: int, log_path: Path):
        env = {k: v for k, v in os.environ.items() if k != "SDRCRM_CLOCK_FILE"}
        env["PYTHONPATH"] = str(ROOT)
        self.limit = limit
        self.log = open(log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "mailbox_sync", "--mailboxes", str(limit)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def check(self) -> None:
        if self.proc.poll() is not None:
            raise SystemExit(f"mailbox_sync exited ({self.proc.returncode}): see {self.log_path}")

    def cpu_seconds(self) -> tuple[float, float | None]:
        """CPU time used so far by every thread: user + sys from /proc/PID/stat (counted in
        clock ticks, 10 ms), and the same from the scheduler's own count in nanoseconds
        (/proc/PID/task/*/schedstat; None without it), precise enough for a minute of idle."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rfind(")") + 2 :].split()
        ticks = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
        try:
            ns = sum(
                int(task.joinpath("schedstat").read_text().split()[0])
                for task in Path(f"/proc/{self.pid}/task").iterdir()
            )
        except (OSError, ValueError, IndexError):
            return ticks, None
        return ticks, ns / 1e9

    def memory(self) -> dict:
        values = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "Threads"):
                values[key] = int(rest.split()[0])
        pss = None
        try:
            for line in Path(f"/proc/{self.pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) / 1024
        except OSError:
            pass
        return {"rss_mb": values["VmRSS"] / 1024, "pss_mb": pss, "threads": values["Threads"]}

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def held_and_synced(procs: list[SyncProcess], since: datetime) -> tuple[list[int], int]:
    """Mailboxes each process holds now, and how many of them were synced since ``since``."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT split_part(s.holder, ':', 2)::int, count(*), "
            "count(*) FILTER (WHERE m.last_sync_at >= %s) FROM inbox_synclease s "
            "JOIN mailboxes_mailbox m ON m.id = s.mailbox_id "
            "WHERE s.until > now() AND s.holder <> '' GROUP BY 1",
            [since],
        )
        rows = {pid: (held, synced) for pid, held, synced in cur.fetchall()}
    held = [rows.get(p.pid, (0, 0))[0] for p in procs]
    return held, sum(rows.get(p.pid, (0, 0))[1] for p in procs)


def start_sync(limits: list[int], log_dir: Path, timeout: float = 600) -> tuple[list, float]:
    """Sync processes started, each holding its limit and done with its first passes; and
    the seconds that took."""
    since = datetime.now(UTC)
    started = time.monotonic()
    procs = [
        SyncProcess(limit, log_dir / f"mailbox-sync-{i}.log") for i, limit in enumerate(limits)
    ]
    while time.monotonic() - started < timeout:
        for proc in procs:
            proc.check()
        held, synced = held_and_synced(procs, since)
        if held == limits and synced == sum(limits):
            return procs, time.monotonic() - started
        time.sleep(0.25)
    for proc in procs:
        proc.stop()
    raise SystemExit(f"the sync processes held {held} and synced {synced} in {timeout} s")


def stop_sync(procs: list[SyncProcess]) -> None:
    codes = [p.stop() for p in procs]
    if any(codes):
        raise SystemExit(f"a mailbox_sync process exited with {codes}")


def cpu_used(before: list[tuple], after: list[tuple]) -> float:
    """CPU seconds between two readings of ``SyncProcess.cpu_seconds`` (the precise count
    where there is one)."""
    pairs = list(zip(after, before, strict=True))
    if all(a[1] is not None and b[1] is not None for a, b in pairs):
        return sum(a[1] - b[1] for a, b in pairs)
    return sum(a[0] - b[0] for a, b in pairs)


def pass_cost(servers, procs: list[SyncProcess], emails: list[str], timeout=300) -> dict:
    """The CPU of one pass over a mailbox: a newsletter appended to every INBOX wakes each
    mailbox's IDLE; the processes' CPU until every mailbox has had its pass, per pass. A pass
    with nothing new (the one every SDRCRM_SYNC_IDLE_SECONDS renews IDLE) costs a little
    less: no header to fetch."""
    from mailboxes.models import Mailbox

    before, started, since = [p.cpu_seconds() for p in procs], time.monotonic(), datetime.now(UTC)
    for email in emails:
        servers.append(email, "INBOX", newsletter(email))
    while Mailbox.objects.filter(email__in=emails, last_sync_at__gte=since).count() < len(emails):
        for proc in procs:
            proc.check()
        if time.monotonic() - started > timeout:
            raise SystemExit(f"the passes after a newsletter did not end within {timeout} s")
        time.sleep(0.1)
    seconds = time.monotonic() - started
    cpu = cpu_used(before, [p.cpu_seconds() for p in procs])
    return {"passes": len(emails), "seconds": round(seconds, 2),
            "cpu_ms_per_pass": cpu * 1000 / len(emails)}  # fmt: skip


def idle_usage(procs: list[SyncProcess], seconds: float) -> dict:
    """CPU and memory of the processes over ``seconds`` with nothing arriving."""
    before, t0 = [p.cpu_seconds() for p in procs], time.monotonic()
    time.sleep(seconds)
    after, t1 = [p.cpu_seconds() for p in procs], time.monotonic()
    memory = [p.memory() for p in procs]
    stat = sum(a[0] - b[0] for a, b in zip(after, before, strict=True))
    cpu = cpu_used(before, after)
    return {
        "seconds": round(t1 - t0, 1),
        "cpu_seconds": round(cpu, 4),
        "cpu_seconds_stat": round(stat, 3),  # user + sys, in 10 ms ticks
        "cpu_seconds_per_minute": cpu * 60 / (t1 - t0),
        "rss_mb": sum(m["rss_mb"] for m in memory),
        "pss_mb": sum(m["pss_mb"] for m in memory) if all(m["pss_mb"] for m in memory) else None,
        "threads": sum(m["threads"] for m in memory),
    }


def reply_round(servers, procs, targets: list[dict], window: float, poll: float,
                rng: random.Random, timeout: float = 180) -> dict:  # fmt: skip
    """The replies appended at random moments over ``window`` seconds (a thread), each timed
    from its APPEND to its enrollment stopped in the database (polled here)."""
    from cadences.models import Enrollment

    moments = sorted(rng.uniform(0, window) for _ in targets)
    appended: dict[int, float] = {}
    failed: list[BaseException] = []

    def append_all() -> None:
        start = time.monotonic()
        try:
            for moment, target in zip(moments, targets, strict=True):
                time.sleep(max(0.0, start + moment - time.monotonic()))
                raw = reply(target)
                with servers.imap(target["mailbox"]) as conn:
                    at = time.monotonic()
                    typ, data = conn.append("INBOX", None, None, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND to {target['mailbox']}: {data}")
                appended[target["enrollment"]] = at
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failed.append(exc)

    thread = threading.Thread(target=append_all, daemon=True)
    thread.start()
    latency: dict[int, float] = {}
    reasons: dict[int, str] = {}
    deadline = None
    while len(latency) < len(targets):
        if failed:
            raise SystemExit(f"appending the replies failed: {failed[0]!r}")
        for proc in procs:
            proc.check()
        waiting = {e: at for e, at in list(appended.items()) if e not in latency}
        if waiting:
            rows = Enrollment.objects.filter(pk__in=list(waiting), status="stopped").values_list(
                "pk", "stop_reason"
            )
            seen = time.monotonic()
            for pk, reason in rows:
                latency[pk] = seen - waiting[pk]
                reasons[pk] = reason
        if deadline is None and not thread.is_alive():
            deadline = time.monotonic() + timeout
        if deadline is not None and time.monotonic() > deadline:
            break
        time.sleep(poll)
    thread.join()
    values = sorted(latency.values())
    missed = len(targets) - len(values)
    wrong = sorted({r for r in reasons.values() if r != "replied"})
    if missed or wrong:
        raise SystemExit(f"{missed} replies not applied within {timeout} s; reasons {wrong}")
    return {
        "median": statistics.median(values),
        "p95": percentile(values, 0.95),
        "max": values[-1],
        "min": values[0],
        "replies": len(values),
        "window_seconds": window,
        "poll_seconds": poll,
    }


def inotify_fallback(servers) -> list[str]:
    """Dovecot's log lines saying IDLE could not use inotify (it looks every 2 s instead)."""
    log = servers.dovecot.log
    text = log.read_text(errors="replace") if log.exists() else ""
    return [line for line in text.splitlines() if "inotify" in line.lower()]


def sync_figures(servers, args, log_dir: Path, rng: random.Random) -> list[dict]:
    from django.conf import settings

    n, half = args.mailboxes, max(args.mailboxes // 2, 1)
    team = make_team("Bench sync")
    mailboxes = make_mailboxes(team, servers, n, "sync")
    cadence, steps = make_cadence(team)
    owners = [m.user_id for m in mailboxes]
    now = datetime.now(UTC)
    for tag in ("a", "b"):  # one lead per mailbox and round of replies
        make_leads(team, cadence, steps, owners, tag, now - timedelta(minutes=5))
    mark_first_emails_sent(team)
    print(f"{n} mailboxes, {2 * n} leads in a cadence, first emails sent", flush=True)

    if args.idle_seconds + 30 > settings.SDRCRM_SYNC_IDLE_SECONDS:
        raise SystemExit("--idle-seconds: keep it 30 s under SDRCRM_SYNC_IDLE_SECONDS")
    idle = {}
    procs, _ = start_sync([half], log_dir)
    try:
        time.sleep(2)
        idle[half] = idle_usage(procs, args.idle_seconds)
    finally:
        stop_sync(procs)
    print(f"idle, {half} mailboxes, 1 process: {idle[half]}", flush=True)

    procs, first_passes = start_sync([n], log_dir)
    try:
        time.sleep(2)
        idle[n] = idle_usage(procs, args.idle_seconds)
        print(f"idle, {n} mailboxes, 1 process (first passes {first_passes:.1f} s): {idle[n]}",
              flush=True)  # fmt: skip
        passes = pass_cost(servers, procs, [m.email for m in mailboxes])
        print(f"a newsletter to each of {n} mailboxes: {passes}", flush=True)
        targets = rng.sample(reply_targets(team, "a"), args.replies)
        one = reply_round(servers, procs, targets, args.reply_window, args.poll, rng)
        one_memory = [p.memory() for p in procs]
    finally:
        stop_sync(procs)
    print(f"reply to stop, 1 process: {one}", flush=True)

    procs, first_two = start_sync([half, n - half], log_dir)
    try:
        time.sleep(2)
        targets = rng.sample(reply_targets(team, "b"), args.replies)
        two = reply_round(servers, procs, targets, args.reply_window, args.poll, rng)
        two_memory = [p.memory() for p in procs]
    finally:
        stop_sync(procs)
    print(f"reply to stop, 2 processes: {two}", flush=True)

    fallback = inotify_fallback(servers)
    limit = int(INOTIFY_LIMIT.read_text()) if INOTIFY_LIMIT.exists() else None
    common = {"mailboxes": n, "inotify_max_user_instances": limit,
              "inotify_fallback": bool(fallback), "inotify_log": fallback[:3]}  # fmt: skip
    per100, added = 100 / n, max(n - half, 1)
    # Idle for good: what was measured with nothing arriving, plus the pass each mailbox has
    # every SDRCRM_SYNC_IDLE_SECONDS when IDLE is renewed (none fell in the measured window).
    refresh = settings.SDRCRM_SYNC_IDLE_SECONDS
    idle_ms = {str(k): v["cpu_seconds_per_minute"] * 1000 for k, v in idle.items()}
    steady = idle_ms[str(n)] + n * passes["cpu_ms_per_pass"] * 60 / refresh
    # Memory as a base plus a share per mailbox, from the two sizes measured.
    rss_per100 = (idle[n]["rss_mb"] - idle[half]["rss_mb"]) * 100 / added
    pss = idle[n]["pss_mb"] is not None and idle[half]["pss_mb"] is not None
    pss_per100 = (idle[n]["pss_mb"] - idle[half]["pss_mb"]) * 100 / added if pss else None
    return [
        {"name": "mailboxes.reply_to_stop.one_process", "unit": "s", **one, "processes": 1,
         "process_memory": one_memory, **common},
        {"name": "mailboxes.reply_to_stop.two_processes", "unit": "s", **two, "processes": 2,
         "process_memory": two_memory, "first_passes_seconds": first_two, **common},
        {"name": "mailboxes.sync_idle_cpu", "unit": "CPU ms/min per 100 mailboxes",
         "median": steady * per100, "idle_ms_per_minute_at": idle_ms,
         "cpu_ms_per_pass": passes["cpu_ms_per_pass"], "idle_refresh_seconds": refresh,
         "newsletter_passes_seconds": passes["seconds"],
         "cpu_seconds_at": {str(k): v["cpu_seconds"] for k, v in idle.items()},
         "cpu_seconds_stat_at": {str(k): v["cpu_seconds_stat"] for k, v in idle.items()},
         "idle_seconds": args.idle_seconds, **common},
        {"name": "mailboxes.sync_idle_memory", "unit": f"MB RSS, one process, {n} mailboxes",
         "median": idle[n]["rss_mb"], "rss_mb_per_100_mailboxes": rss_per100,
         "rss_mb_base": idle[n]["rss_mb"] - rss_per100 * n / 100,
         "pss_mb_per_100_mailboxes": pss_per100,
         "rss_mb_at": {str(k): v["rss_mb"] for k, v in idle.items()},
         "pss_mb_at": {str(k): v["pss_mb"] for k, v in idle.items()},
         "threads_at": {str(k): v["threads"] for k, v in idle.items()},
         "first_passes_seconds": first_passes, **common},
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mailboxes", type=int, default=200)
    parser.add_argument("--replies", type=int, default=100, help="per round, at most --mailboxes")
    parser.add_argument("--reply-window", type=float, default=60)
    parser.add_argument("--poll", type=float, default=0.1)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--send-mailboxes", type=int, default=20)
    parser.add_argument("--send-emails", type=int, default=240)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "mailboxes.json"))
    args = parser.parse_args()
    if not 0 < args.replies <= args.mailboxes or args.mailboxes < 2:
        parser.error("need 2 or more --mailboxes and 1 to --mailboxes --replies")

    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    setup_django()
    from scripts import bench_mailboxes_send
    from tests.mail.servers import MailServers

    rng = random.Random(args.seed)
    servers = MailServers().start()
    started = time.monotonic()
    try:
        figures = sync_figures(servers, args, log_dir, rng)
        figures.append(bench_mailboxes_send.send_figure(servers, args))
    finally:
        servers.stop()
        CLOCK_FILE.unlink(missing_ok=True)
        _delete_queue()
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "seconds": round(time.monotonic() - started, 1),
        "figures": figures,
    }  # fmt: skip
    Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    print()
    for f in figures:
        print(f"{f['name']:<40} {f['median']:>10.3f} {f['unit']}"
              + (f"  p95 {f['p95']:.2f}  max {f['max']:.2f}" if "p95" in f else ""))  # fmt: skip


def _delete_queue() -> None:
    """The tasks the sync processes and the dispatcher queued (nobody consumes them here)."""
    import redis

    client = redis.Redis.from_url(BROKER)
    keys = list(client.scan_iter(match=f"*{QUEUE}*"))  # the queue and kombu's bindings
    if keys:
        client.delete(*keys)


if __name__ == "__main__":
    main()
