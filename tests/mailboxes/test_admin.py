"""Registering an OAuth app in the admin: the client secret is stored encrypted, never shown,
and the audit log records only that it changed."""

# ruff: noqa: E501  (the tables of cases and the messages read best one a line)

import pytest

from audit.models import AuditEntry
from mailboxes import crypto
from mailboxes.models import OAuthClient

pytestmark = pytest.mark.django_db

ADD = "/admin/mailboxes/oauthclient/add/"
SECRET = "GOCSPX-the-real-client-secret"  # noqa: S105 (a test's)


@pytest.fixture
def admin_client(crew, client):
    client.force_login(crew.admin)
    return client


def test_an_admin_registers_googles_app_with_the_secret_encrypted(admin_client):
    page = admin_client.get(ADD).content.decode()
    assert "http://127.0.0.1:8000/mailboxes/oauth/callback/" in page  # the redirect URI to register
    assert "https://mail.google.com/" in page

    response = admin_client.post(
        ADD, {"provider": "google", "client_id": "123.apps.googleusercontent.com",
              "new_client_secret": SECRET, "tenant": ""},
    )  # fmt: skip

    assert response.status_code == 302
    client = OAuthClient.objects.get()
    assert (client.provider, client.client_id, client.tenant) == (
        "google", "123.apps.googleusercontent.com", "organizations",
    )  # fmt: skip
    assert crypto.decrypt(client.client_secret) == SECRET and SECRET not in client.client_secret
    entry = AuditEntry.objects.get(action="admin_add", target_type="mailboxes.oauthclient")
    assert entry.changes["new_client_secret"] == "changed"
    assert SECRET not in str(entry.changes)
    change = admin_client.get(f"/admin/mailboxes/oauthclient/{client.pk}/change/")
    assert SECRET not in change.content.decode()
    assert client.client_secret not in change.content.decode()
    listing = admin_client.get("/admin/mailboxes/oauthclient/").content.decode()
    assert SECRET not in listing and client.client_secret not in listing


def test_editing_without_a_new_secret_keeps_the_stored_one(admin_client):
    client = OAuthClient.objects.create(
        provider="microsoft", client_id="old-id", client_secret=crypto.encrypt(SECRET)
    )
    response = admin_client.post(
        f"/admin/mailboxes/oauthclient/{client.pk}/change/",
        {"provider": "microsoft", "client_id": "new-id", "new_client_secret": "",
         "tenant": "contoso.onmicrosoft.com"},
    )  # fmt: skip
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.client_id, client.tenant, crypto.decrypt(client.client_secret)) == (
        "new-id", "contoso.onmicrosoft.com", SECRET,
    )  # fmt: skip


@pytest.mark.parametrize(
    "change, field, says",
    [
        ({"new_client_secret": ""}, "new_client_secret", "Enter the client secret."),
        ({"tenant": "../../evil"}, "tenant", "A tenant is 'organizations', 'common', a directory id or a domain."),
        ({"client_id": "with space"}, "client_id", "A client id has no spaces or control characters."),
        ({"new_client_secret": "line\nbreak"}, "new_client_secret", "A client secret is one line."),
    ],
)  # fmt: skip
def test_bad_registrations_are_refused(admin_client, change, field, says):
    data = {"provider": "microsoft", "client_id": "app-id", "new_client_secret": SECRET,
            "tenant": "organizations", **change}  # fmt: skip
    response = admin_client.post(ADD, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [says]
    assert not OAuthClient.objects.exists()


def test_only_admins_reach_the_registration(crew, client):
    client.force_login(crew.manager)
    assert client.get(ADD).status_code == 302  # to the admin's login
