"""An SDR's day in a real browser: log in, work a lead, and a manager assigning leads.

Each test logs in through the login form, drives Debian's Chromium against live_server and
then checks the database. Screenshots land in var/screenshots/ for a human to look at."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import CallOutcome, DisqualifyReason, EventKind, Lead, LeadState
from tests.factories import CompanyFactory, LeadFactory, ProspectFactory
from tests.fixtures import walk

pytestmark = pytest.mark.browser


def _detail_url(live_server, lead) -> str:
    return f"{live_server.url}/leads/{lead.pk}/"


def _page_widths(page) -> tuple[int, int]:
    return tuple(page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))


def test_sdr_logs_in_and_starts_research(
    page, live_server, transactional_db, crew, login, screenshots
):
    lead = crew.lead(owner="sdr")
    name = lead.prospect.full_name

    login(page, crew.sdr, screenshot=screenshots / "journey-01-login.png")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    expect(page.get_by_role("heading", level=1, name="Leads")).to_be_visible()
    expect(page.get_by_role("link", name=name)).to_be_visible()
    page.screenshot(path=str(screenshots / "journey-02-lead-list.png"), full_page=True)

    page.get_by_role("link", name=name).click()
    page.wait_for_url(_detail_url(live_server, lead))
    expect(page.locator("#lead-state")).to_have_text("New")
    expect(page.locator("#timeline")).to_contain_text("Nothing has happened on this lead yet.")
    page.screenshot(path=str(screenshots / "journey-03-lead-detail-before.png"), full_page=True)

    page.get_by_role("button", name="Start research", exact=True).click()

    expect(page.locator("#lead-state")).to_have_text("Researching")
    expect(page.get_by_role("status")).to_contain_text("Lead is now Researching.")
    events = page.locator("#timeline .event")
    expect(events).to_have_count(1)
    expect(events.first.locator(".kind")).to_have_text("State changed")
    expect(events.first.locator(".badge")).to_have_text(["New", "Researching"])
    expect(events.first).to_contain_text(str(crew.sdr))
    assert page.url == _detail_url(live_server, lead)
    page.screenshot(path=str(screenshots / "journey-04-lead-detail-after.png"), full_page=True)

    lead.refresh_from_db()
    assert lead.state == LeadState.RESEARCHING
    assert list(lead.events.values_list("kind", "from_state", "to_state", "actor_id")) == [
        (EventKind.TRANSITION, LeadState.NEW, LeadState.RESEARCHING, crew.sdr.pk)
    ]


def test_sdr_ticks_checklist_and_adds_note_without_reload_then_logs_a_call(
    page, live_server, transactional_db, crew, login, screenshots
):
    lead = walk(crew.lead(owner="sdr"), "researching")
    login(page, crew.sdr)
    page.goto(_detail_url(live_server, lead))
    # A marker that a full page load would wipe out: htmx swaps must keep it.
    page.evaluate("window.__sameDocument = true")
    timeline = page.locator("#timeline .event")
    expect(timeline).to_have_count(1)

    toggle = page.locator('#checklist button[data-item="role_known"]')
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#checklist h2")).to_contain_text("1/5")
    expect(timeline).to_have_count(2)
    expect(timeline.first.locator(".kind")).to_have_text("Research checklist")
    expect(timeline.first).to_contain_text("Role known: done")
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_label(re.compile(r"^Note:?$")).fill("Switchboard says she is back on Monday.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#activity").get_by_role("status")).to_have_text("Note added.")
    expect(timeline).to_have_count(3)
    expect(timeline.first.locator(".kind")).to_have_text("Note")
    expect(timeline.first).to_contain_text("Switchboard says she is back on Monday.")
    expect(page.get_by_label(re.compile(r"^Note:?$"))).to_have_value("")

    assert page.evaluate("window.__sameDocument") is True

    # A call goes the way of a call on Today (cadences' one call path): the page comes back
    # with the follow-up reminder a voicemail proposes.
    page.get_by_label(re.compile(r"^Outcome:?$")).select_option(label="Left voicemail")
    page.get_by_label(re.compile(r"^Call notes:?$")).fill("Asked for a call back on Monday.")
    page.get_by_role("button", name="Log call").click()
    expect(page.get_by_role("status")).to_contain_text("Call logged: Left voicemail.")
    expect(timeline).to_have_count(4)
    expect(timeline.first.locator(".kind")).to_have_text("Call")
    expect(timeline.first).to_contain_text("Left voicemail")
    expect(timeline.first).to_contain_text("Asked for a call back on Monday.")
    proposal = page.get_by_role("region", name="Proposed reminder")
    expect(proposal).to_contain_text(f"A reminder to call {lead.prospect.full_name} again on")

    assert page.url == _detail_url(live_server, lead)
    page.screenshot(path=str(screenshots / "activity-lead-detail.png"), full_page=True)

    lead.refresh_from_db()
    assert lead.state == LeadState.RESEARCHING
    assert lead.role_known is True
    assert lead.checklist_done == 1
    assert list(lead.events.order_by("id").values_list("kind", "actor_id", "body", "payload")) == [
        (EventKind.TRANSITION, crew.sdr.pk, "", {"transition": "start_research"}),
        (
            EventKind.CHECKLIST,
            crew.sdr.pk,
            "Role known: done",
            {"item": "role_known", "done": True},
        ),
        (EventKind.NOTE, crew.sdr.pk, "Switchboard says she is back on Monday.", {}),
        (
            EventKind.CALL,
            crew.sdr.pk,
            "Asked for a call back on Monday.",
            {"outcome": CallOutcome.VOICEMAIL, "outcome_label": "Left voicemail"},
        ),
    ]


def test_sdr_disqualifies_with_a_reason(
    page, live_server, transactional_db, crew, login, screenshots
):
    lead = walk(crew.lead(owner="sdr"), "researching")
    login(page, crew.sdr)
    page.goto(_detail_url(live_server, lead))

    dq = page.locator("details.transition", has=page.locator("summary", has_text="Disqualify"))
    form = dq.locator("form")
    expect(form).to_be_hidden()
    dq.locator("summary").click()
    expect(form).to_be_visible()
    form.get_by_label("Reason").select_option(label="Too small")
    form.get_by_label(re.compile(r"^Note")).fill("Two people, no sales team.")
    page.screenshot(path=str(screenshots / "disqualify-form-open.png"), full_page=True)
    form.get_by_role("button", name="Disqualify", exact=True).click()

    expect(page.locator("#lead-state")).to_have_text("Disqualified")
    notice = page.get_by_role("note")
    expect(notice).to_have_text("Disqualified: Too small — Two people, no sales team.")
    expect(page.locator("#timeline .event").first).to_contain_text("Two people, no sales team.")
    page.screenshot(path=str(screenshots / "disqualify-lead-detail-after.png"), full_page=True)

    lead.refresh_from_db()
    assert lead.state == LeadState.DISQUALIFIED
    assert lead.disqualify_reason == DisqualifyReason.TOO_SMALL
    assert lead.disqualify_note == "Two people, no sales team."
    assert list(
        lead.events.filter(kind=EventKind.TRANSITION)
        .order_by("id")
        .values_list("from_state", "to_state", "actor_id")
    ) == [
        (LeadState.NEW, LeadState.RESEARCHING, crew.sdr.pk),
        (LeadState.RESEARCHING, LeadState.DISQUALIFIED, crew.sdr.pk),
    ]


def test_phone_width_has_no_horizontal_page_scroll(
    page, live_server, transactional_db, crew, login, screenshots
):
    company = CompanyFactory(
        name="Nordic Industrial Automation Solutions Holding AS",
        domain="nordic-industrial-automation-solutions.example",
        website="https://nordic-industrial-automation-solutions.example",
        industry="Industrial machinery and equipment",
    )
    prospect = ProspectFactory(
        company=company,
        first_name="Anne-Marie",
        last_name="Christiansen-Lindqvist",
        email="anne-marie.christiansen-lindqvist@nordic-industrial-automation-solutions.example",
        title="Vice President of Procurement and Supply Chain Operations",
        phone="+47 22 33 44 55",
        linkedin_url="https://www.linkedin.com/in/anne-marie-christiansen-lindqvist-1234567890",
        time_zone="Europe/Oslo",
    )
    lead = walk(LeadFactory(team=crew.team, owner=crew.sdr, prospect=prospect), "researching")
    for _ in range(3):
        crew.lead(owner="sdr")
    page.set_viewport_size({"width": 375, "height": 800})

    login(page, crew.sdr, screenshot=screenshots / "phone-01-login.png")
    page.goto(f"{live_server.url}/leads/")  # an SDR lands on Today
    scroll_width, inner_width = _page_widths(page)
    page.screenshot(path=str(screenshots / "phone-02-lead-list.png"), full_page=True)
    assert inner_width == 375
    assert scroll_width <= inner_width

    page.get_by_role("link", name="Anne-Marie Christiansen-Lindqvist").click()
    page.wait_for_url(_detail_url(live_server, lead))
    expect(page.locator("#lead-state")).to_have_text("Researching")
    scroll_width, inner_width = _page_widths(page)
    page.screenshot(path=str(screenshots / "phone-03-lead-detail.png"), full_page=True)
    assert scroll_width <= inner_width

    page.locator("details.transition summary", has_text="Disqualify").click()
    scroll_width, inner_width = _page_widths(page)
    page.screenshot(
        path=str(screenshots / "phone-04-lead-detail-disqualify-open.png"), full_page=True
    )
    assert scroll_width <= inner_width


def test_phone_width_manager_lead_list_has_no_horizontal_page_scroll(
    page, live_server, transactional_db, crew, login, screenshots
):
    crew.lead(owner="sdr")
    crew.lead(owner=None)
    page.set_viewport_size({"width": 375, "height": 800})
    login(page, crew.manager)  # lands on the pipeline (issue 20): the lead list is a click away
    page.goto(f"{live_server.url}/leads/")
    expect(page.get_by_role("button", name="Assign selected")).to_be_visible()
    scroll_width, inner_width = _page_widths(page)
    page.screenshot(path=str(screenshots / "phone-05-manager-lead-list.png"), full_page=True)
    assert scroll_width <= inner_width


def test_manager_bulk_assigns_two_leads_to_an_sdr(
    page, live_server, transactional_db, crew, login, screenshots
):
    pool_a = crew.lead(owner=None)
    pool_b = crew.lead(owner="sdr2")
    untouched = crew.lead(owner=None)

    login(page, crew.manager)
    page.goto(f"{live_server.url}/leads/")
    for lead in (pool_a, pool_b, untouched):
        expect(page.get_by_role("link", name=lead.prospect.full_name)).to_be_visible()
    page.get_by_role("checkbox", name=f"Select {pool_a.prospect.full_name}").check()
    page.get_by_role("checkbox", name=f"Select {pool_b.prospect.full_name}").check()
    assign_to = page.get_by_label("Assign selected leads to")
    expect(assign_to).to_have_value("")
    expect(assign_to.locator("option").first).to_have_text("Assign to…")
    assign_to.select_option(label=str(crew.sdr))
    page.screenshot(path=str(screenshots / "bulk-assign-before.png"), full_page=True)
    page.get_by_role("button", name="Assign selected").click()

    expect(page.get_by_role("status")).to_have_text("2 leads assigned.")
    page.screenshot(path=str(screenshots / "bulk-assign-after.png"), full_page=True)

    owners = dict(Lead.objects.values_list("pk", "owner_id"))
    assert owners == {pool_a.pk: crew.sdr.pk, pool_b.pk: crew.sdr.pk, untouched.pk: None}
    assert list(pool_b.events.values_list("kind", "actor_id", "payload")) == [
        (
            EventKind.ASSIGNMENT,
            crew.manager.pk,
            {"from_owner_id": crew.sdr2.pk, "to_owner_id": crew.sdr.pk},
        )
    ]
    assert not untouched.events.exists()
