"""Outgoing webhooks end to end: an API transition commits, the outbox task runs on a real
Celery worker, the delivery is POSTed to a real local HTTP endpoint that fails once, and the
worker's retry (exponential backoff, 1 s base here) delivers it."""

import json
import uuid

import pytest
from rest_framework.test import APIClient

from api.models import WebhookDelivery
from api.services import api_token_create, subscription_create
from api.signing import verify
from sdrcrm.celery import app as celery_app
from tests.api.receiver import running_receiver
from tests.fixtures import walk
from tests.integration.test_celery_worker import wait_for, worker_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DONE_WITHIN = 60


@pytest.fixture
def webhook_worker(transactional_db, tmp_path):
    queue = f"test-webhooks-{uuid.uuid4().hex[:12]}"
    previous = celery_app.conf.task_default_queue
    # What the web process enqueues after commit goes to this worker's queue.
    celery_app.conf.task_default_queue = queue
    try:
        with worker_process(
            queue,
            tmp_path,
            SDRCRM_WEBHOOK_RETRY_BASE_SECONDS="1",
            SDRCRM_WEBHOOK_ALLOW_PRIVATE="1",  # the receiver listens on 127.0.0.1
        ) as (_, log):
            yield log
    finally:
        celery_app.conf.task_default_queue = previous


def test_an_api_transition_is_delivered_by_the_worker_after_one_retry(
    crew, webhook_worker, settings
):
    settings.SDRCRM_WEBHOOK_ALLOW_PRIVATE = True
    with running_receiver() as receiver:
        receiver.statuses = [500]  # the first attempt fails, the retry succeeds
        sub = subscription_create(
            actor=crew.manager,
            team_id=crew.team.pk,
            url=receiver.url,
            events=["lead.qualified"],
        )
        lead = walk(crew.lead(), "engaged")
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=crew.sdr, name='ci').raw}"
        )

        response = client.post(
            f"/api/leads/{lead.pk}/transitions/qualify/",
            {"expected_state": "engaged"},
            format="json",
        )
        assert response.status_code == 200

        wait_for(
            lambda: WebhookDelivery.objects.filter(status="delivered").exists(),
            DONE_WITHIN,
            "the delivery to be delivered",
            webhook_worker,
        )
        delivery = WebhookDelivery.objects.get()
        assert (delivery.subscription_id, delivery.lead_id, delivery.event_type) == (
            sub.pk,
            lead.pk,
            "lead.qualified",
        )
        assert (delivery.attempts, delivery.last_status_code) == (2, 200)
        assert len(receiver.requests) == 2
        first, second = receiver.requests
        assert first.body == second.body  # the same event, re-signed
        headers = {k.lower(): v for k, v in second.headers.items()}
        verify(
            sub.secret,
            timestamp=headers["x-sdrcrm-timestamp"],
            signature=headers["x-sdrcrm-signature"],
            body=second.body,
            tolerance=300,
        )
        assert json.loads(second.body)["data"]["lead"]["state"] == "qualified"
