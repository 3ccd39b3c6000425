"""Inbound webhooks: the generic signed endpoint and django-anymail's provider webhooks.

A reply stops the cadence and moves the lead to engaged; a bounce, complaint or unsubscribe
stops it and suppresses the address. Each event id is applied once. Forged, replayed, old,
malformed or oversized requests are 4xx and change nothing."""

# ruff: noqa: E501  (the tables of bad input and their messages read best one case a line)

import base64
import json
import time

import pytest

from api.models import InboundSecret, ProcessedEvent
from api.services import inbound_secret_rotate
from api.signing import sign, signed_headers
from cadences.models import Enrollment
from leads.models import EventKind, Lead, LeadEvent, Prospect
from suppression.models import Suppression
from tests.cadences.helpers import at, email, enroll, make_cadence, task


@pytest.fixture
def secret(crew):
    return inbound_secret_rotate(actor=crew.manager, team_id=crew.team.pk).secret


@pytest.fixture
def contacting(crew, time_machine):
    """A lead of Alpha's SDR in an active cadence (so: contacting)."""
    time_machine.move_to(at(2027, 5, 3, 10, 0), tick=False)
    cadence = make_cadence(crew.manager, [email(), task(day_offset=2)])
    lead = crew.lead()
    enroll(crew.sdr, lead, cadence)
    lead.refresh_from_db()
    assert lead.state == "contacting"
    return lead


def _post(client, team_id, payload, secret, *, now=None, raw=None, headers=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    signed = signed_headers(secret, body, now=now if now is not None else time.time())
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or signed).items()}
    return client.post(
        f"/api/webhooks/inbound/{team_id}/", body, content_type="application/json", **extra
    )


def snapshot() -> dict:
    return {
        "leads": list(Lead.objects.order_by("pk").values("pk", "state", "version")),
        "events": LeadEvent.objects.count(),
        "enrollments": list(Enrollment.objects.order_by("pk").values("pk", "status")),
        "suppressions": list(Suppression.objects.values_list("email", "reason")),
        "prospects": list(
            Prospect.objects.order_by("pk").values("pk", "do_not_contact", "email_bounced_at")
        ),
        "processed": ProcessedEvent.objects.count(),
    }


# --- Generic endpoint -------------------------------------------------------------------------


def test_a_signed_reply_stops_the_cadence_and_engages_the_lead(crew, client, secret, contacting):
    payload = {
        "id": "evt_1",
        "type": "reply",
        "email": contacting.prospect.email.upper(),
        "body": "Yes, call me on Friday.",
    }

    response = _post(client, crew.team.pk, payload, secret)

    assert response.status_code == 200
    assert response.json() == {
        "processed": True,
        "result": f"reply recorded on lead {contacting.pk}",
    }
    contacting.refresh_from_db()
    assert contacting.state == "engaged"
    enrollment = Enrollment.objects.get(lead=contacting)
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "replied")
    reply = LeadEvent.objects.get(lead=contacting, kind=EventKind.REPLY)
    assert (reply.actor_id, reply.body, reply.payload) == (
        None,
        "Yes, call me on Friday.",
        {"source": "webhook"},
    )


def test_a_repeated_event_is_applied_once(crew, client, secret, contacting):
    payload = {"id": "evt_1", "type": "reply", "lead_id": contacting.pk, "body": "Hi"}
    assert _post(client, crew.team.pk, payload, secret).status_code == 200
    after_first = snapshot()

    again = _post(client, crew.team.pk, payload, secret)

    assert again.status_code == 200
    assert again.json() == {"processed": False, "result": "already processed"}
    assert snapshot() == after_first
    assert LeadEvent.objects.filter(lead=contacting, kind=EventKind.REPLY).count() == 1


def test_the_same_event_id_from_another_team_is_another_event(crew, other_crew, client, secret):
    other_secret = inbound_secret_rotate(actor=other_crew.manager, team_id=other_crew.team.pk)
    ours = _post(client, crew.team.pk, {"id": "e1", "type": "delivered"}, secret)
    theirs = _post(
        client, other_crew.team.pk, {"id": "e1", "type": "delivered"}, other_secret.secret
    )
    assert [ours.json()["processed"], theirs.json()["processed"]] == [True, True]


def test_a_reply_never_touches_another_teams_lead(crew, other_crew, client, secret):
    theirs = other_crew.lead()
    payload = {"id": "e1", "type": "reply", "lead_id": theirs.pk}

    response = _post(client, crew.team.pk, payload, secret)

    assert response.json() == {"processed": True, "result": "no matching lead"}
    assert LeadEvent.objects.filter(lead=theirs).count() == 0


