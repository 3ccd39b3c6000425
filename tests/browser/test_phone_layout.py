"""At phone width (375 px) the main menu folds behind a "Menu" button, the lead list's
filters come before the leads, and the lead page shows the call to make with its number as a
tel: link; each page fits, passes axe, and leaves a screenshot in var/screenshots/."""

import pytest
from playwright.sync_api import expect

from cadences.models import Channel
from tests.browser.conftest import DESKTOP, PHONE
from tests.cadences.helpers import enroll, make_cadence, task

pytestmark = pytest.mark.browser


def test_at_phone_width_the_menu_folds_and_the_filters_come_first(
    page, live_server, transactional_db, crew, login, screenshots, axe, fits
):
    lead = crew.lead(owner="sdr", prospect__phone="+47 22 33 44 55")
    cadence = make_cadence(
        crew.manager, [task(Channel.CALL, instructions="Ask who signs off on tools.")], name="Call"
    )
    enroll(crew.sdr, lead, cadence)
    page.set_viewport_size(PHONE)
    login(page, crew.sdr)

    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    page.screenshot(path=str(screenshots / "phone-menu-folded.png"), full_page=True)
    axe(page, "the folded menu")

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.screenshot(path=str(screenshots / "phone-menu-open.png"), full_page=True)
    axe(page, "the open menu")
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()

    menu.click()
    nav.get_by_role("link", name="Leads").click()
    page.wait_for_url(f"{live_server.url}/leads/")
    expect(nav).to_be_hidden()  # a new page starts folded
    filters = page.get_by_role("search", name="Filter leads")
    rows = page.locator("#lead-rows table")
    expect(rows).to_be_visible()
    assert filters.bounding_box()["y"] < rows.bounding_box()["y"]
    axe(page, "the lead list at phone width")
    fits(page, "lead-list-filters-first")  # ends at desktop width

    expect(menu).to_be_hidden()
    expect(nav).to_be_visible()
    assert filters.bounding_box()["x"] < rows.bounding_box()["x"]  # side by side again

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    step = page.locator("#cadence-panel .step-task")
    expect(step.get_by_role("link", name="+47 22 33 44 55")).to_have_attribute(
        "href", "tel:+4722334455"
    )
    expect(step.locator(".instructions")).to_have_text("Ask who signs off on tools.")
    axe(page, "the lead page at phone width")
    fits(page, "lead-page-call")
    page.set_viewport_size(DESKTOP)
