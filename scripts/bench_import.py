#!/usr/bin/env python
"""Lead import speed: our engine against django-import-export, and peak memory.

  python scripts/bench_import.py [--rows 100000] [--baseline-rows 10000] [--memory-rows 1000000]

On a scratch database (``<DATABASE_URL's name>_bench_import``, recreated):
1. a realistic CSV of --rows rows (a few bad rows and in-file duplicates) is imported end to end
   (upload into PostgreSQL, scan, parse, validate, dedupe, write companies, prospects, leads and
   timeline entries): three runs on empty tables, median and best;
2. django-import-export imports the first --baseline-rows rows of the same file into the same
   models (a ModelResource on Lead whose hooks create the company, the prospect and the timeline
   entry), rows/s compared per row;
3. the command line imports a --memory-rows file in a child process; its peak RSS is reported.
Writes var/bench/import.json (or --json PATH).
"""

# Django's modules (models, services, the test client) are imported inside the functions
# below: they can be imported only after django.setup(), which runs once the script has
# chosen its database.

import argparse
import csv
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts import benchdb  # noqa: E402

DB_NAME = benchdb.scratch_name("import")
OUT = ROOT / "var" / "bench"


def db_url() -> str:
    return benchdb.url_of(DB_NAME)


def recreate_database() -> None:
    benchdb.recreate(DB_NAME)


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """HubSpot-like export: 3 people per company, 1 in 2,000 rows broken, 1 in 500 repeated."""
    rnd = random.Random(seed)
    industries = ["Software", "Energi", "Retail", "Finance", "Logistics", "Health"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "First Name",
                "Last Name",
                "Email",
                "Company",
                "Website",
                "Job Title",
                "Number of Employees",
                "Industry",
                "Country",
                "Phone",
            ]
        )
        for i in range(rows):
            c = i // 3
            n = i - 1 if i % 500 == 499 else i  # an in-file duplicate
            email = f"Person{n}@Company{n // 3}.example.com"
            if i % 2000 == 1999:
                email = f"broken-{i}"
            w.writerow(
                [
                    f"Førnavn{n}",
                    f"Etternavn{n}",
                    email,
                    f"Company {c} AS",
                    f"www.company{c}.example.com",
                    "Head of Sales",
                    str(rnd.randint(5, 5000)),
                    rnd.choice(industries),
                    rnd.choice(["NO", "SE", "Norge", "DK"]),
                    f"+47 {i:08d}",
                ]
            )


def setup() -> None:
    os.environ["DATABASE_URL"] = db_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sdrcrm.settings")
    os.environ.setdefault("SDRCRM_DEV", "1")  # a benchmark run: the development key will do
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            "TRUNCATE leads_leadevent, leads_lead, leads_prospect, leads_company, "
            "intake_importjob CASCADE"
        )
        c.execute("VACUUM ANALYZE leads_lead")


def team_and_sdrs():
    from accounts.models import Role, Team, User

    team, _ = Team.objects.get_or_create(name="Bench")
    sdrs = []
    for i in range(2):
        u, _ = User.objects.get_or_create(
            username=f"bench-sdr{i}", defaults={"role": Role.SDR, "team": team}
        )
        sdrs.append(u)
    return team, sdrs


def ours(path: Path, team, sdrs) -> tuple[float, dict]:
    from intake import services

    def chunks():
        with path.open("rb") as f:
            while piece := f.read(1 << 20):
                yield piece

    started = time.perf_counter()
    job = services.import_upload(
        actor=None, team=team, name=path.name, chunks=chunks(), size=path.stat().st_size
    )
    services.import_start(
        actor=None,
        job_id=job.pk,
        options=services.ImportOptions(
            mapping=job.mapping,
            header_row=job.header_row,
            assignment="round_robin",
            assignees=[u.pk for u in sdrs],
        ),
    )
    job = services.import_run(job.pk)
    seconds = time.perf_counter() - started
    return seconds, {
        "created": job.created_count,
        "duplicates": job.duplicate_count,
        "rejected": job.rejected_count,
    }


