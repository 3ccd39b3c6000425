"""Outbound-email compliance: the one-click unsubscribe on every cadence email (headers and a
visible link), signed, public, valid for years, effective before the next send; suppression
by address and by domain checked at send time across every cadence, in one query; bounces,
complaints and unsubscribes from the provider feed it."""

from datetime import timedelta

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cadences.services import (
    CadenceInvalid,
    email_is_suppressed,
    enrollment_create,
    suppression_add,
    tick,
    touch_dispatch_due,
)
from leads.models import Prospect
from sdrcrm.errors import Invalid
from suppression.models import Suppression, email_hash
from tests.cadences.helpers import email, enroll, make_cadence, statuses, touches
from tests.factories import CompanyFactory, ProspectFactory

pytestmark = pytest.mark.django_db

BODY = "Hi {{ prospect.first_name }},\n\nShall we talk?\n{{ sdr.first_name }}"


@pytest.fixture
def cadence(crew):
    """Two emails, a business day apart."""
    return make_cadence(
        crew.manager,
        [email(subject="Hi", body=BODY), email(subject="Again", body=BODY, day_offset=1)],
        name="Two emails",
    )


def enrolled(crew, cadence, **lead_kwargs):
    lead = crew.lead(owner="sdr", **lead_kwargs)
    return lead, enroll(crew.sdr, lead, cadence)


def _link(message) -> str:
    return message.extra_headers["List-Unsubscribe"][1:-1]


def test_every_cadence_email_carries_the_one_click_headers_and_a_visible_link(
    crew, cadence, now, time_machine
):
    lead, enrollment = enrolled(crew, cadence)
    touch_dispatch_due()
    time_machine.move_to(now + timedelta(days=1), tick=False)  # Tuesday: the second email
    tick()
    touch_dispatch_due()

    assert len(mail.outbox) == 2
    for message, touch in zip(mail.outbox, touches(enrollment), strict=True):
        link = _link(message)
        assert link.startswith("http://127.0.0.1:8000/u/")
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.body.endswith(f"\n\n--\nNot interested? Unsubscribe with one click: {link}")
        assert link.removeprefix("http://127.0.0.1:8000/u/").startswith(f"{touch.pk}:")


def _forged(link: str) -> str:
    touch_id, _, signature = link.removeprefix("http://127.0.0.1:8000/u/").strip("/").partition(":")
    return f"/u/{int(touch_id) + 1}:{signature}/"


def test_the_link_is_signed(crew, cadence, now):
    enrolled(crew, cadence)
    enrolled(crew, cadence)
    touch_dispatch_due()
    before = list(Suppression.objects.values())

    response = Client().post(_forged(_link(mail.outbox[0])))

    assert response.status_code == 404
    assert list(Suppression.objects.values()) == before == []


def test_the_link_works_without_login_or_cookies_years_later_and_before_the_next_send(
    crew, cadence, now, time_machine
):
    lead, enrollment = enrolled(crew, cadence)
    touch_dispatch_due()
    (message,) = mail.outbox
    path = _link(message).removeprefix("http://127.0.0.1:8000")

    # 400 days later, from a mail client's one-click POST: no session, no CSRF cookie.
    time_machine.move_to(now + timedelta(days=400), tick=False)
    public = Client(enforce_csrf_checks=True)
    response = public.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert "sessionid" not in response.cookies
    # In effect at once: the next email does not go, and no cadence may email them again.
    mail.outbox.clear()
    tick()
    touch_dispatch_due()
    assert mail.outbox == []
    assert statuses(enrollment) == ["sent", "cancelled"]
    other = make_cadence(crew.manager, [email(body=BODY)], name="Another")
    with pytest.raises(CadenceInvalid, match="must not be contacted"):
        enrollment_create(actor=crew.sdr, lead_id=lead.pk, cadence_id=other.pk)
    Prospect.objects.filter(pk=lead.prospect_id).update(do_not_contact=False)  # by mistake
    with pytest.raises(CadenceInvalid, match="is suppressed"):
        enrollment_create(actor=crew.sdr, lead_id=lead.pk, cadence_id=other.pk)
    assert email_is_suppressed(lead.prospect.email)


