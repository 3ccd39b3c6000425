#!/usr/bin/env python
"""The benchmark data set: a year-old sales floor in PostgreSQL, made in minutes.

  scripts/bench_data.py --size full     1,000,000 leads, 10,000,000 timeline entries,
                                        2,000,000 touches (≈ 5 minutes on 2 cores)
  scripts/bench_data.py --size small    a tenth of that
  scripts/bench_data.py --size tiny     2,000 leads (the `make test` smoke run)
  … --force                             regenerate even when the data set is already there

The data set lives in its own database beside the one DATABASE_URL names:
``<name>_bench_<size>`` (``sdrcrm_bench_full`` for DATABASE_URL=…/sdrcrm). A marker row
(table ``bench_dataset``) records the size and the generator version: when it matches, the data
set is reused as it is (only ``migrate`` runs, so new index migrations are applied to it), so
running `make bench` again does not regenerate anything.

How it is fast: every row is produced inside PostgreSQL by ``INSERT … SELECT … FROM
generate_series`` (no row crosses the wire; it is as fast as COPY and needs no parsing), with
the non-constraint indexes dropped before the load and built once afterwards, and with
``session_replication_role = replica`` so foreign-key triggers do not run per row (the rows are
consistent by construction; the constraints stay declared). Then VACUUM ANALYZE, as autovacuum
would have done on a database of this age.

Shape (the skew a two-year-old team has): 5 teams, 50 SDRs and 10 AEs (2 per team), a manager
per team, an admin. Leads spread over three years, the oldest first; 95 % of them closed
(disqualified, accepted) or in nurture, the newest 5 % the working set (new, researching,
contacting, engaged, qualified, about ten handed off per AE: an AE's capacity). A company per
four leads, a prospect per lead. Timeline: 1-19 events a lead (10 on average), a lead in 5,000
with 400; events are written in time order across leads, so one lead's history is scattered
over the table as it is in production. Touches: an 8-step cadence per team; every contacting
lead is enrolled (one step due now-ish, earlier ones done, later ones planned), and enough
closed leads have finished enrollments to make the total.
"""

# Django's modules (models, services, the test client) are imported inside the functions
# below: they can be imported only after django.setup(), which runs once the script has
# chosen its database.

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import benchdb  # noqa: E402
from scripts.bench_generate import GENERATOR_VERSION, SIZES, generate  # noqa: E402


def dataset_db(size: str) -> tuple[str, str]:
    """(database name, url) of the data set of ``size``; SDRCRM_BENCH_DATABASE overrides."""
    name = os.environ.get("SDRCRM_BENCH_DATABASE") or benchdb.scratch_name(size)
    return name, benchdb.url_of(name)


def read_marker(url: str) -> dict | None:
    import psycopg2

    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return None  # no such database yet
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_dataset')")
            if cur.fetchone()[0] is None:
                return None
            cur.execute(
                "SELECT size, generator, leads, events, touches, generated_at, seconds "
                "FROM bench_dataset ORDER BY generated_at DESC LIMIT 1"
            )
            row = cur.fetchone()
    finally:
        conn.close()
    if row is None:
        return None
    keys = ["size", "generator", "leads", "events", "touches", "generated_at", "seconds"]
    return dict(zip(keys, row, strict=True))


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sdrcrm.settings")
    os.environ.setdefault("SDRCRM_DEV", "1")  # a benchmark run: the development key will do
    import django

    django.setup()


def ensure(size: str, force: bool = False) -> dict:
    """The data set of ``size``: reused when present, else made. Returns its marker
    (size, generator, leads, events, touches, generated_at, seconds) plus database and
    reused=True/False. Sets up Django on that database."""
    name, url = dataset_db(size)
    marker = read_marker(url)
    reuse = (
        not force
        and marker is not None
        and marker["size"] == size
        and marker["generator"] == GENERATOR_VERSION
        and marker["leads"] == SIZES[size]["leads"]
    )
    if not reuse:
        benchdb.recreate(name)
    _setup_django(url)
    from django.core.management import call_command

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - t
    if reuse:
        print(
            f"data set {size} in {name}: reused (generated {marker['generated_at']:%Y-%m-%d %H:%M}"
            f" in {marker['seconds']:.0f} s; migrate {migrate_seconds:.1f} s)",
            flush=True,
        )
    else:
        print(f"data set {size} in {name}: generating …", flush=True)
        generate(size)
        marker = read_marker(url)
        print(
            f"data set {size}: {marker['leads']:,} leads, {marker['events']:,} events, "
            f"{marker['touches']:,} touches in {marker['seconds']:.0f} s "
            "(before VACUUM ANALYZE)",
            flush=True,
        )
    return {**marker, "database": name, "reused": reuse}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--force", action="store_true", help="regenerate even if present")
    args = parser.parse_args(argv)
    ensure(args.size, force=args.force)


if __name__ == "__main__":
    main()
