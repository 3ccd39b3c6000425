"""The settings pages' remaining rules: POST-only actions, admins without a team."""

import pytest

from api.models import ApiToken, WebhookSubscription
from api.services import api_token_create


@pytest.mark.parametrize(
    "path",
    [
        "/settings/api-tokens/{token}/revoke/",
        "/settings/webhooks/subscriptions/1/toggle/",
        "/settings/webhooks/deliveries/1/resend/",
        "/settings/webhooks/inbound-secret/",
    ],
)
def test_get_on_a_post_only_action_is_405_and_changes_nothing(crew, client, path):
    new = api_token_create(actor=crew.manager, name="x")
    client.force_login(crew.manager)

    response = client.get(path.format(token=new.token.pk))

    assert response.status_code == 405
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at is None


def test_an_admin_without_a_team_sees_the_page_but_cannot_subscribe(crew, client):
    client.force_login(crew.admin)

    page = client.get("/settings/webhooks/")
    response = client.post(
        "/settings/webhooks/", {"url": "https://example.com/x", "events": ["lead.accepted"]}
    )

    assert page.status_code == 200
    assert "Inbound secrets belong to a team." in page.content.decode()
    assert response.status_code == 400
    assert "Choose a team." in response.content.decode()
    assert WebhookSubscription.objects.count() == 0


def test_an_admin_can_pause_any_teams_subscription(crew, other_crew, client):
    from api.services import subscription_create

    sub = subscription_create(
        actor=other_crew.manager,
        team_id=other_crew.team.pk,
        url="https://example.com/x",
        events=["lead.accepted"],
    )
    client.force_login(crew.admin)

    response = client.post(f"/settings/webhooks/subscriptions/{sub.pk}/toggle/", {"active": "0"})

    assert response.status_code == 302
    assert WebhookSubscription.objects.get(pk=sub.pk).is_active is False


def test_another_teams_manager_cannot_pause_it(crew, other_crew, client):
    from api.services import subscription_create

    sub = subscription_create(
        actor=crew.manager,
        team_id=crew.team.pk,
        url="https://example.com/x",
        events=["lead.accepted"],
    )
    client.force_login(other_crew.manager)

    response = client.post(f"/settings/webhooks/subscriptions/{sub.pk}/toggle/", {"active": "0"})

    assert response.status_code == 404
    assert WebhookSubscription.objects.get(pk=sub.pk).is_active is True