def test_a_suppression_committed_after_enrollment_stops_the_next_send(crew, cadence, now):
    # Added behind the services' back (no enrollment stopped): the send-time check holds.
    lead, enrollment = enrolled(crew, cadence)
    Suppression.objects.create(email=lead.prospect.email, reason="manual")

    assert touch_dispatch_due().sent == 0
    assert mail.outbox == []
    assert statuses(enrollment) == ["cancelled", "cancelled"]


def test_a_suppressed_domain_is_checked_at_send_time_for_every_cadence(crew, cadence, now):
    company = CompanyFactory(domain="blocked.example")
    leads = [
        enrolled(
            crew, cadence, prospect=ProspectFactory(company=company, email=f"p{i}@blocked.example")
        )
        for i in range(2)
    ]
    kept, _ = enrolled(crew, cadence)
    suppression_add(domain="Blocked.Example", reason="manual")

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.cancelled) == (3, 1, 2)
    assert [m.to for m in mail.outbox] == [[kept.prospect.email]]
    for _lead, enrollment in leads:
        assert touches(enrollment)[0].error == "address suppressed or do-not-contact"
    # And no new enrollment for an address at that domain.
    lead = crew.lead(prospect=ProspectFactory(email="new@blocked.example"))
    with pytest.raises(CadenceInvalid, match="or its domain is suppressed"):
        enrollment_create(actor=crew.sdr, lead_id=lead.pk, cadence_id=cadence.pk)


@pytest.mark.parametrize("n", [2, 20])
def test_the_send_time_suppression_check_is_one_query(crew, cadence, now, n):
    for _ in range(n):
        enrolled(crew, cadence)
    suppression_add(domain="elsewhere.example", reason="manual")

    with CaptureQueriesContext(connection) as queries:
        stats = touch_dispatch_due()

    assert stats.sent == n
    suppression_queries = [q for q in queries if "suppression_suppression" in q["sql"]]
    assert len(suppression_queries) == 1


def test_the_suppression_check_matches_address_domain_and_erased_hash(db):
    suppression_add(email="ann@one.example", reason="unsubscribed")
    suppression_add(domain="two.example", reason="manual")
    Suppression.objects.create(email_hash=email_hash("gone@three.example"), reason="erased")

    assert email_is_suppressed("Ann@One.example")
    assert email_is_suppressed("anyone@two.example")
    assert email_is_suppressed("gone@three.example")
    assert not email_is_suppressed("bob@one.example")
    assert not email_is_suppressed("ann@sub.two.example")
    assert not email_is_suppressed("")
    # Suppressing again keeps one row and the first reason.
    suppression_add(email="ann@one.example", reason="bounced")
    assert list(Suppression.objects.filter(domain=None).values_list("email", "reason")) == [
        ("ann@one.example", "unsubscribed"), (None, "erased"),
    ]  # fmt: skip


@pytest.mark.parametrize("domain", ["", "example", "a@b.example"])
def test_a_domain_must_look_like_one(db, domain):
    with pytest.raises(Invalid) as error:
        suppression_add(domain=domain, reason="manual")
    assert (str(error.value), error.value.field) == ("Type a domain such as example.com.", "domain")
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(
    ("event_type", "reason", "stop_reason"),
    [
        ("bounced", "bounced", "bounced"),
        ("complained", "complained", "unsubscribed"),
        ("unsubscribed", "unsubscribed", "unsubscribed"),
    ],
)
def test_provider_bounces_complaints_and_unsubscribes_feed_the_list(
    crew, cadence, now, event_type, reason, stop_reason
):
    lead, enrollment = enrolled(crew, cadence)
    event = AnymailTrackingEvent(event_type=event_type, recipient=lead.prospect.email.upper())

    tracking.send(sender=object, event=event, esp_name="Postmark")

    row = Suppression.objects.get()
    assert (row.email, row.email_hash, row.reason) == (
        lead.prospect.email, email_hash(lead.prospect.email), reason,
    )  # fmt: skip
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", stop_reason)
    assert touch_dispatch_due().sent == 0


@pytest.mark.parametrize("event_type", ["delivered", "deferred", "opened", "clicked"])
def test_other_provider_events_suppress_nothing(crew, cadence, now, event_type):
    lead, _ = enrolled(crew, cadence)
    tracking.send(
        sender=object,
        event=AnymailTrackingEvent(event_type=event_type, recipient=lead.prospect.email),
        esp_name="Postmark",
    )
    assert not Suppression.objects.exists()
    assert not Prospect.objects.filter(do_not_contact=True).exists()