@pytest.mark.parametrize("kind", ["bounce", "complaint", "unsubscribe"])
def test_bounce_complaint_and_unsubscribe_stop_the_cadence_and_suppress(
    crew, client, secret, contacting, kind
):
    address = contacting.prospect.email
    payload = {"id": f"evt_{kind}", "type": kind, "email": address}

    response = _post(client, crew.team.pk, payload, secret)

    assert response.status_code == 200
    assert response.json()["result"] == f"{kind}: address suppressed, 1 cadence(s) stopped"
    reason = {"bounce": "bounced", "complaint": "complained", "unsubscribe": "unsubscribed"}[kind]
    assert list(Suppression.objects.values_list("email", "reason")) == [(address, reason)]
    enrollment = Enrollment.objects.get(lead=contacting)
    stop = {"bounce": "bounced", "complaint": "unsubscribed", "unsubscribe": "unsubscribed"}[kind]
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", stop)
    prospect = Prospect.objects.get(pk=contacting.prospect_id)
    assert (prospect.email_bounced_at is not None) == (kind == "bounce")
    assert prospect.do_not_contact == (kind != "bounce")


def _forged(secret, body):
    ts = int(time.time())
    return {"X-Sdrcrm-Timestamp": str(ts), "X-Sdrcrm-Signature": sign("not-the-secret", ts, body)}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong secret", "The signature does not match the body."),
        ("no signature", "Missing X-Sdrcrm-Timestamp or X-Sdrcrm-Signature header."),
        ("old", "The timestamp is more than 300 seconds from the server's clock: refused (a replay, or a wrong clock)."),
        ("future", "The timestamp is more than 300 seconds from the server's clock: refused (a replay, or a wrong clock)."),
        ("bad timestamp", "X-Sdrcrm-Timestamp must be a Unix time in seconds."),
        ("body changed", "The signature does not match the body."),
        ("timestamp changed", "The signature does not match the body."),
    ],
)  # fmt: skip
def test_forged_or_replayed_requests_are_401_and_change_nothing(
    crew, client, secret, contacting, case, message
):
    payload = {"id": "evt_x", "type": "reply", "lead_id": contacting.pk}
    body = json.dumps(payload).encode()
    now = time.time()
    headers = signed_headers(secret, body, now=now)
    raw = body
    if case == "wrong secret":
        headers = _forged(secret, body)
    elif case == "no signature":
        headers = {}
    elif case == "old":
        headers = signed_headers(secret, body, now=now - 301)
    elif case == "future":
        headers = signed_headers(secret, body, now=now + 301)
    elif case == "bad timestamp":
        headers["X-Sdrcrm-Timestamp"] = "yesterday"
    elif case == "body changed":
        raw = body.replace(b"reply", b"unsubscribe")
    elif case == "timestamp changed":
        headers["X-Sdrcrm-Timestamp"] = str(int(now) + 1)
    before = snapshot()

    response = _post(client, crew.team.pk, None, secret, raw=raw, headers=headers or {"X": "1"})

    assert (response.status_code, response.json()) == (401, {"detail": message})
    assert snapshot() == before


def test_a_rotated_secret_no_longer_works(crew, client, secret):
    inbound_secret_rotate(actor=crew.manager, team_id=crew.team.pk)
    response = _post(client, crew.team.pk, {"id": "e", "type": "delivered"}, secret)
    assert response.status_code == 401
    assert ProcessedEvent.objects.count() == 0


def test_a_team_without_a_secret_is_404(crew, client):
    response = _post(client, crew.team.pk, {"id": "e", "type": "delivered"}, "anything")
    assert response.status_code == 404
    assert response.json() == {"detail": "No inbound webhook is set up for this team."}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "The body is not valid JSON."),
        (b"\xff\xfe\x00", "The body is not valid JSON."),
        (b"[]", "The body must be a JSON object."),
        (b'{"id": "e", "type": "reply", "extra": 1}', "Unknown field(s): extra."),
        (b'{"id": 5, "type": "reply"}', "'id' and 'type' are required strings."),
        (b'{"type": "reply"}', "'id' and 'type' are required strings."),
        (b'{"id": "e", "type": "reply", "email": 7}', "'email' and 'body' must be strings."),
        (b'{"id": "e", "type": "reply", "lead_id": "7"}', "'lead_id' must be a positive integer."),
        (b'{"id": "e", "type": "reply", "lead_id": true}', "'lead_id' must be a positive integer."),
        (b'{"id": "e", "type": "reply", "lead_id": 99999999999999999999}', "'lead_id' must be a positive integer."),
        (b'{"id": "e", "type": "opened"}', "Unknown event type 'opened'; use one of reply, delivered, bounce, complaint, unsubscribe."),
        (b'{"id": "", "type": "reply"}', "Each event needs an 'id' of 1 to 200 characters."),
        (b'{"id": "e", "type": "bounce"}', "A bounce event needs the recipient's 'email'."),
        (b'{"id": "e", "type": "reply"}', "A reply needs the sender's 'email' or a 'lead_id'."),
    ],
)  # fmt: skip
def test_bad_events_are_400_and_change_nothing(crew, client, secret, contacting, raw, message):
    before = snapshot()

    response = _post(client, crew.team.pk, None, secret, raw=raw)

    assert (response.status_code, response.json()) == (400, {"detail": message})
    assert snapshot() == before


