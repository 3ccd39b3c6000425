"""The clicked actions' server time on the benchmark data set (issue 20: each answers within
300 ms), called by scripts/bench_pages.py after the pages.

A click is the POST and what the browser asks next, as the pages send them now: the Today
item's outcome (htmx: the POST, then the Today page its redirect names, with HX-Request), the
lead page's call (htmx: one POST answered with the activity fragment), enrolling a lead from
its page (a plain form: the POST, then the lead page), and the AE's accept (a plain form: the
POST, then the AE queue). Both requests are timed together, as in
scripts/bench_pages.py: median and 95th percentile wall time, the Python CPU time, and the SQL
queries of the click.

Every sample runs in a transaction that is rolled back, so the data set is the same for the
next sample and the next run: the click's own work is all measured (its services run their
transactions as savepoints), but not what happens after commit (the COMMIT itself and the
tasks enqueued then, which the web process only hands to the broker).
"""

from __future__ import annotations

import statistics
import time


class _Rollback(Exception):
    pass


FIGURES = [
    "action.enroll",
    "action.today_voicemail",
    "action.log_call",
    "action.ae_accept",
]

HTMX = {"HTTP_HX_REQUEST": "true"}


def _click(client, url: str, data: dict, headers: dict) -> tuple[int, int]:
    """POST, then GET where it redirects; the status codes."""
    response = client.post(url, data, **headers)
    status = response.status_code
    if status == 302:
        follow = client.get(response["Location"], **headers)
        return status, follow.status_code
    return status, 200


def _sample(client, prepare) -> tuple[float, float, int]:
    """One click in a rolled-back transaction: wall ms, CPU ms, queries."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    result = None
    try:
        with transaction.atomic():
            url, data, headers = prepare()
            with CaptureQueriesContext(connection) as ctx:
                t, c = time.perf_counter(), time.process_time()
                statuses = _click(client, url, data, headers)
                wall, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
            if statuses not in ((302, 200), (200, 200)):
                raise SystemExit(f"POST {url}: {statuses}")
            result = (wall, cpu, len(ctx.captured_queries))
            raise _Rollback
    except _Rollback:
        pass
    return result


def measure(client_for, repeat: int, warmup: int = 3) -> list[dict]:
    """The figures of the four clicks. ``client_for(username)``: a test client logged in as
    that user. The rows clicked are chosen once (every sample is rolled back): sdr1's where it
    has them, else another SDR's (the tiny data set's sdr1 has no lead in a cadence)."""
    from django.db.models import Case, When
    from django.utils import timezone

    from cadences.models import Cadence, Channel, EnrollmentStatus, Touch, TouchStatus
    from leads.models import Lead, LeadState
    from scripts.bench_pages import percentile

    def sdr1_first(owner_path):
        return Case(When(**{f"{owner_path}__username": "sdr1"}, then=0), default=1)

    call = (
        Touch.objects.filter(
            enrollment__status=EnrollmentStatus.ACTIVE,
            lead__state=LeadState.CONTACTING,
            channel=Channel.CALL,
            status__in=[TouchStatus.DUE, TouchStatus.SCHEDULED, TouchStatus.PLANNED],
        )
        .order_by(sdr1_first("enrollment__owner"), "status", "due_at", "pk")
        .values_list("pk", "lead_id", "enrollment__owner__username")
        .first()
    )
    to_enroll = (
        Lead.objects.filter(owner__isnull=False, state__in=[LeadState.NEW, LeadState.RESEARCHING])
        .exclude(enrollments__status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED])
        .order_by(sdr1_first("owner"), "pk")
        .values_list("pk", "team_id", "owner__username")
        .first()
    )
    cadence = Cadence.objects.filter(team_id=to_enroll[1], is_archived=False).order_by("pk")
    handoff = (
        Lead.objects.filter(state=LeadState.HANDED_OFF)
        .order_by(Case(When(assigned_ae__username="ae1", then=0), default=1), "pk")
        .values_list("pk", "assigned_ae__username")
        .first()
    )

    def enroll():
        data = {
            "lead": to_enroll[0],
            "cadence": cadence.first().pk,
            "next": f"/leads/{to_enroll[0]}/",
        }
        return "/cadences/enroll/", data, {}

    def voicemail():
        # The call made due now, as the tick would: rolled back with the rest.
        Touch.objects.filter(pk=call[0]).update(status=TouchStatus.DUE, due_at=timezone.now())
        data = {"outcome": "voicemail", "next": "/today/"}
        return f"/cadences/touches/{call[0]}/complete/", data, HTMX

    def log_call():
        # The lead page's call form (cadences.views.lead_call) answers with the page again.
        data = {"outcome": "voicemail", "notes": "Bench", "next": f"/leads/{call[1]}/"}
        return f"/cadences/leads/{call[1]}/calls/", data, {}

    def accept():
        return f"/qualification/leads/{handoff[0]}/accept/", {"next": "/qualification/queue/"}, {}

    caller = client_for(call[2])
    figures = []
    for name, client, prepare in [
        ("action.enroll", client_for(to_enroll[2]), enroll),
        ("action.today_voicemail", caller, voicemail),
        ("action.log_call", caller, log_call),
        ("action.ae_accept", client_for(handoff[1]), accept),
    ]:
        t = time.perf_counter()
        for _ in range(warmup):
            _sample(client, prepare)
        samples = [_sample(client, prepare) for _ in range(repeat)]
        walls = [s[0] for s in samples]
        figures.append(
            {
                "name": name,
                "unit": "ms",
                "median": statistics.median(walls),
                "p95": percentile(walls, 0.95),
                "queries": samples[-1][2],
                "python_cpu_median": statistics.median(s[1] for s in samples),
                "runs": len(samples),
            }
        )
        f = figures[-1]
        print(
            f"  {name}: median {f['median']:.1f} ms, p95 {f['p95']:.1f} ms, "
            f"{f['queries']} queries, CPU {f['python_cpu_median']:.1f} ms "
            f"[{time.perf_counter() - t:.0f} s]",
            flush=True,
        )
    return figures