def baseline(path: Path, rows: int, team) -> float:
    """django-import-export, default settings, the same rows into the same four tables."""
    import tablib
    from django.utils import timezone
    from import_export import resources

    from leads.models import Company, EventKind, Lead, LeadEvent, Prospect
    from leads.normalize import normalize_domain, normalize_email

    class LeadResource(resources.ModelResource):
        class Meta:
            model = Lead
            fields = ("id",)
            import_id_fields = ("id",)
            skip_unchanged = False

        def before_import_row(self, row, **kwargs):
            domain = normalize_domain(row["Website"])
            company, _ = Company.objects.get_or_create(
                team=team,
                domain=domain,
                defaults={
                    "name": row["Company"],
                    "industry": row["Industry"],
                    "employee_count": int(row["Number of Employees"] or 0) or None,
                },
            )
            prospect, _ = Prospect.objects.get_or_create(
                team=team,
                email=normalize_email(row["Email"]),
                defaults={
                    "first_name": row["First Name"],
                    "last_name": row["Last Name"],
                    "title": row["Job Title"],
                    "phone": row["Phone"],
                    "company": company,
                },
            )
            row["prospect_id"] = prospect.pk

        def init_instance(self, row=None):
            now = timezone.now()
            return Lead(
                team=team,
                prospect_id=row["prospect_id"],
                source="marketing_list",
                created_at=now,
                updated_at=now,
                state_changed_at=now,
            )

        def after_save_instance(self, instance, row, **kwargs):
            LeadEvent.objects.create(
                lead=instance, kind=EventKind.CREATED, to_state="new", body="Imported", payload={}
            )

    with path.open(encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        data = tablib.Dataset(headers=header)
        seen = set()
        for i, r in enumerate(reader):
            if i >= rows:
                break
            email = r[2].strip().lower()
            if "@" not in email or email in seen:  # the baseline gets clean rows
                continue
            seen.add(email)
            data.append(r)
    data.append_col([""] * len(data), header="id")
    started = time.perf_counter()
    result = LeadResource().import_data(data, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    assert not result.has_errors()
    return len(data) / seconds


def peak_memory_mb(path: Path) -> tuple[float, float]:
    """Peak RSS of `manage.py import_leads` on ``path`` in a child process, and its seconds."""
    env = {**os.environ, "DATABASE_URL": db_url()}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "import_leads", str(path), "--team", "Bench"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, seconds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--baseline-rows", type=int, default=10_000)
    ap.add_argument("--memory-rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", default=str(OUT / "import.json"))
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    recreate_database()
    setup()
    team, sdrs = team_and_sdrs()
    path = OUT / f"import-{args.rows}.csv"
    write_csv(path, args.rows)
    times, outcome = [], {}
    for _ in range(args.runs):
        empty_tables()
        seconds, outcome = ours(path, team, sdrs)
        times.append(seconds)
        print(
            f"ours: {args.rows:,} rows in {seconds:.2f} s = {args.rows / seconds:,.0f} rows/s "
            f"{outcome}",
            flush=True,
        )
    empty_tables()
    base_rate = baseline(path, args.baseline_rows, team)
    print(f"django-import-export: {base_rate:,.0f} rows/s on the first {args.baseline_rows:,} rows")
    median_rate = args.rows / statistics.median(times)
    figures = [
        {
            "name": "import.csv_rows",
            "unit": "rows/s",
            "what": f"{args.rows:,} CSV rows end to end",
            "median": round(median_rate),
            "p95": round(args.rows / max(times)),
            "best": round(args.rows / min(times)),
            "queries": None,
            "runs": len(times),
            "outcome": outcome,
            "baseline": "django-import-export import_data (default)",
            "baseline_median": round(base_rate),
            "ratio": round(median_rate / base_rate, 1),
        },
    ]
    if args.memory_rows:
        mem_path = OUT / f"import-{args.memory_rows}.csv"
        write_csv(mem_path, args.memory_rows, seed=11)
        empty_tables()
        mb, seconds = peak_memory_mb(mem_path)
        print(
            f"{args.memory_rows:,}-row file: peak RSS {mb:,.0f} MB, {seconds:.1f} s "
            f"({args.memory_rows / seconds:,.0f} rows/s)"
        )
        figures.append(
            {
                "name": "import.peak_memory",
                "unit": "MB",
                "what": f"a {args.memory_rows:,}-row file through manage.py import_leads",
                "median": round(mb),
                "p95": round(mb),
                "queries": None,
                "seconds": round(seconds, 1),
            }
        )
        mem_path.unlink()
    report = {"machine": f"{os.cpu_count()} CPUs, {platform.platform()}", "figures": figures}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2))
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
