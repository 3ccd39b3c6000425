"""`make bench SIZE=tiny` runs and writes its JSON. No timing is asserted here: the figures are
the benchmark's business (docs/performance.md); this only checks the suite works end to end.

It runs scripts/bench.py --size tiny (what `make bench SIZE=tiny` runs inside
scripts/test-services.sh) against the test run's PostgreSQL server and Redis, in scratch
databases named after the test database (<test db>_bench_tiny, _bench_dispatch,
_bench_rescore, _bench_import), dropped afterwards. A real Celery worker is started by the
dispatch benchmark.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

PAGE_FIGURES = [
    "page.lead_list.first",
    "page.lead_list.filtered",
    "page.lead_list.deep",
    "page.lead_list.sdr_first",
    "page.lead_list.search_name",
    "page.lead_list.search_email",
    "page.lead_list.search_company",
    "page.lead_list.sdr_search_name",
    "page.lead_detail",
    "page.today",
    "page.ae_queue",
    "page.dashboard.pipeline",
    "page.dashboard.activity_day",
    "page.dashboard.activity_week",
    "page.dashboard.commission",
    "page.dashboard.time_in_stage",
    "page.dashboard.leads_behind_a_figure",
]
OTHER_FIGURES = [
    "dispatch.batch",
    "celery_worker.rss",
    "dispatch.baseline_task_per_touch",
    "dispatch.stream_lateness",
    "rescore.first_scoring",
    "rescore.model_change",
    "import.csv_rows",
]
WITH_BASELINE = {
    "import.csv_rows",
    "page.lead_list.first",
    "page.lead_list.filtered",
    "page.lead_list.deep",
    "page.lead_list.sdr_first",
    "page.lead_list.search_email",
    "page.lead_list.search_company",
    "page.lead_detail",
    "dispatch.batch",
}


def _server_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host = quote(db["HOST"] or "127.0.0.1", safe="")  # a socket directory is a path
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{name}"


def _drop(names: list[str]) -> None:
    conn = psycopg2.connect(_server_url("postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        for name in names:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.mark.worker
def test_bench_tiny_runs_and_writes_its_json(tmp_path):
    base = connection.settings_dict["NAME"]  # the test database: scratch names derive from it
    scratch = [f"{base}_bench_{s}" for s in ("tiny", "dispatch", "rescore", "import")]
    redis = urlsplit(settings.REDIS_URL)
    out = tmp_path / "latest.json"
    env = {
        **os.environ,
        "DATABASE_URL": _server_url(base),
        "REDIS_URL": settings.REDIS_URL,
        # The worker's broker: this run's Redis database, not flushed (queues are per run).
        "SDRCRM_BENCH_BROKER_URL": urlunsplit((redis.scheme, redis.netloc, redis.path, "", "")),
    }
    try:
        result = subprocess.run(
            # The mailbox figures (the test mail servers): tests/test_bench_mailboxes.py.
            [sys.executable, "scripts/bench.py", "--size", "tiny", "--out", str(out),
             "--only", "pages,dispatch,rescore,import"],  # fmt: skip
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        _drop(scratch)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    data = json.loads(out.read_text())
    assert data["size"] == "tiny"
    assert data["machine"]["cpus"] == os.cpu_count()
    # How fast the machine was, before and after (figures of two runs are compared with it).
    for when in ("speed_at_start", "speed_at_end"):
        assert data["machine"][when]["reference_python_ms"] > 0
        assert data["machine"][when]["pg_round_trip_us"] > 0
    assert data["data"]["leads"] == 2_000 and data["data"]["size"] == "tiny"
    assert data["data"]["events"] > 0 and data["data"]["touches"] > 0
    names = [f["name"] for f in data["figures"]]
    assert names == PAGE_FIGURES + OTHER_FIGURES
    for figure in data["figures"]:
        assert {"name", "unit", "median", "p95", "queries"} <= figure.keys(), figure
        assert figure["median"] > 0, figure
        if figure["name"].startswith("page."):
            assert figure["unit"] == "ms"
            assert figure["p95"] >= figure["median"] * 0.999
            assert isinstance(figure["queries"], int) and figure["queries"] > 0
        if figure["name"] in WITH_BASELINE:
            assert figure["baseline"] and figure["baseline_median"] > 0, figure
            assert figure["ratio"] > 0
        else:
            assert "ratio" not in figure, figure
    rss = next(f for f in data["figures"] if f["name"] == "celery_worker.rss")
    assert rss["start"] > 0 and rss["peak"] >= rss["end"] > 0
    # Hooks for the benchmarks of other issues: reported, not silently missing.
    assert "import" not in data["hooks"]  # run, not skipped
    imported = next(f for f in data["figures"] if f["name"] == "import.csv_rows")
    assert imported["outcome"] == {"created": 1996, "duplicates": 3, "rejected": 1}
    assert data["hooks"]["dashboards"] == "scripts/bench_dashboards.py measure()"
    # The table is printed.
    assert "page.lead_list.first" in result.stdout and "written:" in result.stdout
