"""Schemathesis against the live schema (fetched from /api/schema/ through the WSGI app), as a
manager with a token, over every operation of the API:

- positive data (valid by the schema) and negative data (each request breaks the schema
  somewhere: a wrong type, a missing field, an id that is not an integer, …);
- stateful sequences: schemathesis infers links between operations from the schema (an id a
  response returns is the path parameter of the next request) and chains them.

Every response must be a non-server error and match the schema: its status code is
documented, its content type and body are those documented. Negative data must be refused
with a 4xx.

Deterministic (derandomize) and short: SCHEMATHESIS_EXAMPLES (default 25) per operation and
mode; raise it for a deeper run: SCHEMATHESIS_EXAMPLES=200 pytest tests/api/test_schemathesis.py"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from api.services import api_token_create
from api.throttling import PerTokenThrottle
from tests.cadences.helpers import email, enroll, make_cadence, task
from tests.fixtures import walk

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, checks.negative_data_rejection]
OPERATIONS = 24  # 19 + the 5 operations of /api/imports/


@pytest.fixture
def data(crew, other_crew):
    """Something to find: leads in several states, a cadence, an enrollment."""
    cadence = make_cadence(crew.manager, [email(), task(day_offset=1)])
    walk(crew.lead(), "qualified")
    walk(crew.lead(), "handed_off", ae=crew.ae)
    crew.lead(owner=None)
    other_crew.lead()
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


@pytest.fixture
def schema(crew, data, monkeypatch, wsgi_app):
    monkeypatch.setattr(PerTokenThrottle, "THROTTLE_RATES", {"api": "1000000/min"})
    token = api_token_create(actor=crew.manager, name="schemathesis").raw
    headers = {"Authorization": f"Bearer {token}"}
    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=headers)
    return loaded, headers


def _settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


@pytest.mark.parametrize(
    ("mode", "mode_checks"),
    [(GenerationMode.POSITIVE, CHECKS), (GenerationMode.NEGATIVE, NEGATIVE_CHECKS)],
    ids=["positive", "negative"],
)
def test_every_operation_answers_within_its_schema(schema, mode, mode_checks):
    loaded, headers = schema
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) == OPERATIONS

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @_settings(EXAMPLES)
        def run(case):
            case.call_and_validate(headers=headers, checks=mode_checks)

        run()


def test_stateful_sequences_answer_within_the_schema(schema):
    loaded, headers = schema

    class Workflow(loaded.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    assert Workflow.bundles, "schemathesis inferred no link between operations"
    Workflow.run(
        settings=settings(
            _settings(EXAMPLES),
            stateful_step_count=6,
        )
    )
