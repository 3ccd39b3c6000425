"""Races between real concurrent database connections (one thread each, released together by
a barrier or sequenced by events): dispatchers over the same due touches, a reply while the
lead's email is being dispatched, and two people completing the same task."""

import os
import threading
from collections import Counter
from functools import partial

import pytest
from django.db import connection, connections, transaction

from cadences.models import Channel, Enrollment, Touch, TouchStatus
from cadences.services import (
    enrollment_create,
    lead_record_reply,
    touch_claim_due_emails,
    touch_complete,
    touch_dispatch_due,
    touch_send_claimed,
)
from leads.models import EventKind, Lead, LeadEvent, LeadState, Prospect
from leads.services import LeadConflict
from tests.cadences import backends
from tests.cadences.helpers import at, email, enroll, make_cadence, task, touches

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]

OK = "ok"
WAIT = 20  # seconds; a bound for a hung thread, not a timing assertion


@pytest.fixture
def recording(settings):
    settings.EMAIL_BACKEND = "tests.cadences.backends.RecordingBackend"
    backends.reset()
    yield backends
    backends.reset()


def run_threads(*calls, barrier: bool = True) -> list[tuple[str, object]]:
    """Run ``calls`` each in its own thread and database connection; with ``barrier`` they
    start together. Returns ("ok", result) or ("error", exception) for each, in order."""
    gate = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            connection.ensure_connection()
            if barrier:
                gate.wait(timeout=WAIT)
            results[i] = (OK, call())
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT * 2)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def due_emails(crew, n: int, due) -> list[Touch]:
    """``n`` contacting leads, each with one automatic email due at ``due`` (rows written in
    bulk: the enrollment service is tested elsewhere)."""
    cadence = make_cadence(
        crew.manager,
        [email(subject="Hi {{ prospect.first_name }}", body="Hello {{ prospect.first_name }}")],
        name="Race",
    )
    step = cadence.steps.get()
    prospects = Prospect.objects.bulk_create(
        Prospect(team=crew.team, first_name=f"P{i}", email=f"p{i}@race.example") for i in range(n)
    )
    leads = Lead.objects.bulk_create(
        Lead(team=crew.team, prospect=p, source="outbound", owner=crew.sdr, state="contacting")
        for p in prospects
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            lead=lead,
            cadence=cadence,
            owner=crew.sdr,
            time_zone="Europe/Oslo",
            country="NO",
            started_at=due,
        )  # fmt: skip
        for lead in leads
    )
    return Touch.objects.bulk_create(
        Touch(
            enrollment=e,
            step=step,
            position=1,
            owner=crew.sdr,
            lead_id=e.lead_id,
            channel=Channel.AUTO_EMAIL,
            subject_template=step.subject_template,
            body_template=step.body_template,
            status=TouchStatus.SCHEDULED,
            due_at=due,
        )  # fmt: skip
        for e in enrollments
    )


# --- Two dispatchers --------------------------------------------------------------------------


def test_two_dispatchers_send_each_of_300_touches_exactly_once(crew, now, recording, settings):
    crew.sdr.daily_email_cap = 10_000
    crew.sdr.save(update_fields=["daily_email_cap"])
    settings.SDRCRM_DISPATCH_BATCH = 20  # many small claims, so the two interleave
    rows = due_emails(crew, 300, now)
    keys = {str(t.idempotency_key) for t in rows}

    results = run_threads(
        partial(touch_dispatch_due, max_seconds=WAIT),
        partial(touch_dispatch_due, max_seconds=WAIT),
    )

    assert [kind for kind, _ in results] == [OK, OK], results
    stats = [value for _, value in results]
    assert sum(s.claimed for s in stats) == 300
    assert sum(s.sent for s in stats) == 300
    assert sum(s.failed + s.held + s.cancelled + s.rescheduled for s in stats) == 0
    per_touch = Counter(m.extra_headers["X-SDRCRM-Touch"] for m in recording.recorded())
    assert set(per_touch) == keys
    assert set(per_touch.values()) == {1}
    assert dict(Counter(Touch.objects.values_list("status", flat=True))) == {"sent": 300}
    assert Touch.objects.filter(status=TouchStatus.SENDING).count() == 0
    assert LeadEvent.objects.filter(kind=EventKind.EMAIL).count() == 300
    assert (
        LeadEvent.objects.filter(kind=EventKind.EMAIL)
        .values("payload__touch_id")
        .distinct()
        .count()
        == 300
    )
    # Nothing is left for a third.
    assert touch_dispatch_due().claimed == 0
    assert len(recording.recorded()) == 300