def test_a_body_over_the_limit_is_413(crew, client, secret, settings):
    settings.SDRCRM_API_MAX_BODY = 100
    raw = json.dumps({"id": "e", "type": "reply", "body": "x" * 200}).encode()

    response = _post(client, crew.team.pk, None, secret, raw=raw)

    assert response.status_code == 413
    assert ProcessedEvent.objects.count() == 0


def test_get_is_405(crew, client, secret):
    assert client.get(f"/api/webhooks/inbound/{crew.team.pk}/").status_code == 405


# --- django-anymail (Postmark as the example provider) ----------------------------------------


@pytest.fixture
def anymail_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret"}
    return "Basic " + base64.b64encode(b"hook:s3cret").decode()


def _postmark(client, kind, payload, auth):
    return client.post(
        f"/api/webhooks/anymail/postmark/{kind}/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )


def test_a_provider_bounce_suppresses_and_stops(client, contacting, anymail_secret):
    address = contacting.prospect.email
    payload = {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "Email": address,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "BouncedAt": "2027-05-03T10:00:00Z",
        "Description": "The server was unable to deliver your message",
    }

    response = _postmark(client, "tracking", payload, anymail_secret)
    again = _postmark(client, "tracking", payload, anymail_secret)

    assert (response.status_code, again.status_code) == (200, 200)
    assert list(Suppression.objects.values_list("email", "reason")) == [(address, "bounced")]
    assert Enrollment.objects.get(lead=contacting).stop_reason == "bounced"
    assert list(ProcessedEvent.objects.values_list("source", "event_id", "kind")) == [
        ("anymail:postmark", "4323372036854775807", "bounce")
    ]


def test_a_provider_inbound_reply_engages_the_lead_once(client, contacting, anymail_secret):
    payload = {
        "FromFull": {"Email": contacting.prospect.email, "Name": "Pat"},
        "ToFull": [{"Email": "sdr@sdrcrm.example", "Name": ""}],
        "Subject": "Re: Hello",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "TextBody": "Sounds good, let's talk.",
        "Headers": [],
    }

    first = _postmark(client, "inbound", payload, anymail_secret)
    second = _postmark(client, "inbound", payload, anymail_secret)

    assert (first.status_code, second.status_code) == (200, 200)
    contacting.refresh_from_db()
    assert contacting.state == "engaged"
    replies = LeadEvent.objects.filter(lead=contacting, kind=EventKind.REPLY)
    assert list(replies.values_list("body", flat=True)) == ["Sounds good, let's talk."]
    assert Enrollment.objects.get(lead=contacting).stop_reason == "replied"


def test_a_provider_webhook_without_the_basic_auth_is_refused(client, contacting, anymail_secret):
    before = snapshot()
    payload = {"RecordType": "Bounce", "ID": 1, "Type": "HardBounce", "Email": "a@b.example"}

    wrong = "Basic " + base64.b64encode(b"hook:guess").decode()
    response = _postmark(client, "tracking", payload, wrong)

    assert response.status_code == 400
    assert snapshot() == before


def test_provider_webhooks_are_off_without_a_secret(client, contacting, settings):
    settings.ANYMAIL = {}
    before = snapshot()
    payload = {"RecordType": "Bounce", "ID": 1, "Type": "HardBounce", "Email": "a@b.example"}

    response = _postmark(client, "tracking", payload, "")

    assert response.status_code == 404
    assert snapshot() == before


def test_a_malformed_provider_payload_is_400(client, contacting, anymail_secret):
    before = snapshot()
    response = client.post(
        "/api/webhooks/anymail/postmark/tracking/",
        b"{oops",
        content_type="application/json",
        HTTP_AUTHORIZATION=anymail_secret,
    )
    missing = _postmark(client, "tracking", {"RecordType": "Bounce"}, anymail_secret)

    assert response.status_code == 400
    assert missing.status_code == 400
    assert snapshot() == before


def test_secret_rotation_is_for_the_teams_managers(crew, other_crew, client):
    from leads.services import LeadForbidden

    with pytest.raises(LeadForbidden):
        inbound_secret_rotate(actor=crew.sdr, team_id=crew.team.pk)
    with pytest.raises(LeadForbidden):
        inbound_secret_rotate(actor=other_crew.manager, team_id=crew.team.pk)
    assert InboundSecret.objects.count() == 0
    client.force_login(crew.sdr)
    assert client.post("/settings/webhooks/inbound-secret/").status_code == 403
    client.force_login(crew.manager)
    response = client.post("/settings/webhooks/inbound-secret/")
    assert (response.status_code, response["Location"]) == (302, "/settings/webhooks/")
    secret = InboundSecret.objects.get(team=crew.team).secret
    assert secret in client.get("/settings/webhooks/").content.decode()
