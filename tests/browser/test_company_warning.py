"""Two SDRs at one company in a real browser: the lead page lists the company's other leads,
and enrolling the lead asks first (htmx replaces the form with the question; confirming
enrolls). Screenshots land in var/screenshots/ (``company-*``)."""

import pytest
from playwright.sync_api import expect

from cadences import services
from cadences.models import Enrollment
from cadences.standard import STANDARD_NAME
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk

pytestmark = pytest.mark.browser


def test_the_lead_page_lists_the_other_leads_and_enrolling_asks_first(
    page, live_server, transactional_db, crew, login, screenshots
):
    services.cadence_ensure_standard(team_id=crew.team.pk)
    crew.sdr2.first_name, crew.sdr2.last_name = "Kari", "Nordmann"
    crew.sdr2.save(update_fields=["first_name", "last_name"])
    acme = CompanyFactory(team=crew.team, name="Acme AS", domain="acme.example")
    for first in ("Per", "Siv"):
        walk(
            crew.lead(
                owner="sdr2",
                prospect=ProspectFactory(
                    team=crew.team, company=acme, first_name=first, last_name="Berg"
                ),
            ),
            "researching",
        )
    lead = crew.lead(
        owner="sdr",
        prospect=ProspectFactory(team=crew.team, company=acme, first_name="Ida", last_name="Olsen"),
    )
    login(page, crew.sdr)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")

    others = page.locator("#company-leads")
    expect(others.get_by_role("heading")).to_have_text("Other leads at Acme AS")
    expect(others.locator("li")).to_have_count(2)
    expect(others.locator("li").first).to_contain_text("Siv Berg")
    expect(others.locator("li").first).to_contain_text("Kari Nordmann")
    expect(others.locator("li").first).to_contain_text("Researching")

    panel = page.locator("#cadence-panel")
    panel.get_by_label("Enroll in a cadence").select_option(label=STANDARD_NAME)
    panel.get_by_role("button", name="Enroll", exact=True).click()

    question = page.locator("#enroll-confirm")
    expect(question).to_contain_text(
        "Ida Olsen: Kari Nordmann is working 2 leads at Acme AS. Enroll anyway?"
    )
    page.screenshot(path=str(screenshots / "company-01-enroll-asks.png"), full_page=True)
    assert not Enrollment.objects.filter(lead=lead).exists()

    question.get_by_role("button", name="Enroll anyway").click()

    page.wait_for_url(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.get_by_role("status")).to_have_text("1 lead enrolled.")
    expect(page.locator("#lead-state")).to_have_text("Contacting")
    page.screenshot(path=str(screenshots / "company-02-enrolled.png"), full_page=True)
    assert Enrollment.objects.get(lead=lead).status == "active"