def test_two_dispatchers_together_keep_to_the_daily_cap(crew, now, recording, settings):
    crew.sdr.daily_email_cap = 50
    crew.sdr.save(update_fields=["daily_email_cap"])
    settings.SDRCRM_DISPATCH_BATCH = 20
    due_emails(crew, 300, now)

    results = run_threads(
        partial(touch_dispatch_due, max_seconds=WAIT),
        partial(touch_dispatch_due, max_seconds=WAIT),
    )

    assert [kind for kind, _ in results] == [OK, OK], results
    stats = [value for _, value in results]
    assert (sum(s.sent for s in stats), sum(s.rescheduled for s in stats)) == (50, 250)
    assert len(recording.recorded()) == 50
    assert len({m.extra_headers["X-SDRCRM-Touch"] for m in recording.recorded()}) == 50
    assert dict(Counter(Touch.objects.values_list("status", flat=True))) == {
        "sent": 50,
        "scheduled": 250,
    }
    assert set(
        Touch.objects.filter(status=TouchStatus.SCHEDULED).values_list("due_at", flat=True)
    ) == {at(2027, 5, 4, 8, 0)}


# --- A reply while the lead's email is being dispatched --------------------------------------


def test_a_reply_being_committed_keeps_the_dispatcher_off_the_lead(crew, standard, now, recording):
    """The reply's transaction has cancelled the lead's touches but not committed yet when a
    dispatcher looks for due emails: the row is locked, so the dispatcher skips it; after the
    commit it is cancelled. No email goes to the prospect, then or later."""
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    bystander = enroll(crew.sdr, crew.lead(), standard)
    in_reply, tried, committed = threading.Event(), threading.Event(), threading.Event()

    def reply():
        with transaction.atomic():
            lead_record_reply(lead_id=lead.pk, actor=None, body="Interested")
            in_reply.set()
            assert tried.wait(WAIT)
        committed.set()
        return "replied"

    def dispatch():
        assert in_reply.wait(WAIT)
        during = touch_dispatch_due(max_seconds=WAIT)
        tried.set()
        assert committed.wait(WAIT)
        after = touch_dispatch_due(max_seconds=WAIT)
        return during, after

    (r_kind, _), (d_kind, d_value) = run_threads(reply, dispatch, barrier=False)

    assert (r_kind, d_kind) == (OK, OK), d_value
    during, after = d_value
    assert (during.claimed, during.sent) == (1, 1)  # the bystander's email only
    assert after.claimed == 0
    assert [m.to for m in recording.recorded()] == [[bystander.lead.prospect.email]]
    assert touches(enrollment)[0].status == "cancelled"
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "replied")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ENGAGED
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.EMAIL).count() == 0


def test_an_email_claimed_before_the_reply_is_not_sent_after_it(crew, standard, now, recording):
    """A dispatcher claimed the lead's email (committed ``sending``); the reply commits before
    it sends: the send-time check sees the stopped cadence and cancels it."""
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    claimed, replied = threading.Event(), threading.Event()

    def dispatch():
        ids = touch_claim_due_emails(now=now, limit=10)
        claimed.set()
        assert replied.wait(WAIT)
        return touch_send_claimed(ids)

    def reply():
        assert claimed.wait(WAIT)
        lead_record_reply(lead_id=lead.pk, actor=None)
        replied.set()

    (d_kind, stats), (r_kind, r_value) = run_threads(dispatch, reply, barrier=False)

    assert (d_kind, r_kind) == (OK, OK), r_value
    assert (stats.claimed, stats.sent, stats.cancelled) == (1, 0, 1)
    assert recording.recorded() == []
    first = touches(enrollment)[0]
    assert (first.status, first.error) == ("cancelled", "cadence ended or lead moved")
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.EMAIL).count() == 0


