"""Schemathesis against the live schema (fetched from /api/schema/ through the WSGI app): for
every operation, generated requests as a manager with a token must never get a server error
and every response must match the schema (status code, content type, body).

Examples are few per operation (SCHEMATHESIS_EXAMPLES, default 12) to keep `make test` short;
raise it for a deeper run: SCHEMATHESIS_EXAMPLES=200 pytest tests/api/test_schemathesis.py"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from api.services import api_token_create
from api.throttling import PerTokenThrottle
from tests.cadences.helpers import email, make_cadence, task
from tests.fixtures import walk

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def data(crew, other_crew):
    """Something to find: leads in several states, a cadence, an enrollment."""
    cadence = make_cadence(crew.manager, [email(), task(day_offset=1)])
    walk(crew.lead(), "qualified")
    walk(crew.lead(), "handed_off", ae=crew.ae)
    crew.lead(owner=None)
    other_crew.lead()
    from tests.cadences.helpers import enroll

    enroll(crew.sdr, crew.lead(), cadence)
    return cadence


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, keeping the test's database connection open between requests
    (as Django's test client does: the test's transaction holds the data)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_api_answers_every_generated_request_within_its_schema(
    crew, data, monkeypatch, wsgi_app
):
    monkeypatch.setattr(PerTokenThrottle, "THROTTLE_RATES", {"api": "1000000/min"})
    token = api_token_create(actor=crew.manager, name="schemathesis").raw
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 24  # 19 + the 5 operations of /api/imports/

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
