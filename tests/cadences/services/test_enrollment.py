"""Enrollment: one lead or many in a cadence, one touch row per step, the lead moves to
contacting, at most one active cadence per lead; pause, resume and stop."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from cadences.models import (
    Channel,
    Enrollment,
    EnrollmentStatus,
    Touch,
    TouchStatus,
)
from cadences.services import (
    CadenceInvalid,
    cadence_set_archived,
    enrollment_bulk_create,
    enrollment_create,
    enrollment_pause,
    enrollment_pause_all,
    enrollment_resume,
    enrollment_resume_all,
    enrollment_stop,
)
from leads.models import EventKind, Lead, LeadState
from leads.services import LeadConflict, LeadForbidden
from sdrcrm.errors import NotFound
from suppression.models import Suppression
from tests.cadences.helpers import (
    NEW_YORK,
    at,
    cadence_snapshot,
    email,
    enroll,
    events,
    local,
    make_cadence,
    statuses,
    task,
    touches,
)
from tests.fixtures import walk

pytestmark = pytest.mark.django_db


def test_enrolling_creates_one_touch_per_step_and_moves_the_lead_to_contacting(crew, standard, now):
    lead = crew.lead(owner="sdr")

    enrollment = enroll(crew.sdr, lead, standard)

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.owner_id, enrollment.enrolled_by_id) == (
        "active", crew.sdr.pk, crew.sdr.pk,
    )  # fmt: skip
    assert (enrollment.time_zone, enrollment.country, enrollment.started_at) == (
        "Europe/Oslo", "NO", now,
    )  # fmt: skip
    rows = touches(enrollment)
    assert [(t.position, t.channel, t.status) for t in rows] == [
        (1, "auto_email", "scheduled"),
        (2, "linkedin_connect", "planned"),
        (3, "auto_email", "planned"),
        (4, "auto_email", "planned"),
        (5, "call", "planned"),
        (6, "auto_email", "planned"),
        (7, "auto_email", "planned"),
        (8, "auto_email", "planned"),
        (9, "auto_email", "planned"),
    ]
    assert rows[0].due_at == now  # inside the window: right away
    assert [local(t.due_at) for t in rows[2:5]] == [
        ("2027-05-05", "08:00"),
        ("2027-05-11", "08:00"),
        ("2027-05-13", "08:00"),
    ]
    assert {(t.owner_id, t.lead_id) for t in rows} == {(crew.sdr.pk, lead.pk)}
    steps = list(standard.steps.order_by("position"))
    assert [t.step_id for t in rows] == [s.pk for s in steps]
    assert [t.subject_template for t in rows] == [s.subject_template for s in steps]
    assert rows[8].is_breakup is True
    assert len({t.idempotency_key for t in rows}) == 9

    lead.refresh_from_db()
    assert (lead.state, lead.version) == (LeadState.CONTACTING, 2)
    assert [(e.kind, e.actor_id, e.from_state, e.to_state, e.body) for e in events(lead)] == [
        ("transition", crew.sdr.pk, "new", "contacting", ""),
        ("cadence", crew.sdr.pk, "", "", "Enrolled in Standard outbound (9 touches)"),
    ]
    assert events(lead)[1].payload == {
        "enrollment_id": enrollment.pk,
        "cadence_id": standard.pk,
        "action": "enroll",
    }


def test_each_touch_copies_its_steps_content(crew, now):
    cadence = make_cadence(
        crew.manager,
        [
            email(subject="One", body="First."),
            task(day_offset=2, offset_from="enrollment", instructions="Call at ten."),
            email(subject="Bye", body="Last one.", day_offset=1, is_breakup=True,
                  breakup_wait_days=8),
        ],
    )  # fmt: skip
    enrollment = enroll(crew.sdr, crew.lead(owner="sdr"), cadence)

    assert [
        (t.position, t.channel, t.subject_template, t.body_template, t.instructions,
         t.day_offset, t.offset_from, t.is_breakup, t.breakup_wait_days)
        for t in touches(enrollment)
    ] == [
        (1, "auto_email", "One", "First.", "", 0, "previous", False, 5),
        (2, "call", "", "", "Call at ten.", 2, "enrollment", False, 5),
        (3, "auto_email", "Bye", "Last one.", "", 1, "previous", True, 8),
    ]  # fmt: skip


def test_a_contacting_lead_stays_where_it_is(crew, standard, now):
    lead = walk(crew.lead(), "contacting")
    enroll(crew.manager, lead, standard)
    lead.refresh_from_db()
    assert lead.state == LeadState.CONTACTING
    assert [e.kind for e in events(lead)] == ["transition", "transition", "cadence"]


def test_a_researching_lead_moves_to_contacting(crew, standard, now):
    lead = walk(crew.lead(), "researching")
    enroll(crew.sdr, lead, standard)
    assert Lead.objects.get(pk=lead.pk).state == LeadState.CONTACTING


def test_the_first_touch_waits_for_the_window(crew, standard, time_machine):
    friday_evening = at(2027, 5, 14, 18, 30)
    time_machine.move_to(friday_evening, tick=False)
    enrollment = enroll(crew.sdr, crew.lead(), standard)
    assert enrollment.started_at == friday_evening
    first, second, third = touches(enrollment)[:3]
    assert (local(first.due_at), local(second.due_at)) == (
        ("2027-05-18", "08:00"),  # Friday evening: after the weekend and 17 May
        ("2027-05-18", "08:00"),
    )
    assert local(third.due_at) == ("2027-05-20", "08:00")


def test_a_us_prospect_is_scheduled_in_new_york_time(crew, standard, now):
    lead = crew.lead(prospect__time_zone="America/New_York", prospect__company__country="US")
    enrollment = enroll(crew.sdr, lead, standard)
    assert (enrollment.time_zone, enrollment.country) == ("America/New_York", "US")
    rows = touches(enrollment)
    assert local(rows[0].due_at, NEW_YORK) == ("2027-05-03", "08:00")  # 10:00 Oslo is 04:00
    assert local(rows[0].due_at) == ("2027-05-03", "14:00")
    assert local(rows[6].due_at, NEW_YORK) == ("2027-05-17", "08:00")  # not a US holiday


@pytest.mark.parametrize(
    ("prospect_tz", "company_tz", "sdr_tz", "expected"),
    [
        ("Asia/Tokyo", "America/New_York", "Europe/London", "Asia/Tokyo"),
        ("", "America/New_York", "Europe/London", "America/New_York"),
        ("Not/AZone", "", "Europe/London", "Europe/London"),
        ("", "", "", "Europe/Oslo"),
    ],
)
def test_the_time_zone_falls_back_from_prospect_to_company_to_sdr(
    crew, standard, now, prospect_tz, company_tz, sdr_tz, expected
):
    crew.sdr.time_zone = sdr_tz
    crew.sdr.save(update_fields=["time_zone"])
    lead = crew.lead(prospect__time_zone=prospect_tz, prospect__company__time_zone=company_tz)
    assert enroll(crew.sdr, lead, standard).time_zone == expected


def test_a_future_start_is_kept_and_a_past_one_is_now(crew, standard, now):
    later = enroll(crew.sdr, crew.lead(), standard, start_at=now + timedelta(days=2))
    assert local(touches(later)[0].due_at) == ("2027-05-05", "10:00")
    earlier = enroll(crew.sdr, crew.lead(), standard, start_at=now - timedelta(days=30))
    assert earlier.started_at == now
    assert touches(earlier)[0].due_at == now


def test_a_cadence_without_email_needs_no_address(crew, now):
    calls = make_cadence(crew.manager, [task(Channel.CALL), task(Channel.LINKEDIN_CONNECT)])
    lead = crew.lead(prospect__email=None)
    enrollment = enroll(crew.sdr, lead, calls)
    assert statuses(enrollment) == ["scheduled", "planned"]


# --- One active cadence per lead ------------------------------------------------------------


def test_a_lead_is_in_one_active_cadence_at_a_time(crew, standard, now, ring):
    other = make_cadence(crew.manager, [email()], name="Other")
    lead = crew.lead()
    first = enroll(crew.sdr, lead, standard)
    enrollment_pause(actor=crew.sdr, enrollment_id=first.pk)  # paused still counts
    before = cadence_snapshot()

    with pytest.raises(LeadConflict) as exc:
        enroll(crew.sdr, lead, other)

    assert str(exc.value) == "This lead is already in a cadence."
    assert cadence_snapshot() == before
    # Once stopped, the lead can be enrolled again.
    enrollment_stop(actor=crew.sdr, enrollment_id=first.pk)
    second = enroll(crew.sdr, lead, other)
    assert list(Enrollment.objects.filter(lead=lead).order_by("pk").values_list("status")) == [
        ("stopped",),
        ("active",),
    ]
    assert second.cadence_id == other.pk


@pytest.mark.parametrize("status", ["active", "paused"])
def test_the_database_refuses_a_second_active_enrollment(crew, standard, now, status):
    lead = crew.lead()
    first = enroll(crew.sdr, lead, standard)
    Enrollment.objects.filter(pk=first.pk).update(status=status)
    with pytest.raises(IntegrityError, match="enrollment_one_active_per_lead"):
        with transaction.atomic():
            Enrollment.objects.create(
                lead=lead, cadence=standard, owner=crew.sdr, time_zone="Europe/Oslo"
            )
    assert Enrollment.objects.filter(lead=lead).count() == 1
    # Ended enrollments do not count.
    with transaction.atomic():
        Enrollment.objects.create(
            lead=lead, cadence=standard, owner=crew.sdr, time_zone="UTC", status="stopped"
        )
    assert Enrollment.objects.filter(lead=lead).count() == 2


# --- Refusals ---------------------------------------------------------------------------------


def _suppressed(crew):
    lead = crew.lead()
    Suppression.objects.create(email=lead.prospect.email, reason="unsubscribed")
    return lead


REFUSALS = [
    (
        "do_not_contact",
        lambda crew: crew.lead(prospect__do_not_contact=True),
        "sdr",
        CadenceInvalid,
        "This prospect must not be contacted.",
    ),
    (
        "no_email",
        lambda crew: crew.lead(prospect__email=None),
        "sdr",
        CadenceInvalid,
        "The cadence sends emails and the prospect has no email.",
    ),
    (
        "suppressed",
        _suppressed,
        "sdr",
        CadenceInvalid,
        "This email address or its domain is suppressed (unsubscribed, bounced, complained "
        "or erased).",
    ),
    (
        "disqualified",
        lambda crew: walk(crew.lead(), "disqualified"),
        "sdr",
        LeadConflict,
        "A lead that is Disqualified cannot be enrolled: only new, researching and contacting "
        "leads can.",
    ),
    (
        "engaged",
        lambda crew: walk(crew.lead(), "engaged"),
        "sdr",
        LeadConflict,
        "A lead that is Engaged cannot be enrolled: only new, researching and contacting leads "
        "can.",
    ),
    (
        "pool_lead_by_manager",
        lambda crew: crew.lead(owner=None),
        "manager",
        CadenceInvalid,
        "Claim or assign the lead before enrolling it.",
    ),
    (
        "pool_lead_by_sdr",
        lambda crew: crew.lead(owner=None),
        "sdr",
        LeadForbidden,
        "Only the lead's SDR or a manager of its team can enroll it.",
    ),
    (
        "other_sdrs_lead",
        lambda crew: crew.lead(owner="sdr2"),
        "sdr",
        NotFound,
        "No such lead",
    ),
    ("ae", lambda crew: crew.lead(), "ae", NotFound, "No such lead"),
    ("marketing", lambda crew: crew.lead(), "marketing", NotFound, "No such lead"),
]


@pytest.mark.parametrize(
    ("make_lead", "actor", "error", "message"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_enrollment_refusals_change_nothing(
    crew, standard, now, ring, make_lead, actor, error, message
):
    lead = make_lead(crew)
    before = cadence_snapshot()

    with pytest.raises(error) as exc:
        enroll(getattr(crew, actor), lead, standard)

    assert str(exc.value) == message
    assert cadence_snapshot() == before
    ring.assert_not_called()


def test_an_archived_cadence_takes_no_enrollment(crew, standard, now):
    cadence_set_archived(actor=crew.manager, cadence_id=standard.pk, archived=True)
    lead = crew.lead()
    before = cadence_snapshot()
    with pytest.raises(CadenceInvalid) as exc:
        enroll(crew.sdr, lead, standard)
    assert (str(exc.value), exc.value.field) == (
        "Choose an active cadence of the lead's team.",
        "cadence",
    )
    assert cadence_snapshot() == before


def test_another_teams_cadence_takes_no_enrollment(crew, other_crew, now):
    theirs = make_cadence(other_crew.manager, [email()], name="Theirs")
    lead = crew.lead()
    before = cadence_snapshot()
    with pytest.raises(CadenceInvalid, match="Choose an active cadence of the lead's team."):
        enroll(crew.sdr, lead, theirs)
    assert cadence_snapshot() == before


def test_running_enrollments_go_on_when_the_cadence_is_archived(crew, standard, now):
    enrollment = enroll(crew.sdr, crew.lead(), standard)
    cadence_set_archived(actor=crew.manager, cadence_id=standard.pk, archived=True)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert statuses(enrollment)[0] == "scheduled"


# --- Bulk -------------------------------------------------------------------------------------


def test_bulk_enrollment_reports_each_refusal(crew, other_crew, standard, now):
    ok_1, ok_2 = crew.lead(), crew.lead()
    no_contact = crew.lead(prospect__do_not_contact=True)
    theirs = other_crew.lead()
    before_refused = {
        "no_contact": Lead.objects.get(pk=no_contact.pk).state,
        "theirs": Lead.objects.get(pk=theirs.pk).state,
    }

    result = enrollment_bulk_create(
        actor=crew.sdr,
        lead_ids=[ok_2.pk, no_contact.pk, ok_1.pk, theirs.pk, ok_1.pk],
        cadence_id=standard.pk,
    )

    assert result.enrolled == sorted([ok_1.pk, ok_2.pk])
    assert result.refused == sorted(
        [(no_contact.pk, "This prospect must not be contacted."), (theirs.pk, "not found")]
    )
    assert set(Enrollment.objects.values_list("lead_id", flat=True)) == {ok_1.pk, ok_2.pk}
    assert Touch.objects.count() == 18
    assert {
        "no_contact": Lead.objects.get(pk=no_contact.pk).state,
        "theirs": Lead.objects.get(pk=theirs.pk).state,
    } == before_refused
    assert events(no_contact) == [] and events(theirs) == []


# --- The dispatcher bell ----------------------------------------------------------------------


def test_the_dispatcher_is_rung_once_after_the_commit(
    crew, standard, now, ring, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enroll(crew.sdr, crew.lead(), standard)
        ring.assert_not_called()  # not before the commit
    assert len(callbacks) == 1
    ring.assert_called_once_with()


def test_a_refused_enrollment_rings_nothing(
    crew, standard, now, ring, django_capture_on_commit_callbacks
):
    lead = crew.lead(prospect__do_not_contact=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(CadenceInvalid):
            enroll(crew.sdr, lead, standard)
    assert callbacks == []
    ring.assert_not_called()


def test_an_unreachable_broker_does_not_undo_the_enrollment(
    crew, standard, now, ring, django_capture_on_commit_callbacks
):
    ring.side_effect = ConnectionError("redis is down")
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll(crew.sdr, crew.lead(), standard)
    ring.assert_called_once_with()
    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"


# --- Pause, resume, stop ----------------------------------------------------------------------


def test_pause_and_resume_reschedule_the_remaining_touches(crew, standard, now, time_machine):
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    enrollment_pause(actor=crew.sdr, enrollment_id=enrollment.pk)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.paused_at) == ("paused", now)

    resumed_at = now + timedelta(days=2, hours=2)  # Wednesday 12:00
    time_machine.move_to(resumed_at, tick=False)
    enrollment_resume(actor=crew.sdr, enrollment_id=enrollment.pk)

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.paused_at) == ("active", None)
    rows = touches(enrollment)
    assert [t.status for t in rows[:3]] == ["scheduled", "planned", "planned"]
    assert rows[0].due_at == resumed_at  # its wait was over: as soon as resumed
    assert [local(t.due_at) for t in rows[1:5]] == [
        ("2027-05-05", "12:00"),
        ("2027-05-10", "08:00"),  # two business days after Wednesday: Ascension on Thursday
        ("2027-05-13", "08:00"),
        ("2027-05-18", "08:00"),  # 17 May
    ]
    assert [e.payload.get("action") for e in events(lead, EventKind.CADENCE)] == [
        "enroll",
        "pause",
        "resume",
    ]


def test_resume_keeps_what_was_left_of_the_wait(crew, now, time_machine):
    cadence = make_cadence(crew.manager, [email(), email(day_offset=5)])
    enrollment = enroll(crew.sdr, crew.lead(), cadence)
    first, second = touches(enrollment)
    Touch.objects.filter(pk=first.pk).update(status=TouchStatus.SENT, sent_at=now)
    Touch.objects.filter(pk=second.pk).update(status=TouchStatus.SCHEDULED)
    assert local(Touch.objects.get(pk=second.pk).due_at) == ("2027-05-11", "08:00")
    time_machine.move_to(now + timedelta(days=1), tick=False)  # Tuesday 10:00
    enrollment_pause(actor=crew.sdr, enrollment_id=enrollment.pk)
    time_machine.move_to(now + timedelta(days=3), tick=False)  # Thursday 10:00
    enrollment_resume(actor=crew.sdr, enrollment_id=enrollment.pk)
    # Paused for two days: the email moves two days later, to the next open slot.
    assert local(Touch.objects.get(pk=second.pk).due_at) == ("2027-05-13", "08:00")


def test_pause_and_resume_only_when_it_makes_sense(crew, standard, now):
    enrollment = enroll(crew.sdr, crew.lead(), standard)
    with pytest.raises(LeadConflict, match="Only a paused cadence can be resumed."):
        enrollment_resume(actor=crew.sdr, enrollment_id=enrollment.pk)
    enrollment_pause(actor=crew.sdr, enrollment_id=enrollment.pk)
    before = cadence_snapshot()
    with pytest.raises(LeadConflict, match="Only an active cadence can be paused."):
        enrollment_pause(actor=crew.sdr, enrollment_id=enrollment.pk)
    assert cadence_snapshot() == before


def test_pause_all_and_resume_all_for_a_holiday(crew, standard, now, time_machine):
    mine = [enroll(crew.sdr, crew.lead(), standard) for _ in range(3)]
    theirs = enroll(crew.sdr2, crew.lead(owner="sdr2"), standard)
    enrollment_stop(actor=crew.sdr, enrollment_id=mine[2].pk)

    assert enrollment_pause_all(actor=crew.sdr, owner_id=crew.sdr.pk) == 2
    assert {e.pk: e.status for e in Enrollment.objects.all()} == {
        mine[0].pk: "paused",
        mine[1].pk: "paused",
        mine[2].pk: "stopped",
        theirs.pk: "active",
    }
    time_machine.move_to(now + timedelta(days=7), tick=False)
    # Their manager may resume them.
    assert enrollment_resume_all(actor=crew.manager, owner_id=crew.sdr.pk) == 2
    assert list(
        Enrollment.objects.filter(pk__in=[mine[0].pk, mine[1].pk]).values_list("status", flat=True)
    ) == ["active", "active"]
    assert local(touches(mine[0])[0].due_at) == ("2027-05-10", "10:00")


def test_pause_all_is_for_the_sdr_or_their_manager(crew, other_crew, standard, now):
    enroll(crew.sdr, crew.lead(), standard)
    before = cadence_snapshot()
    with pytest.raises(LeadForbidden):
        enrollment_pause_all(actor=crew.sdr2, owner_id=crew.sdr.pk)
    with pytest.raises(NotFound):
        enrollment_pause_all(actor=other_crew.manager, owner_id=crew.sdr.pk)
    assert cadence_snapshot() == before


def test_stop_with_a_reason_cancels_the_open_touches(crew, standard, now):
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    enrollment_stop(actor=crew.manager, enrollment_id=enrollment.pk, note=" Wrong person ")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason, enrollment.stop_note) == (
        "stopped", "manual", "Wrong person",
    )  # fmt: skip
    assert enrollment.ended_at == now
    assert statuses(enrollment) == ["cancelled"] * 9
    event = events(lead, EventKind.CADENCE)[-1]
    assert (event.actor_id, event.body) == (
        crew.manager.pk,
        "Standard outbound (9 touches): Stopped by hand — Wrong person",
    )
    assert Lead.objects.get(pk=lead.pk).state == LeadState.CONTACTING  # the lead stays put

    before = cadence_snapshot()
    with pytest.raises(LeadConflict, match="This cadence has already ended."):
        enrollment_stop(actor=crew.sdr, enrollment_id=enrollment.pk)
    with pytest.raises(CadenceInvalid, match="Choose a reason."):
        enrollment_stop(actor=crew.sdr, enrollment_id=enrollment.pk, reason="bored")
    assert cadence_snapshot() == before


def test_someone_elses_enrollment_is_not_found(crew, other_crew, standard, now):
    enrollment = enroll(crew.sdr, crew.lead(), standard)
    before = cadence_snapshot()
    for actor in (crew.sdr2, other_crew.manager, crew.ae):
        with pytest.raises(NotFound):
            enrollment_pause(actor=actor, enrollment_id=enrollment.pk)
        with pytest.raises(NotFound):
            enrollment_stop(actor=actor, enrollment_id=enrollment.pk)
    assert cadence_snapshot() == before


def test_enrollment_create_is_the_only_way_in(crew, standard, now):
    """The service takes ids, as the views pass them."""
    lead = crew.lead()
    enrollment = enrollment_create(actor=crew.sdr, lead_id=lead.pk, cadence_id=standard.pk)
    assert enrollment.lead_id == lead.pk
    with pytest.raises(NotFound):
        enrollment_create(actor=crew.sdr, lead_id="nope", cadence_id=standard.pk)
