"""/healthz against the real PostgreSQL and Redis: 200 when both answer, 503 naming the part
that does not. No login needed, never cached."""

import json

import pytest
from django.db import OperationalError, connection

CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_broker(settings):
    """The Redis of the test run (REDIS_URL) as the broker, as in production."""
    assert settings.REDIS_URL.startswith("redis://"), "the suite runs with REDIS_URL set"
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    return settings.REDIS_URL


def _get(client):
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def test_healthy_with_postgresql_and_redis(db, client, redis_broker):
    assert connection.vendor == "postgresql"

    status, body = _get(client)

    assert (status, body) == (200, {"status": "ok", "checks": {"database": "ok", "broker": "ok"}})


def test_needs_no_login_and_is_never_cached(db, client, redis_broker):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "_auth_user_id" not in client.session


def test_logged_in_users_get_it_too(crew, client, redis_broker):
    client.force_login(crew.marketing)
    assert _get(client)[0] == 200


def test_broker_down_is_503_naming_the_broker(db, client, settings):
    settings.CELERY_BROKER_URL = CLOSED_PORT
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

    status, body = _get(client)

    assert status == 503
    assert (body["status"], body["failing"]) == ("fail", ["broker"])
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("OperationalError: ")
    assert "Connection refused" in body["checks"]["broker"]


def test_database_down_is_503_naming_the_database(db, client, redis_broker):
    """The connection refuses every query, as when PostgreSQL is gone."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        status, body = _get(client)

    assert (status, body) == (
        503,
        {
            "status": "fail",
            "checks": {
                "database": "OperationalError: server closed the connection unexpectedly",
                "broker": "ok",
            },
            "failing": ["database"],
        },
    )


def test_both_down_names_both(db, client, settings):
    settings.CELERY_BROKER_URL = CLOSED_PORT
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

    def refuse(execute, sql, params, many, context):
        raise OperationalError("could not connect to server")

    with connection.execute_wrapper(refuse):
        status, body = _get(client)

    assert (status, body["status"], body["failing"]) == (503, "fail", ["database", "broker"])


def test_post_is_405(db, client):
    assert client.post("/healthz").status_code == 405
