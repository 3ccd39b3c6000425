"""Benchmark: rescore N open leads after a change of the qualification model.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sdrcrm .venv/bin/python scripts/bench_rescore.py
    … scripts/bench_rescore.py --n 10000 --batch 5000 --keep

It creates a scratch database beside the one DATABASE_URL names (``<name>_bench_rescore``,
dropped and recreated; the named database itself is not touched), migrates it, loads N open
leads with COPY (one prospect each, a company per four leads, answers for a third of them),
then times the real rescore (``qualification.services.scoring_model_rescore``, what the Celery
task runs) twice: the first scoring of every lead (inputs read from leads, prospects,
companies and answers), and, after a VACUUM ANALYZE such as autovacuum runs on a table that
just got a million rows, the rescore after a model change that changes most scores (the
figure that matters: a manager saving a new model). It prints leads/s for both, checks a
sample against the pure scoring function, and drops the scratch database unless --keep.
"""

# Django's modules (models, services, the test client) are imported inside the functions
# below: they can be imported only after django.setup(), which runs once the script has
# chosen its database.

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import benchdb  # noqa: E402


def _copy(cursor, table: str, columns: list[str], rows, chunk: int = 200_000) -> None:
    """COPY rows (tuples of already-formatted text values) into table, in chunks."""
    buf = io.StringIO()
    n = 0
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    for row in rows:
        buf.write("\t".join(row))
        buf.write("\n")
        n += 1
        if n % chunk == 0:
            buf.seek(0)
            cursor.copy_expert(sql, buf)
            buf = io.StringIO()
    if buf.tell():
        buf.seek(0)
        cursor.copy_expert(sql, buf)


def _text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _columns(model, explicit: dict[str, object]) -> tuple[list[str], list]:
    """Every concrete column of ``model`` but the id: the values given, else the field's
    default (so fields added later still load)."""
    from django.db import connection

    columns, constants = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key and f.column == "id":
            continue
        columns.append(f.column)
        if f.column in explicit:
            constants.append(explicit[f.column])
        else:
            default = f.get_default() if f.has_default() else (None if f.null else "")
            constants.append(_text(f.get_db_prep_save(default, connection)))
    return columns, constants


