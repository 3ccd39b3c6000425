"""`make run`'s own parts, without starting the app: it installs the app's locked set only
(requirements.txt, not the dev tools), and scripts/run-dev.sh stops its four processes on one
Ctrl-C with status 0 and nothing but its own two lines. tests/test_make_run.py runs the real
thing on a fresh clone."""

import os
import signal
import stat
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Stands in for the virtualenv's python: `PY - URL PID` is run-dev.sh's wait for /healthz
# (answered at once), anything else is one of the four processes, which records its pid and
# waits to be stopped.
FAKE_PY = """#!/usr/bin/env bash
if [[ $1 == - ]]; then cat >/dev/null; exit 0; fi
echo $$ >> "$PIDS"
exec sleep 600
"""


def test_make_run_installs_the_apps_locked_set_not_the_dev_tools(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    result = subprocess.run(
        ["make", "-n", "run", f"VENV={venv}", "DATABASE_URL=postgres://x/y"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    installs = [line for line in result.stdout.splitlines() if " -m pip install" in line]
    assert len(installs) == 2, result.stdout
    assert "--require-hashes --no-deps" in installs[0]
    assert "-r requirements.txt" in result.stdout
    assert "requirements-dev.txt" not in result.stdout
    assert "--no-deps -e ." in installs[1]


def test_ctrl_c_stops_the_four_processes_with_status_0_and_no_traceback(tmp_path):
    fake = tmp_path / "python"
    fake.write_text(FAKE_PY)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    pids = tmp_path / "pids"
    env = {
        **os.environ,
        "PY": str(fake),
        "PIDS": str(pids),
        "PORT": "8799",
        "SDRCRM_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_DEBUG": "1",  # no collectstatic
        "STOP_TIMEOUT": "5",
    }
    proc = subprocess.Popen(
        ["bash", "scripts/run-dev.sh"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if pids.exists() and len(pids.read_text().split()) == 4:
                break
            time.sleep(0.1)
        children = [int(p) for p in pids.read_text().split()]
        assert len(children) == 4
        time.sleep(0.5)  # past the banner

        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    assert proc.returncode == 0, err
    assert "Traceback" not in out + err
    assert out.splitlines()[-2:] == [
        "run-dev: stopping web, worker, beat and the mailbox sync...",
        "run-dev: stopped.",
    ]
    for pid in children:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"process {pid} outlived the run")
