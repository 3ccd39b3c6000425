"""Fixtures of the fault-injection tests: one private PostgreSQL cluster and one private Redis
for the session (never the shared servers on 5432/6379, which these tests stop, restart and
empty), a migrated template database, and per test a fresh database copied from it."""

import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg2
import pytest

from .harness import ROOT, Deployment
from .servers import PrivatePostgres, PrivateRedis

TEMPLATE = "faults_template"


@pytest.fixture(scope="session")
def private_servers():
    # Not under pytest's tmp_path: that is private to root, and PostgreSQL runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="sdrcrm-faults-"))
    root.chmod(0o755)
    pg, rd = PrivatePostgres(root), PrivateRedis(root)
    pg.init()
    try:
        rd.start()
        pg.execute(f"CREATE DATABASE {TEMPLATE}")
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={**Deployment(pg, rd, TEMPLATE, root).env()},
            capture_output=True,
            text=True,
        )
        assert migrate.returncode == 0, migrate.stderr
        yield pg, rd
    finally:
        rd.stop()
        pg.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def deployment(private_servers, tmp_path):
    pg, rd = private_servers
    if rd.process is None:  # a test that failed with Redis stopped
        rd.start()
    rd.flushall()
    dbname = f"faults_{uuid.uuid4().hex[:10]}"
    pg.execute(f"CREATE DATABASE {dbname} TEMPLATE {TEMPLATE}")
    tmp_path.chmod(0o755)
    d = Deployment(pg, rd, dbname, tmp_path)
    try:
        yield d
    finally:
        d.stop_all()
        if rd.process is None:
            rd.start()
        try:
            pg.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        except psycopg2.OperationalError:  # a test that failed with PostgreSQL stopped
            pg.start()
            pg.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
