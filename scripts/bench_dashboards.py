#!/usr/bin/env python
"""Benchmark of the dashboard pages: timings and query counts per page.

``measure(client)`` is the reusable part: given a Django test ``Client`` logged in as someone
(a manager, an SDR, an admin…), it opens every dashboard page ``runs`` times after ``warmup``
and returns, per page, the median and 95th percentile in milliseconds and the number of
queries. ``scripts/bench.py`` can call it on its own data set.

Run standalone, it builds a data set of its own with SQL (generate_series, no Python loops
over rows) in a dedicated database, runs the real rollup over the whole timeline (timed), and
prints median / p95 / queries per page for a manager, an SDR and an admin:

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/sdrcrm scripts/bench_dashboards.py \
      [--leads 1000000] [--runs 30] [--keep]

Default: 1,000,000 leads, about 10,000,000 timeline entries over the last 365 days, 5 teams of
10 SDRs/BDRs (50) and 2 AEs (10 AEs), in the database ``<name>_bench_dashboards`` after the
database of ``DATABASE_URL`` (``sdrcrm_bench_dashboards`` for ``.../sdrcrm``, scripts/benchdb.py;
dropped and rebuilt unless ``--keep`` finds it already built).
"""

# Django's modules (models, services, the test client) are imported inside the functions
# below: they can be imported only after django.setup(), which runs once the script has
# chosen its database.

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import benchdb  # noqa: E402

BENCH_DB_NAME = benchdb.scratch_name("dashboards")  # <name>_bench_dashboards
TEAMS = 5
SDRS_PER_TEAM = 10
AES_PER_TEAM = 2
DAYS = 365

PAGES = {
    "pipeline": "/dashboards/",
    "activity (day)": "/dashboards/activity/",
    "activity (week)": "/dashboards/activity/?by=week",
    "commission": "/dashboards/commission/",
    "cadences (2 side by side)": "/dashboards/cadences/?a={a}&b={b}",
    "time in stage": "/dashboards/time-in-stage/",
    "leads behind a figure": "/dashboards/leads/?figure=email",
}


