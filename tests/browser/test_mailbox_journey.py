"""Connecting a mailbox in a real browser, against the tests' real IMAP and SMTP servers
(tests/mail/): an SDR opens Mailbox from the user menu, tries a wrong password (the test's
own words, nothing saved), connects with the right one, sees the health and changes a limit;
the manager sees the team's mailboxes. Screenshots in var/screenshots/mailbox-*.png."""

import pytest
from playwright.sync_api import expect

from mailboxes import crypto
from mailboxes.models import Mailbox, MailboxStatus, OAuthClient
from tests.browser.conftest import name_the_crew

pytestmark = pytest.mark.browser


def test_an_sdr_connects_a_mailbox_and_the_manager_sees_it(
    page, live_server, transactional_db, crew, login, screenshots, axe, fits, mail_servers,
    mail_user,
):  # fmt: skip
    name_the_crew(crew)
    for provider in ("google", "microsoft"):  # the admin registered both apps: their buttons
        OAuthClient.objects.create(
            provider=provider, client_id=f"{provider}-id", client_secret=crypto.encrypt("cs")
        )
    login(page, crew.sdr)
    page.locator(".user-menu").get_by_role("link", name="Mailbox").click()
    expect(page.get_by_role("heading", level=1, name="Mailbox")).to_be_visible()
    expect(page.get_by_role("heading", name="Connect your mailbox")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with Google")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with Microsoft")).to_be_visible()
    page.screenshot(path=str(screenshots / "mailbox-01-empty.png"), full_page=True)
    axe(page, "mailbox page, empty")
    fits(page, "mailbox-empty")

    page.get_by_label("Email address").fill(mail_user.email)
    page.get_by_label("Password or app password").fill("not-the-password")
    for proto, port in (("IMAP", mail_servers.imap_port), ("SMTP", mail_servers.smtp_port)):
        page.get_by_label(f"{proto} server").fill(mail_servers.host)
        page.get_by_label(f"{proto} port").fill(str(port))
        page.get_by_label(f"{proto} security").select_option("none")
    page.get_by_role("button", name="Test and save").click()

    expect(page.locator(".form-error")).to_contain_text(
        "The connection test failed: Authentication failed"
    )
    expect(page.locator(".form-error")).to_contain_text("Nothing was saved.")
    assert not Mailbox.objects.exists()
    assert page.get_by_label("Password or app password").input_value() == ""
    page.screenshot(path=str(screenshots / "mailbox-02-wrong-password.png"), full_page=True)
    axe(page, "mailbox page, test failed")

    page.get_by_label("Password or app password").fill(mail_user.password)
    page.get_by_role("button", name="Test and save").click()
    expect(page.get_by_role("status")).to_contain_text("Mailbox connected")
    health = page.locator(".mailbox-health")
    expect(health).to_contain_text("Connected")
    expect(health).to_contain_text(mail_user.email)
    expect(health).to_contain_text("Day 1 of 21: up to 20 emails today, rising to 200.")
    assert mail_user.password not in page.content()
    mailbox = Mailbox.objects.get(user=crew.sdr)
    assert crypto.decrypt(mailbox.secret) == mail_user.password
    page.screenshot(path=str(screenshots / "mailbox-03-connected.png"), full_page=True)
    axe(page, "mailbox page, connected")
    fits(page, "mailbox-connected")

    page.get_by_label("Emails per day").fill("150")
    page.get_by_role("button", name="Save the limits").click()
    expect(page.get_by_role("status")).to_contain_text("Sending limits saved.")
    assert Mailbox.objects.get(pk=mailbox.pk).daily_cap == 150

    # The manager sees it on the team's page, failing with its reason once it fails.
    Mailbox.objects.filter(pk=mailbox.pk).update(
        status=MailboxStatus.FAILING, last_error="Authentication failed: check the password"
    )
    page.locator(".user-menu").get_by_role("button", name="Log out").click()
    login(page, crew.manager)
    page.locator(".user-menu").get_by_role("link", name="Team mailboxes").click()
    row = page.get_by_role("row", name="Sara Berg")
    expect(row).to_contain_text(mail_user.email)
    expect(row).to_contain_text("Not working: sends are held")
    expect(row).to_contain_text("Authentication failed: check the password")
    expect(page.get_by_role("row", name="Sindre Dahl")).to_contain_text("No mailbox connected")
    page.screenshot(path=str(screenshots / "mailbox-04-team.png"), full_page=True)
    axe(page, "team mailboxes")
    fits(page, "mailbox-team")