# --- Two people completing the same task ------------------------------------------------------

# 10 rounds in `make test`; 200 in `make test-faults` (SDRCRM_FAULT_SCALE=1).
ROUNDS = max(10, round(200 * float(os.environ.get("SDRCRM_FAULT_SCALE", "0"))))


def test_two_people_completing_the_same_task_one_wins(crew, now):
    cadence = make_cadence(crew.manager, [task(Channel.CALL), task(Channel.TASK, day_offset=1)])
    for _ in range(ROUNDS):
        lead = crew.lead()
        enrollment = enroll(crew.sdr, lead, cadence)
        call = touches(enrollment)[0]

        results = run_threads(
            partial(touch_complete, actor=crew.sdr, touch_id=call.pk, outcome="connected"),
            partial(touch_complete, actor=crew.manager, touch_id=call.pk, outcome="no_answer"),
        )

        kinds = [kind for kind, _ in results]
        assert sorted(kinds) == ["error", OK], results
        winner = kinds.index(OK)
        loser = results[1 - winner][1]
        assert (type(loser), str(loser)) == (LeadConflict, "This task is already done.")
        call.refresh_from_db()
        assert (call.outcome, call.completed_by_id) == (
            ["connected", "no_answer"][winner],
            [crew.sdr.pk, crew.manager.pk][winner],
        )
        assert LeadEvent.objects.filter(lead=lead, kind=EventKind.CALL).count() == 1
        assert [t.status for t in touches(enrollment)] == ["done", "scheduled"]


def test_two_people_enrolling_the_same_lead_one_wins(crew, standard, now):
    other = make_cadence(crew.manager, [email()], name="Other")
    for _ in range(ROUNDS):
        lead = crew.lead()
        results = run_threads(
            partial(enrollment_create, actor=crew.sdr, lead_id=lead.pk, cadence_id=standard.pk),
            partial(enrollment_create, actor=crew.manager, lead_id=lead.pk, cadence_id=other.pk),
        )
        kinds = [kind for kind, _ in results]
        assert sorted(kinds) == ["error", OK], results
        loser = results[1 - kinds.index(OK)][1]
        assert (type(loser), str(loser)) == (LeadConflict, "This lead is already in a cadence.")
        assert Enrollment.objects.filter(lead=lead).count() == 1
        winner_steps = 9 if kinds.index(OK) == 0 else 1
        assert Touch.objects.filter(lead=lead).count() == winner_steps
        assert LeadEvent.objects.filter(lead=lead, kind=EventKind.TRANSITION).count() == 1


def test_two_dispatchers_reserving_cap_for_the_same_sdrs_in_any_order_never_deadlock(db):
    """Each batch reserves daily-cap room for all its SDRs in one upsert; two batches whose
    SDRs come in opposite orders used to deadlock on the counter rows."""
    from datetime import date

    from cadences.models import SendCounter
    from cadences.services.dispatch.caps import reserve_sends
    from tests.factories import UserFactory

    owners = [UserFactory(username=f"cap-sdr-{i}") for i in range(30)]
    day = date(2027, 5, 3)
    caps = {o.pk: 1000 for o in owners}
    forward = {(o.pk, day): 1 for o in owners}
    backward = {(o.pk, day): 1 for o in reversed(owners)}
    for _ in range(20):
        results = run_threads(
            partial(reserve_sends, forward, caps), partial(reserve_sends, backward, caps)
        )
        assert [status for status, _ in results] == [OK, OK], results
    assert sorted(SendCounter.objects.values_list("sent", flat=True)) == [40] * 30
