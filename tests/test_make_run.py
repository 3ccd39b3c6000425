"""The README's first command on a fresh clone, with no PostgreSQL installed as far as it can
tell: `make run` starts the private PostgreSQL from the pip wheel, migrates, loads the demo and
serves every page of every role (the dashboards with the demo's figures), with the product's
own error pages (DEBUG off); one Ctrl-C stops it all, the database included.

The clone gets no virtualenv of its own (installing one takes minutes and is what `make deps`
is for): `make` is pointed at this test's own interpreter (VENV, with stamps, STAMP and
RUN_STAMP, newer than the lock files so nothing is installed). Its PATH has every program of
the test's PATH but PostgreSQL's (`pg_ctl`, `initdb`, `postgres`, `psql`), so a launcher that
looked there would fail here.
"""

import csv
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
PG_PROGRAMS = ("pg_ctl", "initdb", "postgres", "psql", "pg_ctlcluster")
DEMO_PASSWORD = "sdrcrm-demo"
# Each demo user and a page that only their role reaches (besides what their menu links to).
DEMO_USERS = {
    "maria": "/dashboards/commission/",
    "sara": "/today/",
    "sindre": "/today/",
    "bjorn": "/today/",
    "anders": "/qualification/queue/",
    "ingrid": "/qualification/queue/",
    "mia": "/imports/",
    "petra": "/privacy/",
    "admin": "/admin/",
}
NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
HREF = re.compile(r'href="(/[^"#?]*)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _path_without_postgresql(bin_dir: Path) -> str:
    """One folder of links to every program on PATH but PostgreSQL's (Debian keeps psql in
    /usr/bin beside make and git, so folders cannot simply be left out)."""
    bin_dir.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not Path(folder).is_dir():
            continue
        for program in Path(folder).iterdir():
            link = bin_dir / program.name
            if program.name not in PG_PROGRAMS and not link.exists() and not link.is_symlink():
                link.symlink_to(program)
    return str(bin_dir)


def _wait_for(url: str, seconds: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def _login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base}/login/",
        data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
    )
    assert answer.status_code == 200, (username, answer.status_code)
    assert "/login/" not in answer.url, username
    return session


@pytest.fixture
def served():
    # Not pytest's tmp_path: as root, the private PostgreSQL runs as another user, who must
    # be able to reach the clone (pytest's folders are the root user's alone).
    tmp_path = Path(tempfile.mkdtemp(prefix="sdrcrm-make-run-", dir="/tmp"))
    tmp_path.chmod(0o755)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    stamp = tmp_path / "installed"
    stamp.touch()
    future = time.time() + 3600
    os.utime(stamp, (future, future))
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PYTHONPATH")
        and not key.startswith(("PYTEST", "DJANGO_SETTINGS"))
    }
    env["PATH"] = _path_without_postgresql(tmp_path / "bin")
    log_path = tmp_path / "make-run.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            "make",
            "run",
            f"PORT={port}",
            f"VENV={sys.prefix}",
            f"STAMP={stamp}",
            f"RUN_STAMP={stamp}",
        ],
        cwd=clone,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/healthz", 300, proc, log_path)
        yield base, proc, clone
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            subprocess.run(  # whatever the SIGKILL left: the server of this clone's data
                [sys.executable, "scripts/embedded_pg.py", "stop"], cwd=clone, env=env
            )
        log.close()
        shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.worker
def test_make_run_serves_every_role_on_the_wheels_postgresql_and_stops_on_ctrl_c(served):
    base, proc, clone = served
    for username, own_page in DEMO_USERS.items():
        session = _login(base, username)
        home = session.get(f"{base}/", timeout=30)
        assert home.status_code == 200, username
        nav = NAV.search(home.text)
        pages = set(HREF.findall(nav.group(1))) if nav else set()
        pages.add(own_page)
        for path in sorted(pages):
            answer = session.get(f"{base}{path}", timeout=60)
            assert answer.status_code == 200, (username, path, answer.status_code)

    # DEBUG is off: an unknown address is the product's 404 (never Django's page listing the
    # URL patterns), logged in or not, and the static files come from the source tree.
    for session in (requests.Session(), _login(base, "maria")):
        answer = session.get(f"{base}/no-such-page/", timeout=30)
        assert answer.status_code == 404
        assert 'class="card narrow error-page"' in answer.text
        assert "URLconf" not in answer.text and "urlpatterns" not in answer.text
    assert requests.get(f"{base}/static/css/app.css", timeout=30).status_code == 200

    # The demo's history over the last six weeks is on the manager's dashboards.
    maria = _login(base, "maria")
    period = {"start": (date.today() - timedelta(days=60)).isoformat(), "end": date.today()}
    for page in ("", "activity/", "commission/", "cadences/", "time-in-stage/"):
        answer = maria.get(f"{base}/dashboards/{page}", params=period, timeout=60)
        assert answer.status_code == 200, page
        assert "needs PostgreSQL" not in answer.text
    rows = list(
        csv.reader(
            io.StringIO(
                maria.get(
                    f"{base}/dashboards/commission/export/csv/", params=period, timeout=60
                ).content.decode("utf-8-sig")
            )
        )
    )
    assert len(rows) > 1, rows  # a header and the accepted leads of the demo's SDRs

    # One Ctrl-C (SIGINT to the foreground process group) stops everything, PostgreSQL too.
    os.killpg(proc.pid, signal.SIGINT)
    # make dies of the SIGINT too (GNU make re-raises it once its recipe has ended); the
    # recipe itself stops cleanly, so make reports no error.
    assert proc.wait(timeout=90) in (0, -signal.SIGINT)
    log = (clone.parent / "make-run.log").read_text()
    assert "make: ***" not in log and "Traceback" not in log, log[-3000:]
    assert "run-dev: stopped." in log
    pid_file = clone / "var" / "postgres" / "data" / "postmaster.pid"
    assert not pid_file.exists()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(base.rsplit(":", 1)[1]))) != 0
