#!/usr/bin/env python
"""Benchmark of the touch dispatcher, on PostgreSQL and Redis with real Celery
workers. Prints a table and writes var/bench/dispatch.json.

  1. batch:    N due automatic emails, W worker processes draining them with the product's
               design (a dispatch task per worker that claims 500 rows a time with SKIP LOCKED
               and sends them), into an email backend that renders each message in full and
               discards it.
  2. baseline: M due emails sent with one Celery task per touch (enqueued from here), on the
               same workers, in the same run.
  3. stream:   touches coming due at a steady rate R for S seconds, with the production tick
               (every SDRCRM_TICK_SECONDS, default 10) ringing the dispatcher: lateness
               (sent time minus due time), median and 99th percentile.

Usage: scripts/bench_dispatch.py [--touches 100000] [--baseline 20000] [--workers 2]
                                 [--stream-rate 2500] [--stream-seconds 40]
Needs DATABASE_URL's server (a scratch database <name>_bench_dispatch is created there, dropped
first) and REDIS_URL (database 15 is used and flushed; SDRCRM_BENCH_BROKER_URL names another
Redis database to use as it is, unflushed: queues are named per run).

During the batch (step 1) each worker's resident memory is sampled four times a second: the
figure ``celery_worker.rss`` (start, peak, end, MB, summed over the workers) shows whether a
worker's memory grows with the number of touches it sends.
"""

# Django's modules (models, services, the test client) are imported inside the functions
# below: they can be imported only after django.setup(), which runs once the script has
# chosen its database.

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import benchdb  # noqa: E402

BENCH_DB_NAME = benchdb.scratch_name("dispatch")
_redis = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
BROKER = os.environ.get("SDRCRM_BENCH_BROKER_URL") or urlunsplit(
    (_redis.scheme, _redis.netloc, "/15", "", "")
)
QUEUE = f"bench-{uuid.uuid4().hex[:8]}"


def bench_db_url() -> str:
    return benchdb.url_of(BENCH_DB_NAME)


def recreate_database() -> None:
    benchdb.recreate(BENCH_DB_NAME)


def setup_django() -> None:
    os.environ["DATABASE_URL"] = bench_db_url()
    os.environ["CELERY_BROKER_URL"] = BROKER
    os.environ["REDIS_URL"] = BROKER
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sdrcrm.settings")
    os.environ.setdefault("SDRCRM_DEV", "1")  # a benchmark run: the development key will do
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_world(n_sdrs: int = 50):
    """A team, SDRs with no effective daily cap, and a cadence open all day every day (so the
    benchmark measures sending, not the send window) of two email steps."""
    from datetime import time as dtime

    from accounts.models import Role, Team, User
    from cadences.models import Cadence, CadenceStep, Channel
    from cadences.standard import STANDARD_STEPS

    # Through the site-wide backend (the discarding one): this measures the dispatcher, not
    # SMTP sessions to SDRs' mailboxes (make bench's mailbox figures are issue 19's own).
    team = Team.objects.create(name="Bench team", email_via="site")
    User.objects.bulk_create(
        User(
            username=f"bench-sdr-{i}",
            first_name=f"Sdr{i}",
            last_name="Bench",
            role=Role.SDR,
            team=team,
            email=f"sdr{i}@bench.example",
            title="SDR",
            daily_email_cap=10**6,
        )
        for i in range(n_sdrs)
    )
    cadence = Cadence.objects.create(
        team=team,
        name="Bench",
        window_start=dtime(0, 0),
        window_end=dtime(23, 59, 59),
        window_days="0123456",
    )
    first, third = STANDARD_STEPS[0], STANDARD_STEPS[2]
    steps = [
        CadenceStep.objects.create(
            cadence=cadence,
            position=1,
            channel=Channel.AUTO_EMAIL,
            day_offset=0,
            subject_template=first["subject_template"],
            body_template=first["body_template"],
        ),
        CadenceStep.objects.create(
            cadence=cadence,
            position=2,
            channel=Channel.AUTO_EMAIL,
            day_offset=2,
            subject_template=third["subject_template"],
            body_template=third["body_template"],
        ),
    ]
    return team, cadence, steps


