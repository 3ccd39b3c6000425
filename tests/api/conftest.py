import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from api.services import api_token_create


@pytest.fixture(autouse=True)
def _fresh_throttle():
    caches["api"].clear()
    yield
    caches["api"].clear()


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
