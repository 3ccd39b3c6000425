"""The public unsubscribe page: GET only asks (link scanners must not unsubscribe anyone),
POST unsubscribes without a login or CSRF token (RFC 8058 one-click), a forged token changes
nothing."""

import pytest
from django.core import mail, signing
from django.test import Client

from cadences.context import unsubscribe_token
from cadences.models import Enrollment
from cadences.services import touch_dispatch_due
from leads.models import Prospect
from suppression.models import Suppression
from tests.cadences.helpers import cadence_snapshot, enroll, statuses, touches

pytestmark = pytest.mark.django_db


@pytest.fixture
def public():
    """A browser without a session that enforces CSRF like a real one."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def sent(crew, standard, now):
    """The first email of the standard cadence went out; the path of its unsubscribe link."""
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    touch_dispatch_due()
    (message,) = mail.outbox
    link = message.extra_headers["List-Unsubscribe"][1:-1]
    path = link.removeprefix("http://127.0.0.1:8000")
    assert path == f"/u/{unsubscribe_token(touches(enrollment)[0].pk)}/"
    return lead, enrollment, path


def test_get_shows_a_confirmation_and_changes_nothing(sent, public):
    lead, enrollment, path = sent
    before = cadence_snapshot()

    for _ in range(2):
        response = public.get(path)
        assert response.status_code == 200
        html = response.content.decode()
        assert (
            f"Stop all emails from Nordlys CRM to <strong>{lead.prospect.email}</strong>?" in html
        )
        assert '<form method="post">' in html

    assert cadence_snapshot() == before
    assert Suppression.objects.count() == 0


def test_post_unsubscribes_without_a_login_and_stops_the_cadence(sent, public):
    lead, enrollment, path = sent

    response = public.post(path)

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert list(Suppression.objects.values_list("email", "reason")) == [
        (lead.prospect.email, "unsubscribed")
    ]
    assert Prospect.objects.get(pk=lead.prospect_id).do_not_contact is True
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason, enrollment.stop_note) == (
        "stopped", "unsubscribed", "unsubscribe link",
    )  # fmt: skip
    assert statuses(enrollment) == ["sent"] + ["cancelled"] * 8
    # Again (a mail client retrying the one-click POST): the same page, nothing more.
    before = cadence_snapshot()
    assert public.post(path).status_code == 200
    assert cadence_snapshot() == before


def test_the_one_click_post_of_a_mail_provider(sent, public):
    """RFC 8058: the provider POSTs ``List-Unsubscribe=One-Click`` to the header's URL."""
    lead, enrollment, path = sent
    response = public.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Enrollment.objects.get(pk=enrollment.pk).stop_reason == "unsubscribed"


@pytest.mark.parametrize(
    "token",
    [
        "forged",
        "1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        signing.Signer(salt="another.salt").sign("1"),
        unsubscribe_token(987654321),  # well signed, but no such touch
    ],
    ids=["garbage", "bad-signature", "other-salt", "unknown-touch"],
)
def test_a_forged_token_is_not_valid_and_changes_nothing(sent, public, token):
    before = cadence_snapshot()
    for method in (public.get, public.post):
        response = method(f"/u/{token}/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "This link is not valid" in html
        assert "You are unsubscribed" not in html
    assert cadence_snapshot() == before


def test_a_tampered_touch_id_is_refused(sent, crew, standard, public):
    """Someone changes the id in their own link to unsubscribe another prospect."""
    lead, enrollment, path = sent
    other = enroll(crew.sdr, crew.lead(), standard)
    token = path.split("/")[2]
    forged = f"{touches(other)[0].pk}:{token.split(':', 1)[1]}"
    before = cadence_snapshot()
    assert public.post(f"/u/{forged}/").status_code == 404
    assert cadence_snapshot() == before


def test_other_methods_are_refused(sent, public):
    _, _, path = sent
    before = cadence_snapshot()
    assert public.put(path).status_code == 405
    assert public.delete(path).status_code == 405
    assert cadence_snapshot() == before
