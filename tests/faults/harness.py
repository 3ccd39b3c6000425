"""A small deployment of sdrcrm for the fault-injection tests: Celery worker and beat
processes (real ones, as in production) on a private PostgreSQL database and a private Redis,
an email backend that records every message it is handed, and ways to break things: SIGKILL
a pool child or the whole worker, stop Redis or empty it, restart PostgreSQL.

Everything the tests read comes from the database (psycopg2, outside Django) and from the
email record, never from the processes' own word.
"""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from .servers import PrivatePostgres, PrivateRedis

ROOT = Path(__file__).resolve().parents[2]
BOOT_WITHIN = 60  # seconds: bounds on a slow, shared CI machine, not timing assertions


def scale() -> float:
    """SDRCRM_FAULT_SCALE: 1 runs the issue's full counts (make test-faults); the default runs
    a small version of every case in `make test`."""
    return float(os.environ.get("SDRCRM_FAULT_SCALE", "0"))


def scaled(full: int, minimum: int) -> int:
    return max(minimum, round(full * scale()))


def wait_until(predicate, within: float, what: str, logs=()):
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tails = "\n".join(
                f"--- {p.name} ---\n{p.read_text()[-3000:]}" for p in logs if p.exists()
            )
            raise AssertionError(f"gave up waiting for {what}\n{tails}")
        time.sleep(0.1)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def children(self) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            ppid = int(text.rsplit(")", 1)[1].split()[1])
            if ppid == self.pid:
                found.append(int(stat.parent.name))
        return found

    def kill_group(self) -> None:
        """SIGKILL the process and everything it started (its session)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=30)


@dataclass
class Deployment:
    pg: PrivatePostgres
    redis: PrivateRedis
    dbname: str
    tmp: Path
    settings: dict = field(default_factory=dict)
    processes: list = field(default_factory=list)
    _conn: object = None
    counter: Counter = field(default_factory=Counter)

    @property
    def mail_dir(self) -> Path:
        path = self.tmp / "mail"
        path.mkdir(exist_ok=True)
        return path

    def env(self) -> dict:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sdrcrm.settings",
            "DATABASE_URL": self.pg.url(self.dbname),
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": self.redis.url,
            "CELERY_TASK_DEFAULT_QUEUE": "faults",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_BACKEND": "tests.faults.backends.AppendLogBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "SDRCRM_VAR_DIR": str(self.tmp / "var"),
            "PYTHONUNBUFFERED": "1",
            **{k: str(v) for k, v in self.settings.items()},
        }

    # --- processes ---------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str], ready: str) -> Proc:
        self.counter[name] += 1
        log = self.tmp / f"{name}-{self.counter[name]}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "sdrcrm", *args],
                cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        proc = Proc(name, popen, log)
        self.processes.append(proc)
        wait_until(
            lambda: not proc.alive() or ready in log.read_text(), BOOT_WITHIN, f"{name} up", [log]
        )
        assert proc.alive(), log.read_text()[-3000:]
        return proc

    def start_worker(self, concurrency: int = 2) -> Proc:
        n = self.counter["worker"] + 1
        return self._spawn(
            "worker",
            [
                "worker", "--pool=prefork", f"--concurrency={concurrency}", "-n",
                f"faults{n}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle",
                "--without-heartbeat",
            ],
            " ready.",
        )  # fmt: skip

    def start_beat(self) -> Proc:
        n = self.counter["beat"] + 1
        return self._spawn(
            "beat",
            [
                "beat", "--loglevel=INFO", "-s", str(self.tmp / f"beat-{n}-schedule"),
                f"--pidfile={self.tmp / f'beat-{n}.pid'}",
            ],
            "beat: Starting",
        )  # fmt: skip

    def kill_pool_child(self, worker: Proc) -> int:
        children = worker.children()
        assert children, "the worker has no pool child"
        pid = random.choice(children)
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.alive():
                proc.kill_group()
        self.processes.clear()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def logs(self) -> list[Path]:
        return [p.log for p in self.processes]

    # --- the database ------------------------------------------------------------------

    def query(self, sql: str, params=None) -> list[tuple]:
        """A query on the deployment's database, reconnecting after a server restart."""
        for attempt in range(100):
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = self.pg.connect(self.dbname)
                with self._conn.cursor() as cur:
                    cur.execute(sql, params)
                    return cur.fetchall()
            except psycopg2.OperationalError:
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                if attempt == 99:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def statuses(self, position: int = 1) -> dict[str, int]:
        return dict(
            self.query(
                "SELECT status, count(*) FROM cadences_touch WHERE position = %s GROUP BY status",
                [position],
            )
        )

    def sent_count(self) -> int:
        return self.statuses().get("sent", 0)

    def keys(self) -> dict[str, int]:
        """Message-ID -> touch id, for every first-step touch."""
        domain = "localhost"
        return {
            f"<{key}@{domain}>": pk
            for pk, key in self.query(
                "SELECT id, idempotency_key::text FROM cadences_touch WHERE position = 1"
            )
        }

    def wait_drained(self, total: int, within: float) -> None:
        wait_until(
            lambda: self.statuses() == {"sent": total},
            within,
            f"all {total} emails sent",
            self.logs(),
        )

    # --- the email record --------------------------------------------------------------

    def messages(self) -> list[tuple[float, str, str]]:
        """(time, Message-ID, To) of every message handed to the email backend."""
        found = []
        for path in sorted(self.mail_dir.glob("sent-*.log")):
            for line in path.read_text().splitlines():
                at, message_id, to = line.split("\t")
                found.append((float(at), message_id, to))
        return found

    def spawn_action(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.faults.actions", *args],
            cwd=ROOT, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def run_action(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tests.faults.actions", *args],
            cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip


def assert_each_sent_once(deployment: Deployment, total: int) -> dict:
    """Every first-step touch is sent, recorded once in the database, and handed to the email
    backend under its own Message-ID: none lost, none with another touch's key. Returns the
    figures (repeats: messages handed over a second time with the same Message-ID, after a
    crash between the send and the commit that records it)."""
    keys = deployment.keys()
    assert len(keys) == total
    assert deployment.statuses() == {"sent": total}
    # One timeline entry and one sent_at per touch: the database recorded each once.
    events = deployment.query(
        "SELECT (payload->>'touch_id')::bigint, count(*) FROM leads_leadevent "
        "WHERE kind = 'email' GROUP BY 1"
    )
    assert len(events) == total and {n for _, n in events} == {1}
    assert {pk for pk, _ in events} == set(keys.values())
    # The second step of each enrollment was scheduled once, two days on, and not sent.
    assert deployment.statuses(position=2) == {"scheduled": total}
    per_key = Counter(message_id for _, message_id, _ in deployment.messages())
    assert set(per_key) == set(keys), "an email lost, or one with an unknown key"
    repeats = sum(per_key.values()) - total
    return {"touches": total, "messages": sum(per_key.values()), "repeats": repeats}
