"""The dashboards in a real browser: a manager opens each dashboard (server-rendered SVG
charts with their numbers), follows a figure to the leads behind it, compares two cadences and
leaves coaching feedback on an SDR's call; the SDR reads it on the lead page and acknowledges
it from their list. Screenshots land in var/screenshots/ (``dashboards-*``)."""

import csv
import io

import pytest
from playwright.sync_api import expect

from cadences.services import lead_record_reply
from coaching.models import Feedback
from dashboards.rollup import facts_refresh
from leads.models import LeadEvent
from tests.browser.conftest import name_the_crew
from tests.cadences.helpers import at, enroll, make_cadence
from tests.dashboards.helpers import build_week
from tests.dashboards.test_cadence_performance import manual_email, send

pytestmark = pytest.mark.browser

RANGE = "start=2027-01-11&end=2027-01-17"


@pytest.fixture
def data(crew, time_machine):
    leads = build_week(crew, time_machine)
    time_machine.move_to(at(2027, 1, 14, 10, 0), tick=False)
    x = make_cadence(crew.manager, [manual_email(), manual_email()], name="Short and direct")
    y = make_cadence(crew.manager, [manual_email(), manual_email()], name="Long nurture")
    for i in range(6):
        cadence = x if i % 2 else y
        lead = crew.lead(owner="sdr")
        enrollment = enroll(crew.sdr, lead, cadence)
        send(crew, enrollment, 1)
        if i % 3 == 0:
            send(crew, enrollment, 2)
        if i in (1, 3, 4):
            lead_record_reply(lead_id=lead.pk, actor=crew.sdr)
    facts_refresh()
    return leads, x, y


def test_manager_reads_every_dashboard_and_coaches_the_sdr(
    page, live_server, transactional_db, crew, data, login, screenshots, axe, fits
):
    leads, x, y = data
    name_the_crew(crew)
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, crew.manager)

    page.goto(f"{live_server.url}/dashboards/?{RANGE}")
    expect(page.get_by_role("heading", name="Pipeline")).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(1)
    expect(page.locator("table").first).to_contain_text("Researching")
    page.screenshot(path=str(screenshots / "dashboards-01-pipeline.png"), full_page=True)
    axe(page, "dashboards-01-pipeline")
    fits(page, "dashboards-01-pipeline")

    page.goto(f"{live_server.url}/dashboards/activity/?{RANGE}")
    expect(page.get_by_role("heading", name="SDR activity")).to_be_visible()
    page.screenshot(path=str(screenshots / "dashboards-02-activity.png"), full_page=True)
    axe(page, "dashboards-02-activity")
    fits(page, "dashboards-02-activity")
    page.get_by_role("link", name=str(crew.sdr)).click()
    page.screenshot(path=str(screenshots / "dashboards-03-activity-one-sdr.png"), full_page=True)
    axe(page, "dashboards-03-activity-one-sdr")
    fits(page, "dashboards-03-activity-one-sdr")
    # Monday's calls of sdr: leads A and D
    page.locator("tbody tr", has_text="Mon 11 Jan").locator("a.figure").first.click()
    expect(page.get_by_role("heading", name="Leads behind: Emails")).to_have_count(0)
    page.screenshot(path=str(screenshots / "dashboards-04-leads-behind.png"), full_page=True)
    axe(page, "dashboards-04-leads-behind")
    fits(page, "dashboards-04-leads-behind")

    page.goto(f"{live_server.url}/dashboards/commission/?{RANGE}")
    expect(page.get_by_text("Qualified leads accepted by AEs: 2")).to_be_visible()
    page.screenshot(path=str(screenshots / "dashboards-05-commission.png"), full_page=True)
    axe(page, "dashboards-05-commission")
    fits(page, "dashboards-05-commission")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert rows[0] == [
        *["SDR", "Lead", "Prospect", "Company", "Accepted by"],
        *["Accepted at (America/New_York)", "Day"],
    ]
    assert [(r[0], r[4], r[6]) for r in rows[1:]] == [
        (str(crew.sdr), str(crew.ae), "2027-01-12"),
        (str(crew.sdr2), str(crew.ae), "2027-01-12"),
    ]

    page.goto(f"{live_server.url}/dashboards/cadences/?{RANGE}&a={x.pk}&b={y.pk}")
    expect(page.locator("section.card h2", has_text="Short and direct")).to_be_visible()
    expect(page.locator("section.card h2", has_text="Long nurture")).to_be_visible()
    expect(page.locator("tr.best")).to_have_count(2)
    page.screenshot(path=str(screenshots / "dashboards-06-cadences.png"), full_page=True)
    axe(page, "dashboards-06-cadences")
    fits(page, "dashboards-06-cadences")

    page.goto(f"{live_server.url}/dashboards/time-in-stage/?{RANGE}")
    expect(page.locator("table")).to_contain_text("Handed off")
    page.screenshot(path=str(screenshots / "dashboards-07-time-in-stage.png"), full_page=True)
    axe(page, "dashboards-07-time-in-stage")
    fits(page, "dashboards-07-time-in-stage")

    # Coaching on sdr's connected call on lead A.
    call = LeadEvent.objects.get(lead=leads["a"], kind="call")
    page.goto(f"{live_server.url}/leads/{leads['a'].pk}/")
    page.locator("#coaching summary").click()
    page.locator("#fb-event").select_option(str(call.pk))
    page.get_by_label("Advice").check()
    page.get_by_label("Feedback").fill("Ask about the budget owner earlier in the call.")
    page.get_by_role("button", name="Save feedback").click()
    expect(page.locator("#coaching")).to_contain_text("Ask about the budget owner")
    page.locator("#coaching").screenshot(path=str(screenshots / "dashboards-08-coaching-panel.png"))
    (fb,) = Feedback.objects.all()
    assert (fb.sdr_id, fb.event_id, fb.kind) == (crew.sdr.pk, call.pk, "advice")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    login(page, crew.sdr)
    page.goto(f"{live_server.url}/coaching/")
    expect(page.get_by_text("1 to acknowledge")).to_be_visible()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("0 to acknowledge")).to_be_visible()
    page.screenshot(path=str(screenshots / "dashboards-09-feedback-list.png"), full_page=True)
    axe(page, "dashboards-09-feedback-list")
    fits(page, "dashboards-09-feedback-list")
    fb.refresh_from_db()
    assert fb.acknowledged_at is not None

    page.goto(f"{live_server.url}/dashboards/activity/?{RANGE}")
    page.screenshot(path=str(screenshots / "dashboards-10-sdr-own-activity.png"), full_page=True)
    axe(page, "dashboards-10-sdr-own-activity")
    fits(page, "dashboards-10-sdr-own-activity")
