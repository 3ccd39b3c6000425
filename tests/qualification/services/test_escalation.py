"""Escalation of hand-offs an AE leaves undecided: with the clock moved, once per hand-off,
to every manager of the team, and only after the model's number of business hours (those of the
business calendar: Monday to Friday 08:00-17:00, without the site country's public holidays)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Role
from leads.models import Lead
from notifications.models import Notification, NotificationKind
from qualification.models import Escalation, ScoringModel
from qualification.scoring import DEFAULT_CONFIG
from qualification.services import (
    handoff_accept,
    handoff_escalate_overdue,
    handoff_reject,
    lead_qualify,
)
from tests.factories import UserFactory
from tests.qualification.services.test_lead_qualify import qualify

OSLO = ZoneInfo("Europe/Oslo")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2026: the 2nd is a Monday."""
    return datetime(2026, 3, day, hour, minute, tzinfo=OSLO)


def april(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, minute, tzinfo=OSLO)


def hand_off(crew, make_lead, when: datetime) -> Lead:
    lead = make_lead("engaged")
    with time_machine.travel(when, tick=False):
        lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))
    return Lead.objects.get(pk=lead.pk)


def escalate(when: datetime) -> int:
    with time_machine.travel(when, tick=False):
        return handoff_escalate_overdue()


def test_escalated_once_after_eight_business_hours_to_every_manager(
    crew, model, make_lead, django_capture_on_commit_callbacks, on_commit_tasks
):
    second_manager = UserFactory(role=Role.MANAGER, team=crew.team)
    lead = hand_off(crew, make_lead, at(3, 12))  # Tuesday 12:00: 5 hours, then 3 on Wednesday

    assert escalate(at(3, 17)) == 0
    assert escalate(at(4, 10, 59)) == 0
    assert not Escalation.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert escalate(at(4, 11)) == 1

    escalation = Escalation.objects.get()
    assert (escalation.lead_id, escalation.ae_id) == (lead.pk, crew.ae.pk)
    assert (escalation.handed_off_at, escalation.due_at, escalation.escalated_at) == (
        at(3, 12),
        at(4, 11),
        at(4, 11),
    )
    notes = Notification.objects.filter(kind=NotificationKind.ESCALATED).order_by("user_id")
    assert [n.user_id for n in notes] == sorted([crew.manager.pk, second_manager.pk])
    assert notes[0].title == (
        f"Hand-off waiting too long: {lead.prospect.full_name} ({lead.prospect.company.name})"
    )
    assert notes[0].body == (
        f"{crew.ae} has neither accepted nor rejected this lead, handed off Tue 03 Mar 12:00; "
        "it was due by Wed 04 Mar 11:00 (8 business hours)."
    )
    assert sorted(on_commit_tasks) == sorted([("notification_email_task", n.pk) for n in notes])

    # Idempotent: later runs escalate nothing more and notify nobody again.
    assert escalate(at(4, 12)) == 0
    assert escalate(at(9, 12)) == 0
    assert Escalation.objects.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.ESCALATED).count() == 2


def test_over_a_weekend_only_business_hours_count(crew, model, make_lead):
    hand_off(crew, make_lead, at(6, 15))  # Friday 15:00: two hours, then Monday from 08:00

    assert escalate(at(9, 13, 59)) == 0
    assert escalate(at(9, 14)) == 1


def test_public_holidays_of_the_country_do_not_count(crew, model, make_lead, settings):
    """Easter 2026 in Norway: Thursday 2, Friday 3 and Monday 6 April are public holidays."""
    settings.SDRCRM_COUNTRY = "NO"
    hand_off(crew, make_lead, april(1, 12))  # Wednesday 12:00: 5 hours, then Tuesday 7 April

    assert escalate(april(2, 12)) == 0
    assert escalate(april(6, 17)) == 0
    assert escalate(april(7, 10, 59)) == 0
    assert escalate(april(7, 11)) == 1
    assert Escalation.objects.get().due_at == april(7, 11)


def test_the_models_hours_apply(crew, make_lead):
    ScoringModel.objects.create(
        team=crew.team, version=1, config={**DEFAULT_CONFIG, "escalate_after_hours": 2}
    )
    hand_off(crew, make_lead, at(3, 9))

    assert escalate(at(3, 10, 59)) == 0
    assert escalate(at(3, 11)) == 1


def test_a_hand_off_decided_in_time_is_not_escalated(crew, model, make_lead):
    accepted = hand_off(crew, make_lead, at(3, 9))
    rejected = hand_off(crew, make_lead, at(3, 9))
    with time_machine.travel(at(3, 15), tick=False):
        handoff_accept(actor=crew.ae, lead_id=accepted.pk)
        handoff_reject(actor=crew.ae, lead_id=rejected.pk, reason="Not now")

    assert escalate(at(10, 9)) == 0
    assert not Escalation.objects.exists()


def test_a_second_hand_off_of_the_same_lead_is_escalated_on_its_own(crew, model, make_lead):
    lead = hand_off(crew, make_lead, at(3, 9))
    assert escalate(at(4, 9)) == 1
    with time_machine.travel(at(4, 10), tick=False):
        handoff_reject(actor=crew.ae, lead_id=lead.pk, reason="Call me when they have budget")
        lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))

    assert escalate(at(5, 8, 59)) == 0  # Wednesday 10:00: 7 hours, then one on Thursday
    assert escalate(at(5, 9)) == 1
    assert list(Escalation.objects.order_by("id").values_list("handed_off_at", flat=True)) == [
        at(3, 9),
        at(4, 10),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_escalate_once(crew, model, make_lead):
    import threading

    from django.db import close_old_connections

    hand_off(crew, make_lead, at(3, 9))
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def work():
        try:
            barrier.wait(timeout=10)
            counts.append(escalate(at(4, 9)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    assert sorted(counts) == [0, 1]
    assert Escalation.objects.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.ESCALATED).count() == 1
