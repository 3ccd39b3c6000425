"""API tokens and the API docs in a real browser: an SDR creates a token from the user menu,
copies it (shown once), uses it, and revokes it; the docs page renders Swagger UI from this
server only, with no inline script."""

from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import expect

from api.models import ApiToken

pytestmark = pytest.mark.browser


def test_sdr_creates_uses_and_revokes_a_token(
    page, live_server, transactional_db, crew, login, screenshots
):
    login(page, crew.sdr)

    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1, name="API tokens")).to_be_visible()
    expect(page.get_by_text("No token yet.")).to_be_visible()
    page.get_by_label("Token name").fill("Spreadsheet sync")
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("heading", name="Token “Spreadsheet sync” created")).to_be_visible()
    raw = page.get_by_label("Your new token").input_value()
    page.screenshot(path=str(screenshots / "api-01-token-created.png"), full_page=True)
    token = ApiToken.objects.get(user=crew.sdr)
    assert raw.startswith(f"sdr_{token.prefix}_")

    api = f"{live_server.url}/api/tasks/"
    auth = {"Authorization": f"Bearer {raw}"}
    assert requests.get(api, headers=auth, timeout=10).status_code == 200

    # Reloading the list never shows the token again.
    page.goto(f"{live_server.url}/settings/api-tokens/")
    assert raw not in page.content()
    row = page.get_by_role("row", name="Spreadsheet sync")
    expect(row).to_contain_text(f"sdr_{token.prefix}…")
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("Token 'Spreadsheet sync' is revoked")
    expect(page.get_by_role("row", name="Spreadsheet sync")).to_contain_text("Revoked")
    page.screenshot(path=str(screenshots / "api-02-token-revoked.png"), full_page=True)

    assert requests.get(api, headers=auth, timeout=10).status_code == 401
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_the_docs_page_renders_from_this_server_without_inline_script(
    page, live_server, transactional_db, crew, login, screenshots
):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, crew.manager)

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("sdrcrm API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page.screenshot(path=str(screenshots / "api-03-docs.png"), full_page=False)
    assert hosts == {urlsplit(live_server.url).netloc}
    inline = page.evaluate(
        "[...document.scripts].filter(s => !s.src && s.textContent.trim()).length"
    )
    assert inline == 0
    assert errors == []


def test_manager_adds_a_subscription_and_resends_a_delivery(
    page, live_server, transactional_db, crew, login, screenshots, settings
):
    settings.SDRCRM_WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    from api.services import delivery_send, webhook_outbox_run
    from api.tasks import webhook_delivery_send_task
    from tests.api.receiver import running_receiver
    from tests.fixtures import walk

    with running_receiver() as receiver:
        receiver.statuses = [500]
        login(page, crew.manager)
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_label("Lead qualified").check()
        page.get_by_role("button", name="Add subscription").click()
        expect(page.get_by_role("status")).to_contain_text("Subscription added.")

        lead = walk(crew.lead(), "qualified")
        (delivery_id,) = webhook_outbox_run()
        assert delivery_send(delivery_id) == "retry"
        page.reload()
        row = page.locator("tr.delivery-pending")
        expect(row).to_contain_text("lead.qualified")
        expect(row).to_contain_text("HTTP 500")
        expect(row.get_by_role("link", name=f"#{lead.pk}")).to_be_visible()
        page.screenshot(path=str(screenshots / "api-04-webhooks.png"), full_page=True)

        sent = []
        original = webhook_delivery_send_task.delay
        webhook_delivery_send_task.delay = lambda pk: sent.append(pk)
        try:
            row.get_by_role("button", name="Re-send").click()
            expect(page.get_by_role("status")).to_contain_text("The delivery is being sent again.")
        finally:
            webhook_delivery_send_task.delay = original
        assert sent == [delivery_id]
        assert delivery_send(delivery_id) == "delivered"
        page.reload()
        expect(page.locator("tr.delivery-delivered")).to_contain_text("HTTP 200")
        page.screenshot(path=str(screenshots / "api-05-webhooks-delivered.png"), full_page=True)
