"""The notifications app's own services: saved once per person and event, emailed after
commit by task name, marked read by their owner only (by ids, by lead, or all)."""

import pytest

from leads.models import EventKind, LeadEvent
from notifications import tasks
from notifications.models import Notification, NotificationKind
from notifications.services import (
    lead_name,
    notification_create,
    notifications_create_once,
    notifications_mark_read,
)
from tests.factories import CompanyFactory, LeadFactory, ProspectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def emailed(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.notification_email_task, "delay", lambda pk: sent.append(pk))
    return sent


def _lead(crew, name="Kari Nord", company="Fjord AS"):
    first, last = name.split()
    prospect = ProspectFactory(
        team=crew.team, first_name=first, last_name=last,
        company=CompanyFactory(team=crew.team, name=company),
    )  # fmt: skip
    return LeadFactory(team=crew.team, prospect=prospect, owner=crew.sdr)


def test_a_notification_is_emailed_after_commit_only(
    crew, emailed, django_capture_on_commit_callbacks
):
    lead = _lead(crew)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = notification_create(
            user=crew.sdr, lead=lead, kind=NotificationKind.INBOUND, title=lead_name(lead)
        )
    assert (note.title, emailed) == ("Kari Nord (Fjord AS)", [])

    for callback in callbacks:
        callback()
    assert emailed == [note.pk]


def test_once_per_person_and_event(crew, emailed, django_capture_on_commit_callbacks):
    lead = _lead(crew)
    event = LeadEvent.objects.create(lead=lead, kind=EventKind.NOTE, actor=crew.sdr, body="x")

    def build():
        return Notification(
            user=crew.ae, lead=lead, event=event, kind=NotificationKind.HANDOFF, title="t"
        )

    with django_capture_on_commit_callbacks(execute=True):
        first = notifications_create_once([build()])
        again = notifications_create_once([build()])

    assert (len(first), again) == (1, [])
    assert Notification.objects.count() == 1
    assert emailed == [first[0].pk]


def test_mark_read_by_lead_touches_only_the_actors_notes_about_that_lead(crew):
    lead, other = _lead(crew), _lead(crew, "Per Berg", "Berg AS")
    mine = Notification.objects.create(user=crew.ae, lead=lead, kind="handoff", title="a")
    elsewhere = Notification.objects.create(user=crew.ae, lead=other, kind="handoff", title="b")
    theirs = Notification.objects.create(user=crew.sdr, lead=lead, kind="accepted", title="c")

    assert notifications_mark_read(actor=crew.ae, lead_id=lead.pk) == 1

    read = dict(Notification.objects.values_list("pk", "read_at"))
    assert read[mine.pk] is not None
    assert (read[elsewhere.pk], read[theirs.pk]) == (None, None)
