"""Outgoing webhooks: the outbox turns lead transitions into one delivery per subscription,
deliveries are POSTed signed to a real local HTTP endpoint, retried with backoff, logged, and
can be sent again by a manager."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from api import services
from api.models import DeliveryStatus, OutboxCursor, WebhookDelivery, WebhookSubscription
from api.services import subscription_create, webhook_outbox_run
from api.signing import verify
from leads.models import DisqualifyReason
from leads.services import LeadForbidden, LeadInvalid, TransitionParams, lead_transition
from tests.api.receiver import running_receiver
from tests.fixtures import walk

ALL = ["lead.accepted", "lead.disqualified", "lead.handed_off", "lead.qualified"]


@pytest.fixture
def receiver():
    with running_receiver() as r:
        yield r


@pytest.fixture
def sub(crew, receiver):
    return subscription_create(
        actor=crew.manager, team_id=crew.team.pk, url=receiver.url, events=ALL
    )


def test_the_outbox_makes_one_delivery_per_subscription_and_event(crew, other_crew, sub, receiver):
    only_accepts = subscription_create(
        actor=crew.manager, team_id=crew.team.pk, url=receiver.url, events=["lead.accepted"]
    )
    theirs = subscription_create(
        actor=other_crew.manager, team_id=other_crew.team.pk, url=receiver.url, events=ALL
    )
    lead = walk(crew.lead(), "accepted", ae=crew.ae)
    walk(other_crew.lead(), "researching")  # not an event anyone subscribes to

    created = webhook_outbox_run()
    again = webhook_outbox_run()

    rows = list(
        WebhookDelivery.objects.order_by("subscription_id", "lead_event_id").values_list(
            "subscription_id", "event_type", "lead_id", "status"
        )
    )
    assert rows == [
        (sub.pk, "lead.qualified", lead.pk, "pending"),
        (sub.pk, "lead.handed_off", lead.pk, "pending"),
        (sub.pk, "lead.accepted", lead.pk, "pending"),
        (only_accepts.pk, "lead.accepted", lead.pk, "pending"),
    ]
    assert sorted(created) == sorted(WebhookDelivery.objects.values_list("pk", flat=True))
    assert again == []
    assert not WebhookDelivery.objects.filter(subscription=theirs).exists()
    assert OutboxCursor.objects.get().last_event_id == lead.events.order_by("-pk").first().pk


def test_events_before_a_subscription_are_not_sent_to_it(crew, receiver):
    walk(crew.lead(), "qualified")
    subscription_create(actor=crew.manager, team_id=crew.team.pk, url=receiver.url, events=ALL)

    assert webhook_outbox_run() == []


def test_a_paused_subscription_gets_nothing(crew, sub):
    services.subscription_set_active(actor=crew.manager, subscription_id=sub.pk, active=False)
    walk(crew.lead(), "qualified")
    assert webhook_outbox_run() == []


def test_a_late_committed_event_behind_the_cursor_is_still_found(crew, sub):
    first = walk(crew.lead(), "qualified")
    webhook_outbox_run()
    # An event with a lower id than the cursor (committed late by a long transaction) is
    # still young: the look-back finds it; the unique constraint drops the ones already done.
    cursor = OutboxCursor.objects.get()
    cursor.last_event_id += 1000
    cursor.save()
    second = walk(crew.lead(), "qualified")

    created = webhook_outbox_run()

    assert list(
        WebhookDelivery.objects.filter(pk__in=created).values_list("lead_id", flat=True)
    ) == [second.pk]
    assert WebhookDelivery.objects.filter(lead_id=first.pk).count() == 1


def test_a_delivery_is_posted_signed(crew, sub, receiver):
    lead = walk(crew.lead(), "qualified")
    (delivery_id,) = webhook_outbox_run()

    assert services.delivery_send(delivery_id) == "delivered"

    (request,) = receiver.requests
    assert request.path == "/hook"
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["x-sdrcrm-event"] == "lead.qualified"
    assert headers["x-sdrcrm-delivery"] == str(delivery_id)
    verify(
        sub.secret,
        timestamp=headers["x-sdrcrm-timestamp"],
        signature=headers["x-sdrcrm-signature"],
        body=request.body,
        tolerance=300,
    )
    payload = json.loads(request.body)
    event = lead.events.get(to_state="qualified")
    assert headers["x-sdrcrm-event-id"] == payload["id"] == f"evt_{event.pk}"
    assert payload["type"] == "lead.qualified"
    assert payload["data"]["lead"]["id"] == lead.pk
    assert payload["data"]["lead"]["state"] == "qualified"
    assert payload["data"]["lead"]["prospect"]["email"] == lead.prospect.email
    assert payload["data"]["actor_id"] == crew.sdr.pk
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == (
        "delivered", 1, 200, ""
    )  # fmt: skip
    # Sending a delivered delivery again by its id does nothing (idempotent task).
    assert services.delivery_send(delivery_id) == "skipped"
    assert len(receiver.requests) == 1


def test_failures_are_retried_with_exponential_backoff_then_given_up(
    crew, sub, receiver, settings, time_machine
):
    settings.SDRCRM_WEBHOOK_MAX_ATTEMPTS = 4
    settings.SDRCRM_WEBHOOK_RETRY_BASE_SECONDS = 30
    time_machine.move_to(timezone.now(), tick=False)
    receiver.statuses = [500, 503, 404, 500]
    walk(crew.lead(), "disqualified")
    (delivery_id,) = webhook_outbox_run()

    outcomes, delays = [], []
    for _ in range(4):
        outcomes.append(services.delivery_send(delivery_id))
        # Not due yet: a second worker (or a repeated message) sends nothing.
        assert services.delivery_send(delivery_id) == "skipped"
        row = WebhookDelivery.objects.get(pk=delivery_id)
        delays.append((row.next_attempt_at - timezone.now()).total_seconds())
        time_machine.move_to(row.next_attempt_at, tick=False)

    assert outcomes == ["retry", "retry", "retry", "failed"]
    assert delays[:3] == [30, 60, 120]
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == (
        "failed", 4, 500, "HTTP 500"
    )  # fmt: skip
    assert len(receiver.requests) == 4


def test_a_connection_error_is_a_retry(crew, settings):
    sub = subscription_create(
        actor=crew.manager, team_id=crew.team.pk, url="http://127.0.0.1:9/nothing", events=ALL
    )
    walk(crew.lead(), "qualified")
    (delivery_id,) = webhook_outbox_run()

    assert services.delivery_send(delivery_id) == "retry"

    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, None)
    assert row.last_error.startswith("ConnectionError: ")
    assert row.subscription_id == sub.pk


def test_the_backoff_is_capped():
    assert services.retry_delay(1) == timedelta(seconds=30)
    assert services.retry_delay(20) == timedelta(minutes=30)


def test_an_expired_lease_goes_back_to_pending(crew, sub):
    walk(crew.lead(), "qualified")
    (delivery_id,) = webhook_outbox_run()
    claimed = services.delivery_claim(delivery_id)
    assert claimed.status == "sending"
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )

    assert services.deliveries_due() == [delivery_id]
    assert WebhookDelivery.objects.get(pk=delivery_id).status == "pending"


@pytest.mark.django_db(transaction=True)
def test_two_workers_claim_a_delivery_once(crew, receiver):
    """Two connections race for the same due delivery: SKIP LOCKED gives it to one."""
    sub = subscription_create(
        actor=crew.manager, team_id=crew.team.pk, url=receiver.url, events=ALL
    )
    walk(crew.lead(), "qualified")
    (delivery_id,) = webhook_outbox_run()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                # Hold the row lock a moment so the other claim runs while it is held.
                got = services.delivery_claim(delivery_id)
                time.sleep(0.3)
            results.append(got is not None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(results) == [False, True]
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert (row.status, row.attempts) == ("sending", 1)
    assert row.subscription_id == sub.pk
    assert connection.vendor == "postgresql"


# --- Subscriptions, the delivery log and re-send (pages) -------------------------------------


def test_manager_adds_a_subscription_on_the_page(crew, client, receiver):
    client.force_login(crew.manager)

    response = client.post(
        "/settings/webhooks/", {"url": receiver.url, "events": ["lead.qualified", "lead.accepted"]}
    )

    assert (response.status_code, response["Location"]) == (302, "/settings/webhooks/")
    sub = WebhookSubscription.objects.get()
    assert (sub.team_id, sub.url, sub.events, sub.is_active) == (
        crew.team.pk, receiver.url, ["lead.accepted", "lead.qualified"], True
    )  # fmt: skip
    assert sub.secret.startswith("whsec_")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"url": "ftp://example.com/x", "events": ["lead.qualified"]}, "Enter an http(s) URL."),
        ({"url": "not a url", "events": ["lead.qualified"]}, "Enter a valid URL."),
        ({"url": "https://example.com/x", "events": []}, "This field is required."),
        ({"url": "https://example.com/x", "events": ["lead.created"]}, "Select a valid choice."),
    ],
)
def test_a_bad_subscription_is_refused(crew, client, data, error):
    client.force_login(crew.manager)
    response = client.post("/settings/webhooks/", data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert WebhookSubscription.objects.count() == 0


def test_only_managers_of_the_team_manage_subscriptions(crew, other_crew, sub, receiver):
    with pytest.raises(LeadForbidden):
        subscription_create(actor=crew.sdr, team_id=crew.team.pk, url=receiver.url, events=ALL)
    with pytest.raises(LeadForbidden):
        subscription_create(
            actor=other_crew.manager, team_id=crew.team.pk, url=receiver.url, events=ALL
        )
    with pytest.raises(LeadInvalid):
        subscription_create(actor=crew.manager, team_id=crew.team.pk, url=receiver.url, events=[])
    assert WebhookSubscription.objects.count() == 1


def test_the_delivery_log_and_resend(crew, client, sub, receiver, settings):
    settings.SDRCRM_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500]
    lead = walk(crew.lead(), "qualified")
    (delivery_id,) = webhook_outbox_run()
    assert services.delivery_send(delivery_id) == "failed"
    client.force_login(crew.manager)

    page = client.get("/settings/webhooks/").content.decode()
    assert f'<a href="/leads/{lead.pk}/">#{lead.pk}</a>' in page
    assert "HTTP 500" in page

    with django_capture(client) as sent:
        response = client.post(f"/settings/webhooks/deliveries/{delivery_id}/resend/")

    assert (response.status_code, response["Location"]) == (302, "/settings/webhooks/")
    assert sent == [delivery_id]
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert services.delivery_send(delivery_id) == "delivered"
    assert len(receiver.requests) == 2


class django_capture:
    """Capture the delivery ids sent to the broker after commit (patches the task's .delay)."""

    def __init__(self, client):
        self.sent = []

    def __enter__(self):
        from unittest import mock

        from api.tasks import webhook_delivery_send_task

        self.patch = mock.patch.object(
            webhook_delivery_send_task, "delay", side_effect=lambda pk: self.sent.append(pk)
        )
        self.patch.start()
        from django.test import TestCase

        self.capture = TestCase.captureOnCommitCallbacks(execute=True)
        self.capture.__enter__()
        return self.sent

    def __exit__(self, *exc):
        self.capture.__exit__(*exc)
        self.patch.stop()


@pytest.mark.parametrize("who", ["sdr", "ae", "o_manager"])
def test_resend_by_others_changes_nothing(crew, other_crew, client, sub, who):
    walk(crew.lead(), "disqualified")
    (delivery_id,) = webhook_outbox_run()
    before = WebhookDelivery.objects.filter(pk=delivery_id).values().get()
    user = other_crew.manager if who == "o_manager" else getattr(crew, who)
    client.force_login(user)

    response = client.post(f"/settings/webhooks/deliveries/{delivery_id}/resend/")

    assert response.status_code == (404 if who == "o_manager" else 403)
    assert WebhookDelivery.objects.filter(pk=delivery_id).values().get() == before


def test_toggle_pauses_a_subscription(crew, client, sub):
    client.force_login(crew.manager)
    response = client.post(f"/settings/webhooks/subscriptions/{sub.pk}/toggle/", {"active": "0"})
    assert response.status_code == 302
    assert WebhookSubscription.objects.get(pk=sub.pk).is_active is False


def test_the_webhooks_page_query_count_is_bounded(crew, client, sub, django_assert_num_queries):
    for _ in range(5):
        lead = crew.lead()
        lead_transition(
            actor=crew.sdr,
            lead_id=lead.pk,
            name="disqualify",
            params=TransitionParams(reason=DisqualifyReason.NO_NEED),
        )
    webhook_outbox_run()
    assert WebhookDelivery.objects.count() == 5
    client.force_login(crew.manager)
    # session, user (with their team), inbound secret, deliveries, subscriptions
    with django_assert_num_queries(5):
        client.get("/settings/webhooks/")


def test_delivery_status_values():
    assert DeliveryStatus.values == ["pending", "sending", "delivered", "failed"]


def test_the_tick_rings_the_bell_after_commit_only(crew, sub, django_capture_on_commit_callbacks):
    from unittest import mock

    from api.tasks import webhook_delivery_send_task

    walk(crew.lead(), "disqualified")
    with mock.patch.object(webhook_delivery_send_task, "delay") as delay:
        with django_capture_on_commit_callbacks() as callbacks:
            result = services.webhook_outbox_tick()
            assert delay.call_count == 0  # nothing reaches the broker before the commit
        for callback in callbacks:
            callback()
    (delivery,) = WebhookDelivery.objects.all()
    assert result == {"created": 1, "enqueued": 1}
    assert [c.args for c in delay.call_args_list] == [(delivery.pk,)]


def test_an_api_transition_rings_the_outbox_after_commit(
    crew, sub, api, django_capture_on_commit_callbacks
):
    from unittest import mock

    from api.tasks import webhook_outbox_task

    lead = walk(crew.lead(), "engaged")
    researching = crew.lead()
    client = api(crew.sdr)
    with mock.patch.object(webhook_outbox_task, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            client.post(
                f"/api/leads/{researching.pk}/transitions/start_research/", {}, format="json"
            )
        assert (len(callbacks), delay.call_count) == (0, 0)  # not an event to send
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            client.post(f"/api/leads/{lead.pk}/transitions/qualify/", {}, format="json")
        assert (len(callbacks), delay.call_count) == (1, 1)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/hook", "The host 127.0.0.1 is an internal address (127.0.0.1)"),
        ("http://localhost/hook", "The host localhost is an internal address"),
        ("http://169.254.169.254/latest/", "The host 169.254.169.254 is an internal address"),
        ("http://10.1.2.3/hook", "The host 10.1.2.3 is an internal address"),
        ("http://[::1]/hook", "The host ::1 is an internal address"),
        ("http://no-such-host.invalid/hook", "The host no-such-host.invalid does not resolve."),
    ],
)  # fmt: skip
def test_internal_addresses_are_refused_in_production(crew, settings, url, message):
    settings.SDRCRM_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(LeadInvalid) as refused:
        subscription_create(
            actor=crew.manager, team_id=crew.team.pk, url=url, events=["lead.qualified"]
        )

    assert str(refused.value).startswith(message)
    assert WebhookSubscription.objects.count() == 0


def test_a_host_that_turned_internal_is_not_posted_to(crew, sub, receiver, settings):
    walk(crew.lead(), "qualified")
    (delivery_id,) = webhook_outbox_run()
    settings.SDRCRM_WEBHOOK_ALLOW_PRIVATE = False

    assert services.delivery_send(delivery_id) == "retry"

    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert row.last_error == "The host 127.0.0.1 is an internal address (127.0.0.1): refused."
    assert receiver.requests == []
