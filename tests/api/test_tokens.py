"""API tokens: created on the settings page (shown once, stored hashed), used, revoked."""

import hashlib
import re

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import MAX_TOKENS_PER_USER, api_token_create


def _bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(crew, client):
    client.force_login(crew.sdr)

    response = client.post("/settings/api-tokens/", {"name": "  Zapier   sync "})

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    content = response.content.decode()
    raw = re.search(
        r'id="new-token-value" class="token-value" type="text" readonly value="([^"]+)"', content
    )[1]
    token = ApiToken.objects.get(user=crew.sdr)
    assert token.name == "Zapier sync"
    assert raw.startswith(f"sdr_{token.prefix}_")
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    # The list shows the prefix, never the token again.
    again = client.get("/settings/api-tokens/").content.decode()
    assert raw not in again
    assert f"<code>sdr_{token.prefix}…</code>" in again


def test_a_token_authenticates_as_its_user(crew):
    new = api_token_create(actor=crew.sdr, name="cli")
    lead = crew.lead()

    response = _bearer(new.raw).get(f"/api/leads/{lead.pk}/")

    assert response.status_code == 200
    assert response.json()["owner_id"] == crew.sdr.pk
    token = ApiToken.objects.get(pk=new.token.pk)
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [
        "Bearer sdr_deadbeef_not-a-real-token",
        "Bearer nonsense",
        "Bearer",
        "Bearer a b",
        "Bearer sdr_" + "x" * 200,
    ],
)
def test_a_wrong_token_is_401(crew, header):
    api_token_create(actor=crew.sdr, name="real")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/leads/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "detail" in response.json()


def test_a_token_with_the_right_prefix_but_wrong_secret_is_401(crew):
    new = api_token_create(actor=crew.sdr, name="real")
    forged = new.raw[:-4] + ("AAAA" if not new.raw.endswith("AAAA") else "BBBB")

    assert _bearer(forged).get("/api/leads/").status_code == 401


def test_no_credentials_is_401_not_a_login_redirect(db):
    response = APIClient().get("/api/leads/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_revoked_token_stops_working(crew, client):
    new = api_token_create(actor=crew.sdr, name="old")
    assert _bearer(new.raw).get("/api/tasks/").status_code == 200
    client.force_login(crew.sdr)

    response = client.post(f"/settings/api-tokens/{new.token.pk}/revoke/")

    assert (response.status_code, response["Location"]) == (302, "/settings/api-tokens/")
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at is not None
    assert _bearer(new.raw).get("/api/tasks/").status_code == 401
    assert "Revoked" in client.get("/settings/api-tokens/").content.decode()


def test_someone_elses_token_cannot_be_revoked(crew, client):
    theirs = api_token_create(actor=crew.sdr2, name="theirs")
    client.force_login(crew.sdr)

    response = client.post(f"/settings/api-tokens/{theirs.token.pk}/revoke/")

    assert response.status_code == 404
    assert ApiToken.objects.get(pk=theirs.token.pk).revoked_at is None
    assert _bearer(theirs.raw).get("/api/tasks/").status_code == 200


def test_an_inactive_users_token_is_401(crew):
    new = api_token_create(actor=crew.sdr, name="x")
    type(crew.sdr).objects.filter(pk=crew.sdr.pk).update(is_active=False)

    assert _bearer(new.raw).get("/api/tasks/").status_code == 401


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_token_needs_a_short_name(crew, client, name):
    client.force_login(crew.sdr)

    response = client.post("/settings/api-tokens/", {"name": name})

    assert response.status_code == 400
    assert ApiToken.objects.count() == 0
    assert 'class="field-error"' in response.content.decode()


def test_tokens_per_user_are_capped(crew, client):
    for i in range(MAX_TOKENS_PER_USER):
        api_token_create(actor=crew.sdr, name=f"t{i}")
    client.force_login(crew.sdr)

    response = client.post("/settings/api-tokens/", {"name": "one more"})

    assert response.status_code == 400
    assert f"You have {MAX_TOKENS_PER_USER} active tokens: revoke one first." in (
        response.content.decode()
    )
    assert ApiToken.objects.filter(user=crew.sdr).count() == MAX_TOKENS_PER_USER


def test_user_menu_links_to_the_token_page(crew, client):
    client.force_login(crew.ae)
    assert (
        '<a href="/settings/api-tokens/">API tokens</a>' in client.get("/leads/").content.decode()
    )


def test_throttling_is_per_token(crew, monkeypatch):
    from api.throttling import PerTokenThrottle

    monkeypatch.setattr(PerTokenThrottle, "THROTTLE_RATES", {"api": "3/min"})
    first = _bearer(api_token_create(actor=crew.sdr, name="a").raw)
    second = _bearer(api_token_create(actor=crew.sdr, name="b").raw)

    codes = [first.get("/api/tasks/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    throttled = first.get("/api/tasks/")
    assert throttled.json()["detail"].startswith("Request was throttled.")
    assert int(throttled["Retry-After"]) > 0
    assert second.get("/api/tasks/").status_code == 200