def measure(
    client,
    *,
    pages: dict | None = None,
    runs: int = 20,
    warmup: int = 2,
    params: dict | None = None,
    extra_query: str = "",
) -> dict:
    """Open each page ``warmup + runs`` times with ``client``; return
    {page: {"median_ms", "p95_ms", "max_ms", "queries", "runs"}}. Fails on a non-200 answer.
    ``params`` fills placeholders in the paths (e.g. {"a": cadence_id, "b": cadence_id});
    ``extra_query`` is appended to every path (e.g. "start=2026-01-01&end=2026-03-31")."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    params = params or {}
    out = {}
    for name, path in (pages or PAGES).items():
        try:
            url = path.format(**params)
        except KeyError:
            continue
        if extra_query:
            url += ("&" if "?" in url else "?") + extra_query
        times, queries = [], set()
        for i in range(warmup + runs):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
            if i >= warmup:
                times.append(elapsed)
                queries.add(len(ctx.captured_queries))
        times.sort()
        out[name] = {
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(round(0.95 * len(times))) - 1)], 1),
            "max_ms": round(times[-1], 1),
            "queries": max(queries),
            "runs": runs,
        }
    return out


# --- The standalone data set ---------------------------------------------------------------------


def _exists() -> bool:
    conn = benchdb.admin_connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB_NAME])
            return cur.fetchone() is not None
    finally:
        conn.close()


def _step(label: str, fn, *args):
    t0 = time.perf_counter()
    result = fn(*args)
    print(f"  {label}: {time.perf_counter() - t0:.1f} s", flush=True)
    return result


def build(n_leads: int) -> dict:
    """People and cadences with the ORM (a few dozen rows), everything else with SQL."""
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Role, Team, User
    from cadences.models import Channel
    from cadences.services import CadenceData, StepData, cadence_create

    call_command("migrate", verbosity=0)
    zones = ["Europe/Oslo", "America/New_York", "Asia/Tokyo", "Europe/London", "UTC"]
    teams, sdrs, aes, managers, cadences = [], [], [], [], []
    for t in range(TEAMS):
        team = Team.objects.create(name=f"Team {t + 1}", time_zone=zones[t % len(zones)])
        teams.append(team)
        manager = User.objects.create_user(
            f"manager{t + 1}",
            password="bench",
            role=Role.MANAGER,
            team=team,
            first_name="Manager",
            last_name=str(t + 1),
        )
        managers.append(manager)
        for s in range(SDRS_PER_TEAM):
            sdrs.append(
                User.objects.create_user(
                    f"sdr{t + 1}_{s + 1}",
                    password="bench",
                    role=Role.SDR if s % 3 else Role.BDR,
                    team=team,
                    first_name=f"SDR {s + 1}",
                    last_name=f"T{t + 1}",
                )
            )
        for a in range(AES_PER_TEAM):
            aes.append(
                User.objects.create_user(
                    f"ae{t + 1}_{a + 1}",
                    password="bench",
                    role=Role.AE,
                    team=team,
                    first_name=f"AE {a + 1}",
                    last_name=f"T{t + 1}",
                )
            )
        steps = [
            StepData(
                channel=Channel.AUTO_EMAIL,
                subject_template="Hi",
                body_template="Hello",
                day_offset=0,
            ),
            StepData(channel=Channel.LINKEDIN_CONNECT, day_offset=0, instructions="Connect"),
            StepData(
                channel=Channel.AUTO_EMAIL,
                subject_template="Re",
                body_template="Again",
                day_offset=2,
            ),
            StepData(channel=Channel.CALL, day_offset=2, instructions="Call"),
            StepData(
                channel=Channel.AUTO_EMAIL, subject_template="Re", body_template="Bye", day_offset=3
            ),
        ]
        for c in range(2):
            cadences.append(
                cadence_create(
                    actor=manager, data=CadenceData(name=f"Playbook {c + 1}", steps=steps)
                ).pk
            )
    User.objects.create_user(
        "admin", password="bench", role=Role.ADMIN, is_staff=True, is_superuser=True
    )

    team_ids = [t.pk for t in teams]
    sdr_ids = [u.pk for u in sdrs]  # team t owns sdr_ids[t*10:(t+1)*10]
    ae_ids = [u.pk for u in aes]  # team t: ae_ids[t*2:(t+1)*2]
    p = {
        "n": n_leads,
        "teams": team_ids,
        "sdrs": sdr_ids,
        "aes": ae_ids,
        "cads": cadences,
        "spt": SDRS_PER_TEAM,
        "apt": AES_PER_TEAM,
        "nt": TEAMS,
        "days": DAYS,
    }

    def sql(statement):
        with connection.cursor() as cur:
            cur.execute(statement, p)

    _step(
        "prospects",
        sql,
        """
        INSERT INTO leads_prospect (id, team_id, first_name, last_name, email, phone, title,
            role, linkedin_url, time_zone, do_not_contact, created_at)
        SELECT i, (%(teams)s::bigint[])[1 + i %% %(nt)s], 'First' || i, 'Last' || i,
               'p' || i || '@example.com', '', '', '', '',
               '', false, now()
        FROM generate_series(1, %(n)s) i
    """,
    )
    # Lead i: team i %% nt, owner one of its SDRs, created over the last `days` days, and a
    # path chosen by i %% 100 (see the events below) that also fixes its final state.
    _step(
        "leads",
        sql,
        """
        INSERT INTO leads_lead (id, team_id, prospect_id, source, owner_id, assigned_ae_id, state,
            state_changed_at, disqualify_reason, disqualify_note, disqualified_from,
            rejection_reason, handoff_brief, role_known, decision_maker_identified,
            need_understood, website_checked, linkedin_checked, created_at, updated_at, version)
        SELECT i, (%(teams)s::bigint[])[1 + i %% %(nt)s], i,
               (ARRAY['outbound','inbound','marketing_list','web_form','outbound'])[1 + i %% 5],
               (%(sdrs)s::bigint[])[1 + (i %% %(nt)s) * %(spt)s + (i / %(nt)s) %% %(spt)s],
               CASE WHEN i %% 100 < 15 THEN
                   (%(aes)s::bigint[])[1 + (i %% %(nt)s) * %(apt)s + (i / %(nt)s) %% %(apt)s] END,
               CASE WHEN i %% 100 < 15 THEN 'accepted' WHEN i %% 100 < 25 THEN 'engaged'
                    WHEN i %% 100 < 45 THEN 'disqualified' WHEN i %% 100 < 55 THEN 'engaged'
                    ELSE 'contacting' END,
               LEAST(now(), c + interval '3 days'),
               CASE WHEN i %% 100 BETWEEN 25 AND 44 THEN 'no_response' ELSE '' END,
               '', '', '', '', false, false, false, false, false, c, c, 1
        FROM generate_series(1, %(n)s) i,
             LATERAL (SELECT now() - ((i::bigint * 7919) %% (%(days)s * 1440))
                                     * interval '1 minute' AS c) t
    """,
    )
    _step(
        "enrollments",
        sql,
        """
        INSERT INTO cadences_enrollment (id, lead_id, cadence_id, owner_id, status, stop_reason,
            stop_note, time_zone, country, started_at, disqualifier_overridden)
        SELECT l.id, l.id, (%(cads)s::bigint[])[1 + (l.team_id - (%(teams)s::bigint[])[1])
                                                 * 2 + l.id %% 2],
               l.owner_id, CASE WHEN l.state = 'contacting' THEN 'active' ELSE 'stopped' END,
               CASE WHEN l.id %% 100 BETWEEN 45 AND 54 THEN 'replied'
                    WHEN l.state = 'contacting' THEN '' ELSE 'lead_moved' END,
               '', 'Europe/Oslo', '', l.created_at + interval '2 hours', ''
        FROM leads_lead l
    """,
    )
    # The timeline: ~10 entries a lead. (k, kind, offset, from, to, payload) per path.
    _step(
        "timeline",
        sql,
        """
        INSERT INTO leads_leadevent (lead_id, kind, actor_id, created_at, from_state, to_state,
                                     body, payload)
        SELECT l.id, e.kind,
               CASE WHEN e.kind IN ('email') OR e.kind = 'cadence' AND e.k > 4 THEN NULL
                    WHEN e.by_ae THEN l.assigned_ae_id ELSE l.owner_id END,
               l.created_at + e.off, e.f, e.t, '',
               e.payload
        FROM leads_lead l
        CROSS JOIN LATERAL (
            SELECT en.cadence_id FROM cadences_enrollment en WHERE en.id = l.id
        ) en
        CROSS JOIN LATERAL (VALUES
            (0, 'created', interval '0', '', 'new', false,
                jsonb_build_object('source', l.source, 'owner_id', l.owner_id), true),
            (1, 'transition', interval '1 hour', 'new', 'researching', false,
                '{"transition": "start_research"}'::jsonb, true),
            (2, 'transition', interval '2 hours', 'researching', 'contacting', false,
                '{"transition": "start_contacting"}'::jsonb, true),
            (3, 'cadence', interval '2 hours 1 minute', '', '', false,
                jsonb_build_object('action', 'enroll', 'enrollment_id', l.id,
                                   'cadence_id', en.cadence_id), true),
            (4, 'email', interval '3 hours', '', '', false,
                jsonb_build_object('touch_id', l.id * 10 + 1, 'step', 1,
                                   'cadence_id', en.cadence_id), true),
            (5, 'task', interval '1 day', '', '', false,
                jsonb_build_object('channel', 'linkedin_connect', 'outcome', 'linkedin_sent',
                                   'step', 2), true),
            (6, 'email', interval '3 days', '', '', false,
                jsonb_build_object('touch_id', l.id * 10 + 3, 'step', 3,
                                   'cadence_id', en.cadence_id), true),
            (7, 'call', interval '4 days', '', '', false,
                jsonb_build_object('outcome', (ARRAY['connected','no_answer','voicemail',
                                   'no_answer','meeting_booked'])[1 + l.id %% 5]), true),
            -- accepted / rejected paths
            (8, 'transition', interval '5 days', 'contacting', 'engaged', false,
                '{"transition": "engage"}'::jsonb, l.id %% 100 < 25),
            (9, 'transition', interval '6 days', 'engaged', 'qualified', false,
                '{"transition": "qualify"}'::jsonb, l.id %% 100 < 25),
            (10, 'transition', interval '6 days 1 hour', 'qualified', 'handed_off', false,
                jsonb_build_object('transition', 'hand_off', 'ae_id', l.assigned_ae_id),
                l.id %% 100 < 15),
            (11, 'transition', interval '7 days', 'handed_off', 'accepted', true,
                '{"transition": "accept"}'::jsonb, l.id %% 100 < 15),
            (12, 'transition', interval '6 days 2 hours', 'engaged', 'disqualified', false,
                '{"transition": "disqualify", "reason": "no_budget"}'::jsonb, false),
            -- disqualified after no answer
            (13, 'transition', interval '10 days', 'contacting', 'disqualified', false,
                '{"transition": "disqualify", "reason": "no_response"}'::jsonb,
                l.id %% 100 BETWEEN 25 AND 44),
            -- replied
            (14, 'cadence', interval '5 days', '', '', false,
                jsonb_build_object('action', 'stopped', 'reason', 'replied',
                                   'enrollment_id', l.id), l.id %% 100 BETWEEN 45 AND 54),
            (18, 'reply', interval '5 days', '', '', false, '{"source": "inbound"}'::jsonb,
                l.id %% 100 BETWEEN 45 AND 54),
            (15, 'transition', interval '5 days 1 minute', 'contacting', 'engaged', false,
                '{"transition": "engage"}'::jsonb, l.id %% 100 BETWEEN 45 AND 54),
            -- still in the cadence: two more emails
            (16, 'email', interval '6 days', '', '', false,
                jsonb_build_object('touch_id', l.id * 10 + 5, 'step', 5,
                                   'cadence_id', en.cadence_id), l.id %% 100 >= 55),
            (17, 'note', interval '8 days', '', '', false, '{}'::jsonb, l.id %% 100 >= 55)
        ) AS e(k, kind, off, f, t, by_ae, payload, keep)
        WHERE e.keep AND l.created_at + e.off <= now()
    """,
    )
    _step(
        "sequences",
        sql,
        """
        SELECT setval(pg_get_serial_sequence('leads_prospect', 'id'), %(n)s),
               setval(pg_get_serial_sequence('leads_lead', 'id'), %(n)s),
               setval(pg_get_serial_sequence('cadences_enrollment', 'id'), %(n)s)
    """,
    )
    _step("analyze", sql, "ANALYZE")
    return {"cadences": cadences, "managers": [m.pk for m in managers], "sdrs": sdr_ids}


def build_rollups(batch_size: int = 250_000) -> dict:
    """The dashboards' facts and counts of a fresh data set (empty facts), timed. A bulk load:
    the facts' secondary indexes are built after it (the unique index stays: it is what makes
    re-reading safe), and the counts are made from all the facts at the end
    (``dashboards.rollup.facts_backfill``: the rollup's own statement, set-based).
    Used by bench_pages too. Returns {"facts", "rollup_s", "indexes_s"}."""
    from django.db import connection

    from dashboards.models import Fact
    from dashboards.rollup import facts_backfill
    from leads.models import LeadEvent

    with connection.schema_editor() as editor:
        for index in Fact._meta.indexes:
            editor.remove_index(Fact, index)
    t0 = time.perf_counter()
    added = facts_backfill(batch_size=batch_size)
    took = time.perf_counter() - t0
    events = LeadEvent.objects.count()
    print(
        f"  rollup of {events:,} timeline entries: {added:,} facts in {took:.0f} s "
        f"({events / max(took, 1e-9):,.0f} entries/s)",
        flush=True,
    )
    t0 = time.perf_counter()
    with connection.schema_editor() as editor:
        for index in Fact._meta.indexes:
            editor.add_index(Fact, index)
    indexes_s = time.perf_counter() - t0
    print(f"  facts' indexes built: {indexes_s:.0f} s", flush=True)
    with connection.cursor() as cur:
        for table in ("fact", "daycount", "workedday", "workedcount"):
            cur.execute(f"VACUUM ANALYZE dashboards_{table}")
    return {"facts": added, "rollup_s": took, "indexes_s": indexes_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="reuse an existing <name>_bench_dashboards instead of rebuilding it",
    )
    parser.add_argument(
        "--rebuild-facts",
        action="store_true",
        help="with --keep: empty the facts and counts and time their build again",
    )
    parser.add_argument("--days", type=int, default=30, help="the period shown (default 30)")
    args = parser.parse_args()

    reuse = args.keep and _exists()
    if not reuse:
        benchdb.recreate(BENCH_DB_NAME)
    os.environ["DATABASE_URL"] = benchdb.url_of(BENCH_DB_NAME)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sdrcrm.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    # DEBUG off, as in production, needs a real key (sdrcrm/settings.py refuses the dev one).
    os.environ.setdefault("DJANGO_SECRET_KEY", __import__("secrets").token_urlsafe(48))
    os.environ.setdefault(
        "SDRCRM_STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from cadences.models import Cadence
    from dashboards.models import Fact
    from dashboards.rollup import facts_refresh
    from leads.models import LeadEvent

    if not reuse:
        print(f"Building {args.leads:,} leads in {BENCH_DB_NAME}:", flush=True)
        build(args.leads)
    elif args.rebuild_facts:
        print("Emptying the facts and counts to build them again:", flush=True)
        with connection.cursor() as cur:
            cur.execute(
                "TRUNCATE dashboards_fact, dashboards_daycount, dashboards_workedday, "
                "dashboards_workedcount, dashboards_rollupcursor"
            )
    if not reuse or args.rebuild_facts:
        build_rollups()
    # The periodic rollup with nothing new: the cost of one tick (re-reads the overlap).
    t0 = time.perf_counter()
    facts_refresh()
    tick_ms = (time.perf_counter() - t0) * 1000

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM leads_lead")
        n_leads = cur.fetchone()[0]
    n_events = LeadEvent.objects.count()
    print(
        f"\nData: {n_leads:,} leads, {n_events:,} timeline entries, "
        f"{Fact.objects.count():,} facts; rollup tick with nothing new: {tick_ms:.0f} ms"
    )
    team1 = User.objects.get(username="manager1").team_id
    cads = list(Cadence.objects.filter(team_id=team1).order_by("pk").values_list("pk", flat=True))
    from datetime import timedelta

    from django.utils import timezone

    end = timezone.localdate()
    query = f"start={(end - timedelta(days=args.days - 1)).isoformat()}&end={end.isoformat()}"
    print(f"Period: the last {args.days} days; {args.runs} runs per page after 2 warm-ups.\n")
    print(f"{'who':10} {'page':28} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for username in ("manager1", "sdr1_2", "admin"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        results = measure(
            client, runs=args.runs, params={"a": cads[0], "b": cads[1]}, extra_query=query
        )
        for page, r in results.items():
            print(
                f"{username:10} {page:28} {r['median_ms']:>10} {r['p95_ms']:>8} "
                f"{r['max_ms']:>8} {r['queries']:>8}"
            )


if __name__ == "__main__":
    main()