def load(n: int, seed: int = 2026) -> tuple[int, int]:
    """Load n open leads; returns (team id, first lead id)."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Role, Team, User
    from leads.models import Company, Lead, LeadSource, Prospect
    from qualification.models import LeadAnswers

    rng = random.Random(seed)
    now = timezone.now()
    team = Team.objects.create(name="Bench team")
    owner = User.objects.create(username="bench-sdr", role=Role.SDR, team=team)
    industries = ["Software", "IT services", "Logistics", "Retail", "Healthcare",
                  "Financial services", "Manufacturing", "Gambling", "Consulting", "Media",
                  "Næringsmiddel", ""]  # fmt: skip
    sizes = [0, 1, 4, 8, 12, 25, 40, 60, 90, 140, 180, 250, 400, 800, 1200, 3000, None]
    n_companies = max(1, n // 4)
    stamp = _text(now)

    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Company._meta.db_table}")
        first_company = cursor.fetchone()[0] + 1
        cols, consts = _columns(Company, {"created_at": stamp, "team_id": str(team.pk)})
        idx = {c: i for i, c in enumerate(cols)}

        def companies():
            for i in range(n_companies):
                row = list(consts)
                row[idx["name"]] = f"Company {i}"
                row[idx["domain"]] = f"c{i}.bench.example"
                row[idx["industry"]] = rng.choice(industries)
                row[idx["employee_count"]] = _text(rng.choice(sizes))
                yield row

        t = time.perf_counter()
        _copy(raw, Company._meta.db_table, cols, companies())
        print(f"  companies: {n_companies:,} in {time.perf_counter() - t:.1f} s", flush=True)

        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Prospect._meta.db_table}")
        first_prospect = cursor.fetchone()[0] + 1
        cols, consts = _columns(Prospect, {"created_at": stamp, "team_id": str(team.pk)})
        idx = {c: i for i, c in enumerate(cols)}
        roles = ["", "decision_maker", "champion", "influencer", "user", "gatekeeper"]

        def prospects():
            for i in range(n):
                row = list(consts)
                row[idx["company_id"]] = str(first_company + i % n_companies)
                row[idx["first_name"]] = f"P{i}"
                row[idx["email"]] = f"p{i}@bench.example"
                row[idx["role"]] = "decision_maker" if i % 5 == 0 else rng.choice(roles)
                yield row

        t = time.perf_counter()
        _copy(raw, Prospect._meta.db_table, cols, prospects())
        print(f"  prospects: {n:,} in {time.perf_counter() - t:.1f} s", flush=True)

        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Lead._meta.db_table}")
        first_lead = cursor.fetchone()[0] + 1
        cols, consts = _columns(
            Lead,
            {"team_id": str(team.pk), "source": LeadSource.INBOUND, "owner_id": str(owner.pk),
             "created_at": stamp, "updated_at": stamp, "state_changed_at": stamp},
        )  # fmt: skip
        idx = {c: i for i, c in enumerate(cols)}
        states = ["new", "researching", "contacting", "engaged", "qualified"]

        def leads():
            for i in range(n):
                row = list(consts)
                row[idx["prospect_id"]] = str(first_prospect + i)
                row[idx["state"]] = states[i % len(states)]
                yield row

        t = time.perf_counter()
        _copy(raw, Lead._meta.db_table, cols, leads())
        print(f"  leads: {n:,} in {time.perf_counter() - t:.1f} s", flush=True)

        cols, consts = _columns(LeadAnswers, {"updated_at": stamp})
        idx = {c: i for i, c in enumerate(cols)}

        def answers():
            for i in range(0, n, 3):
                row = list(consts)
                row[idx["lead_id"]] = str(first_lead + i)
                row[idx["budget"]] = _text(rng.choice([None, 0, 20_000, 60_000, 150_000]))
                row[idx["timeline"]] = rng.choice(["", "this_month", "this_quarter", "none"])
                row[idx["authority"]] = rng.choice(["", "decision_maker", "influencer", "none"])
                row[idx["need"]] = rng.choice(["", "confirmed", "possible", "none"])
                row[idx["fit"]] = rng.choice(["", "yes", "partly", "no"])
                yield row

        t = time.perf_counter()
        _copy(raw, LeadAnswers._meta.db_table, cols, answers())
        print(f"  answers: {len(range(0, n, 3)):,} in {time.perf_counter() - t:.1f} s")
        raw.close()
    return team.pk, first_lead


def run(n: int, batch: int, workers: int | None) -> list[dict]:
    from django.db import connection

    from leads.models import Lead
    from qualification.models import LeadAnswers, ScoringModel
    from qualification.rescore import default_workers
    from qualification.scoring import DEFAULT_CONFIG, lead_facts, score_lead
    from qualification.services import scoring_model_rescore

    workers = default_workers() if workers is None else workers

    print(f"Loading {n:,} open leads with COPY …", flush=True)
    team_id, _ = load(n)
    connection.close()
    with connection.cursor() as cursor:  # VACUUM cannot run in a transaction
        cursor.execute("VACUUM ANALYZE")

    changed = {
        **DEFAULT_CONFIG,
        "size_bands": [
            {"min_employees": 1, "max_employees": 10, "points": 3},
            {"min_employees": 11, "max_employees": 50, "points": 12},
            {"min_employees": 51, "max_employees": 200, "points": 22},
            {"min_employees": 201, "max_employees": 1000, "points": 18},
            {"min_employees": 1001, "max_employees": None, "points": 8},
        ],
        "other_industry_points": 2,
        "authority_points": {"decision_maker": 12, "influencer": 6, "none": -4, "unknown": 1},
    }
    figures = []
    for version, config, what in (
        (1, DEFAULT_CONFIG, "first scoring (every lead unscored)"),
        (2, changed, "rescore after a model change"),
    ):
        model = ScoringModel.objects.create(team_id=team_id, version=version, config=config)
        t = time.perf_counter()
        result = scoring_model_rescore(model_id=model.pk, batch_size=batch, workers=workers)
        elapsed = time.perf_counter() - t
        rate = result.scanned / elapsed
        figures.append((what, result.scanned, elapsed, rate))
        # Between the two, what autovacuum does to a table that just got a million rows.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE qualification_leadscore")
            cursor.execute("VACUUM ANALYZE leads_lead")
        print(
            f"{what}: {result.scanned:,} leads in {elapsed:.2f} s = {rate:,.0f} leads/s "
            f"({result.batches} batches of {batch:,} ids on {workers} connections; inputs read "
            f"afresh for "
            f"{result.read:,}; Lead.score changed for {result.changed:,})",
            flush=True,
        )

    # How many scores the change moved, and a sample checked against the pure function.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM qualification_leadscore s JOIN leads_lead l ON l.id = s.lead_id "
            "WHERE l.team_id = %s AND s.model_id = %s",
            [team_id, model.pk],
        )
        on_v2 = cursor.fetchone()[0]
    print(f"scores on version 2: {on_v2:,} of {n:,}")
    sample = list(
        Lead.objects.filter(team_id=team_id).select_related("prospect__company").order_by("?")[:500]
    )
    answers = {a.lead_id: a for a in LeadAnswers.objects.filter(lead__in=sample)}
    bad = [
        lead.pk
        for lead in sample
        if score_lead(lead_facts(lead.prospect, answers.get(lead.pk)), model.scoring).score
        != lead.score
    ]
    print(
        f"sample of {len(sample)} checked against the pure scoring function: "
        f"{'all agree' if not bad else f'{len(bad)} DISAGREE, e.g. lead {bad[0]}'}"
    )
    if bad:
        sys.exit(1)
    names = ["rescore.first_scoring", "rescore.model_change"]
    return [
        {"name": name, "unit": "leads/s", "median": rate, "p95": None, "queries": None,
         "leads": scanned, "seconds": elapsed, "batch": batch, "workers": workers, "note": what}
        for name, (what, scanned, elapsed, rate) in zip(names, figures, strict=True)
    ]  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="open leads (default 1,000,000)")
    parser.add_argument("--batch", type=int, default=100_000, help="lead ids per batch")
    parser.add_argument(
        "--workers", type=int, default=None, help="connections in parallel (default: setting)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--json", default="", help="write the figures there (make bench)")
    args = parser.parse_args(argv)

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the scratch one is made beside it).")
    scratch = benchdb.scratch_name("rescore")
    scratch_url = benchdb.recreate(scratch)
    print(f"Scratch database {scratch}")
    os.environ["DATABASE_URL"] = scratch_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sdrcrm.settings")
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        figures = run(args.n, args.batch, args.workers)
        if args.json:
            import json

            Path(args.json).write_text(json.dumps({"figures": figures}, indent=2))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            benchdb.drop(scratch)
            print(f"Dropped {scratch}")


if __name__ == "__main__":
    main()