def generate(team, cadence, steps, n: int, tag: str, due_sql: str) -> None:
    """n contacting leads, each enrolled, with step 1 scheduled at ``due_sql`` (an SQL
    expression of i, the row number) and step 2 planned. Set-based SQL: a few seconds."""
    from django.db import connection

    with connection.cursor() as cur:
        params = {
            "team": team.pk,
            "cadence": cadence.pk,
            "s1": steps[0].pk,
            "s2": steps[1].pk,
            "n": n,
            "tag": tag,
        }
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS sdrs AS SELECT id, row_number() OVER "
            "(ORDER BY id) - 1 AS k FROM accounts_user WHERE team_id = %(team)s",
            params,
        )
        cur.execute("SELECT count(*) FROM sdrs")
        params["nsdr"] = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO leads_company (team_id, name, domain, website, industry,
                employee_count, country, time_zone, linkedin_url, created_at)
            SELECT %(team)s, 'Company ' || %(tag)s || i, %(tag)s || i || '.bench.example', '',
                   'Software', 50, '', 'Europe/Oslo', '', now()
            FROM generate_series(1, %(n)s) AS i;
            INSERT INTO leads_prospect (team_id, company_id, first_name, last_name, email,
                phone, title, role, linkedin_url, time_zone, do_not_contact, created_at)
            SELECT c.team_id, c.id, 'Kari', 'Nordmann', 'kari.' || c.domain, '', 'CEO',
                   'decision_maker', '', 'Europe/Oslo', false, now()
            FROM leads_company c WHERE c.domain LIKE %(tag)s || '%%.bench.example';
            INSERT INTO leads_lead (team_id, prospect_id, source, owner_id, state,
                state_changed_at, disqualify_reason, disqualify_note, disqualified_from,
                rejection_reason, handoff_brief, role_known, decision_maker_identified,
                need_understood, website_checked, linkedin_checked, created_at, updated_at,
                version)
            SELECT %(team)s, p.id, 'outbound', s.id, 'contacting', now(), '', '', '', '', '',
                   false, false, false, false, false, now(), now(), 1
            FROM leads_prospect p JOIN sdrs s ON s.k = p.id %% %(nsdr)s
            WHERE p.email LIKE 'kari.' || %(tag)s || '%%';
            INSERT INTO cadences_enrollment (lead_id, cadence_id, owner_id, status, stop_reason,
                stop_note, time_zone, country, started_at, enrolled_by_id,
                disqualifier_overridden)
            SELECT l.id, %(cadence)s, l.owner_id, 'active', '', '', 'Europe/Oslo', '', now(),
                   l.owner_id, ''
            FROM leads_lead l JOIN leads_prospect p ON p.id = l.prospect_id
            WHERE p.email LIKE 'kari.' || %(tag)s || '%%';
            """,
            params,
        )
        cur.execute(
            f"""
            INSERT INTO cadences_touch (enrollment_id, step_id, position, owner_id, lead_id,
                channel, subject_template, body_template, instructions, day_offset,
                offset_from, is_breakup, breakup_wait_days, status, due_at, attempts,
                idempotency_key, rendered_subject, rendered_body, outcome, note, error,
                reply_in_thread, message_id, hold_reason)
            SELECT e.id, st.id, st.position, e.owner_id, e.lead_id, 'auto_email',
                   st.subject_template, st.body_template, '', st.day_offset, 'previous',
                   false, 5, CASE st.position WHEN 1 THEN 'scheduled' ELSE 'planned' END,
                   CASE st.position WHEN 1 THEN {due_sql} ELSE now() + interval '3 days' END,
                   0, gen_random_uuid(), '', '', '', '', '', false, '', ''
            FROM (SELECT e.*, row_number() OVER (ORDER BY e.id) AS i
                  FROM cadences_enrollment e JOIN leads_lead l ON l.id = e.lead_id
                  JOIN leads_prospect p ON p.id = l.prospect_id
                  WHERE p.email LIKE 'kari.' || %(tag)s || '%%') e
            CROSS JOIN cadences_cadencestep st WHERE st.cadence_id = %(cadence)s
            """,
            params,
        )
        cur.execute("ANALYZE")
    _remaining(tag)  # find the tag's id range now, outside any timed part


def count_sent(tag: str) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM cadences_touch t JOIN leads_lead l ON l.id = t.lead_id "
            "JOIN leads_prospect p ON p.id = l.prospect_id WHERE t.status = 'sent' "
            "AND p.email LIKE %s",
            [f"kari.{tag}%"],
        )
        return cur.fetchone()[0]


def touch_ids(tag: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT t.id FROM cadences_touch t JOIN leads_lead l ON l.id = t.lead_id "
            "JOIN leads_prospect p ON p.id = l.prospect_id WHERE t.status = 'scheduled' "
            "AND p.email LIKE %s ORDER BY t.id",
            [f"kari.{tag}%"],
        )
        return [r[0] for r in cur.fetchall()]


_ranges: dict[str, tuple[int, int]] = {}


def _remaining(tag: str) -> int:
    """Step-1 touches of ``tag`` not yet sent: a primary-key range scan, cheap enough to poll
    without slowing the workers it measures (counting sent rows through the joins was not)."""
    from django.db import connection

    if tag not in _ranges:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT min(t.id), max(t.id) FROM cadences_touch t JOIN leads_lead l "
                "ON l.id = t.lead_id JOIN leads_prospect p ON p.id = l.prospect_id "
                "WHERE p.email LIKE %s",
                [f"kari.{tag}%"],
            )
            _ranges[tag] = cur.fetchone()
    low, high = _ranges[tag]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM cadences_touch WHERE id BETWEEN %s AND %s AND position = 1 "
            "AND status IN ('scheduled', 'sending')",
            [low, high],
        )
        return cur.fetchone()[0]


def wait_until(tag: str, target: int, timeout: float, started: float | None = None) -> float:
    """Seconds from ``started`` (default: now) until every step-1 touch of ``tag`` is sent."""
    started = time.monotonic() if started is None else started
    while time.monotonic() - started < timeout:
        if _remaining(tag) == 0:
            elapsed = time.monotonic() - started
            sent = count_sent(tag)
            if sent < target:
                raise SystemExit(f"{sent} of {target} sent for {tag}: some were not sent")
            return elapsed
        time.sleep(0.5)
    raise SystemExit(f"timed out: {count_sent(tag)} of {target} sent for {tag}")


def start_workers(
    n: int, log_dir: Path, backend: str = "cadences.backends.DiscardBackend"
) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DATABASE_URL": bench_db_url(),
        "CELERY_BROKER_URL": BROKER,
        "REDIS_URL": BROKER,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "EMAIL_BACKEND": backend,
        "CELERY_DB_REUSE_MAX": "1000",
        "SDRCRM_DISPATCH_MAX_SECONDS": "3600",
        "SDRCRM_DISPATCH_FANOUT": str(n),
    }
    workers = []
    for i in range(n):
        log = open(log_dir / f"worker-{i}.log", "w")  # noqa: SIM115
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "sdrcrm",
                    "worker",
                    "--pool=solo",
                    "-Q",
                    QUEUE,
                    "-n",
                    f"bench{i}@%h",
                    "-I",
                    "scripts.bench_tasks",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    from sdrcrm.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= n:
            return workers
    raise SystemExit("workers did not start; see var/bench/worker-*.log")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        try:
            os.killpg(w.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for w in workers:
        try:
            w.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(w.pid, signal.SIGKILL)


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def samples_p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[int(0.95 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--touches", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stream-rate", type=float, default=2500)
    parser.add_argument("--stream-seconds", type=float, default=40)
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "dispatch.json"))
    parser.add_argument(
        "--mime-touches",
        type=int,
        default=20_000,
        help="a further batch through an SMTP-like backend (full MIME)",
    )
    args = parser.parse_args()

    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    recreate_database()
    setup_django()
    import redis

    if not os.environ.get("SDRCRM_BENCH_BROKER_URL"):
        redis.Redis.from_url(BROKER).flushdb()
    from django.conf import settings

    from cadences.tasks import tick_task, touch_dispatch_task
    from sdrcrm.celery import app

    app.conf.task_default_queue = QUEUE
    team, cadence, steps = make_world()
    figures = []

    t = time.monotonic()
    generate(team, cadence, steps, args.touches, "a", "now() - interval '1 minute'")
    gen_seconds = time.monotonic() - t
    print(f"generated {args.touches} due touches in {gen_seconds:.1f} s", flush=True)

    workers = start_workers(args.workers, out_dir)
    try:
        rss_before = [rss_mb(w.pid) for w in workers]
        samples: list[float] = []
        sampling = threading.Event()

        def sample_rss():
            while not sampling.is_set():
                samples.append(sum(rss_mb(w.pid) for w in workers))
                sampling.wait(0.25)

        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        # 1. The product's design.
        started = time.monotonic()
        for _ in range(args.workers):
            touch_dispatch_task.apply_async(queue=QUEUE)
        elapsed = wait_until("a", args.touches, timeout=1800, started=started)
        batch_rate = args.touches / elapsed
        sampling.set()
        sampler.join()
        rss_after = [rss_mb(w.pid) for w in workers]
        samples.append(sum(rss_after))
        print(f"batch: {args.touches} in {elapsed:.1f} s = {batch_rate:,.0f} touches/s", flush=True)
        figures.append(
            {
                "name": "dispatch.batch",
                "unit": "touches/s",
                "median": batch_rate,
                "touches": args.touches,
                "seconds": elapsed,
                "workers": args.workers,
                "worker_rss_mb_before": rss_before,
                "worker_rss_mb_after": rss_after,
            }
        )
        rss = {
            "name": "celery_worker.rss",
            "unit": "MB",
            "median": statistics.median(samples),
            "p95": samples_p95(samples),
            "start": sum(rss_before),
            "peak": max(samples),
            "end": samples[-1],
            "growth": samples[-1] - sum(rss_before),
            # After the first quarter of the batch (imports, caches and connections warmed):
            # what keeps growing with the number of touches sent, if anything.
            "after_first_quarter": samples[len(samples) // 4],
            "growth_after_first_quarter": samples[-1] - samples[len(samples) // 4],
            "samples": len(samples),
            "touches": args.touches,
            "workers": args.workers,
        }
        figures.append(rss)
        print(
            f"worker RSS over {args.touches} touches ({args.workers} workers, summed): start "
            f"{rss['start']:.1f} MB, after a quarter {rss['after_first_quarter']:.1f} MB, peak "
            f"{rss['peak']:.1f} MB, end {rss['end']:.1f} MB",
            flush=True,
        )

        # 2. Baseline: one Celery task per touch, enqueued from here.
        generate(team, cadence, steps, args.baseline, "b", "now() - interval '1 minute'")
        ids = touch_ids("b")
        from scripts.bench_tasks import bench_send_one_touch_task

        started = time.monotonic()
        with app.producer_or_acquire() as producer:
            for touch_id in ids:
                bench_send_one_touch_task.apply_async((touch_id,), queue=QUEUE, producer=producer)
        enqueued = time.monotonic() - started
        base_elapsed = wait_until("b", len(ids), timeout=1800, started=started)
        base_rate = len(ids) / base_elapsed
        print(
            f"baseline: {len(ids)} in {base_elapsed:.1f} s = {base_rate:,.0f} touches/s "
            f"(enqueue {enqueued:.1f} s)",
            flush=True,
        )
        figures.append(
            {
                "name": "dispatch.baseline_task_per_touch",
                "unit": "touches/s",
                "median": base_rate,
                "touches": len(ids),
                "seconds": base_elapsed,
            }
        )

        # 3. Steady stream at a rate, rung by the production tick.
        n_stream = int(args.stream_rate * args.stream_seconds)
        lead_in = 5.0
        generate(
            team,
            cadence,
            steps,
            n_stream,
            "c",
            f"now() + interval '{lead_in} seconds'"
            f" + (i / {args.stream_rate}) * interval '1 second'",
        )
        tick_every = float(os.environ.get("SDRCRM_TICK_SECONDS", 10))
        stop = threading.Event()

        def ticker():
            while not stop.is_set():
                tick_task.apply_async(queue=QUEUE)
                stop.wait(tick_every)

        thread = threading.Thread(target=ticker, daemon=True)
        thread.start()
        wait_until("c", n_stream, timeout=args.stream_seconds + lead_in + 600)
        stop.set()
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                "SELECT extract(epoch FROM t.sent_at - t.due_at) FROM cadences_touch t "
                "JOIN leads_lead l ON l.id = t.lead_id JOIN leads_prospect p "
                "ON p.id = l.prospect_id WHERE t.status = 'sent' AND p.email LIKE 'kari.c%%'"
            )
            late = sorted(float(r[0]) for r in cur.fetchall())
        p50 = statistics.median(late)
        p99 = late[int(0.99 * (len(late) - 1))]
        print(
            f"stream: {n_stream} at {args.stream_rate:,.0f}/s, tick {tick_every:.0f} s: "
            f"lateness p50 {p50:.1f} s, p99 {p99:.1f} s, max {late[-1]:.1f} s",
            flush=True,
        )
        figures.append(
            {
                "name": "dispatch.stream_lateness",
                "unit": "s",
                "median": p50,
                "p95": late[int(0.95 * (len(late) - 1))],
                "p99": p99,
                "max": late[-1],
                "rate": args.stream_rate,
                "touches": n_stream,
                "tick_seconds": tick_every,
            }
        )
    finally:
        stop_workers(workers)

    mime_rate = None
    if args.mime_touches:
        # 4. The same batch through an SMTP-like backend that serialises full MIME messages.
        generate(team, cadence, steps, args.mime_touches, "d", "now() - interval '1 minute'")
        workers = start_workers(args.workers, out_dir, "cadences.backends.DiscardMimeBackend")
        try:
            started = time.monotonic()
            for _ in range(args.workers):
                touch_dispatch_task.apply_async(queue=QUEUE)
            elapsed = wait_until("d", args.mime_touches, timeout=1800, started=started)
            mime_rate = args.mime_touches / elapsed
            print(
                f"batch, full MIME: {args.mime_touches} in {elapsed:.1f} s = "
                f"{mime_rate:,.0f} touches/s",
                flush=True,
            )
            figures.append(
                {
                    "name": "dispatch.batch_full_mime",
                    "unit": "touches/s",
                    "median": mime_rate,
                    "touches": args.mime_touches,
                    "seconds": elapsed,
                    "workers": args.workers,
                }
            )
        finally:
            stop_workers(workers)

    ratio = batch_rate / base_rate
    figures[0].update(
        {"baseline": "one Celery task per touch", "baseline_median": base_rate, "ratio": ratio}
    )
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "settings": {"batch": settings.SDRCRM_DISPATCH_BATCH, "workers": args.workers},
        "figures": figures,
    }
    Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    print()
    print(f"{'figure':<36} {'value':>14}  note")
    print(
        f"{'dispatch, product design':<36} {batch_rate:>10,.0f} /s  {args.workers} workers, "
        f"{args.touches} touches"
    )
    print(f"{'dispatch, one task per touch':<36} {base_rate:>10,.0f} /s  baseline")
    print(f"{'ratio':<36} {ratio:>12.1f} x")
    print(f"{'stream lateness p99':<36} {p99:>12.1f} s  at {args.stream_rate:,.0f}/s")
    if mime_rate:
        print(f"{'dispatch, full MIME (SMTP-like)':<36} {mime_rate:>10,.0f} /s")
    print(f"{'worker RSS before/after (MB)':<36} {rss_before} -> {rss_after}")


if __name__ == "__main__":
    main()
