import uuid

import pytest
from rest_framework.test import APIClient

from api.services import api_token_create


@pytest.fixture(autouse=True)
def _fresh_throttle(settings):
    """Throttle counters in the test run's Redis, under a prefix of this test's own (clearing
    the cache would flush the whole Redis database, broker queues included)."""
    settings.CACHES = {
        **settings.CACHES,
        "api": {**settings.CACHES["default"], "KEY_PREFIX": f"test-api-{uuid.uuid4().hex}"},
    }
    yield


@pytest.fixture
def api():
    """``api(user)``: an APIClient authenticated with a fresh token of ``user``."""

    def _client(user, name="tests"):
        client = APIClient()
        if user is not None:
            raw = api_token_create(actor=user, name=name).raw
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return _client


@pytest.fixture(autouse=True)
def _local_webhook_receivers(settings):
    # The tests' webhook receivers listen on 127.0.0.1, which production refuses.
    settings.SDRCRM_WEBHOOK_ALLOW_PRIVATE = True
