"""Issue 20 in a real browser: a manager finds leads by full name and without the Nordic
letters; the product's own 404 page, logged in and out, with its way back; marketing follows
"See the leads" after an import to the list of what it created. Screenshots in var/screenshots/."""

import pytest
from playwright.sync_api import expect

from intake.models import AssignmentRule
from tests.browser.conftest import name_the_crew
from tests.factories import CompanyFactory, ProspectFactory
from tests.intake.conftest import run_import
from tests.intake.files import csv_bytes

pytestmark = pytest.mark.browser


def _person(crew, first, last, email, company, owner="sdr"):
    prospect = ProspectFactory(
        first_name=first, last_name=last, email=email,
        company=CompanyFactory(team=crew.team, name=company),
    )  # fmt: skip
    return crew.lead(owner=owner, prospect=prospect)


def test_a_manager_finds_leads_by_full_name_with_or_without_the_nordic_letters(
    page, live_server, transactional_db, crew, login, screenshots, axe, fits
):
    name_the_crew(crew)
    kari = _person(crew, "Kari", "Hansen", "kari.hansen@fjordkraft.example", "Fjordkraft AS")
    _person(crew, "Kari", "Nordmann", "kari@brygge.example", "Bergen Bryggeri")
    _person(crew, "Ola", "Hansen", "ola@solheim.example", "Solheim")
    oystein = _person(crew, "Øystein", "Ødegård", "oystein@blabaer.example", "Blåbær AS", None)
    login(page, crew.manager)

    page.goto(f"{live_server.url}/leads/")
    page.get_by_role("searchbox", name="Search").fill("Kari Hansen")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("#lead-rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Kari Hansen")
    expect(page.locator("#lead-rows .count")).to_have_text("1 lead")
    page.screenshot(path=str(screenshots / "search-01-full-name.png"), full_page=True)
    axe(page, "lead search")

    page.get_by_role("searchbox", name="Search").fill("odegard, oystein")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Øystein Ødegård")
    expect(rows.first).to_contain_text("Blåbær AS")
    page.screenshot(path=str(screenshots / "search-02-without-nordic-letters.png"), full_page=True)
    fits(page, "search-02")
    rows.first.get_by_role("link", name="Øystein Ødegård").click()
    expect(page).to_have_url(f"{live_server.url}/leads/{oystein.pk}/")
    assert kari.pk != oystein.pk


def test_the_404_page_is_the_products_with_a_way_back(
    page, live_server, transactional_db, crew, login, screenshots, axe, fits
):
    response = page.goto(f"{live_server.url}/leads/no-such-thing/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_text("URLconf")).to_have_count(0)
    page.screenshot(path=str(screenshots / "error-404-logged-out.png"), full_page=True)
    axe(page, "404 logged out")

    name_the_crew(crew)
    login(page, crew.manager)
    page.goto(f"{live_server.url}/leads/")
    page.goto(f"{live_server.url}/leads/no-such-thing/", referer=f"{live_server.url}/leads/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.screenshot(path=str(screenshots / "error-404.png"), full_page=True)
    axe(page, "404")
    fits(page, "error-404")
    page.get_by_role("link", name="Go to your start page").click()
    expect(page).to_have_url(f"{live_server.url}/dashboards/")  # a manager's: the pipeline


def test_marketing_sees_the_leads_an_import_created(
    page, live_server, transactional_db, crew, login, screenshots, axe, fits
):
    name_the_crew(crew)
    data = csv_bytes(["First Name", "Last Name", "Email", "Company", "Job Title"], [
        ["Kari", "Nordmann", "kari@fjord.example", "Fjordkraft AS", "Innkjøpssjef"],
        ["Åse", "Æsøy", "ase@blabaer.example", "Blåbær AS", "Daglig leder"],
        ["Siri", "Lie", "siri@lie.example", "Lie Consulting", "CTO"],
    ])  # fmt: skip
    job = run_import(crew.marketing, data, assignment=AssignmentRule.ROUND_ROBIN,
                     assignees=[crew.sdr.pk, crew.sdr2.pk])  # fmt: skip
    login(page, crew.marketing)

    page.goto(f"{live_server.url}/imports/{job.pk}/")
    page.get_by_role("link", name="See the 3 leads it created").click()
    expect(page).to_have_url(f"{live_server.url}/imports/{job.pk}/leads/")
    rows = page.locator("table.import-leads tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("Åse Æsøy")
    expect(rows.nth(1)).to_contain_text("Sindre Dahl")
    expect(page.locator("table.import-leads a")).to_have_count(0)
    page.screenshot(path=str(screenshots / "import-05-leads.png"), full_page=True)
    axe(page, "import leads")
    fits(page, "import-05-leads")
