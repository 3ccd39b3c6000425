"""Qualification in a real browser: an SDR qualifies a lead watching the score change as the
answers go in, hands it off (routed round-robin), the AE is notified in the app and by email,
opens the AE queue and accepts; a manager changes the scoring model and the open leads are
rescored; the qualify page at phone width.

Celery runs its tasks in-process here (``task_always_eager``) so that what is sent after
commit (the email, the rescore) happens inside the test. Screenshots land in var/screenshots/
(``qualification-*``) for a human to look at."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from leads.models import Lead, LeadState
from notifications.models import Notification
from qualification.models import LeadScore, QualificationDecision, ScoringModel
from qualification.scoring import DEFAULT_CONFIG
from sdrcrm.celery import app as celery_app
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk

pytestmark = pytest.mark.browser


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def engaged_lead(crew):
    prospect = ProspectFactory(
        first_name="Kari",
        last_name="Nordmann",
        title="Head of Sales",
        role="influencer",
        company=CompanyFactory(name="Fjordkraft Analytics", employee_count=140,
                               industry="Software"),
    )  # fmt: skip
    return walk(crew.lead(owner="sdr", prospect=prospect), "engaged")


def _page_widths(page) -> tuple[int, int]:
    return tuple(page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))


def _log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")


def test_sdr_qualifies_with_a_live_score_and_the_ae_accepts_from_the_queue(
    page, live_server, transactional_db, crew, engaged_lead, login, screenshots, eager_celery
):
    ScoringModel.objects.create(team=crew.team, version=1, config=DEFAULT_CONFIG)
    lead = engaged_lead
    page.set_viewport_size({"width": 1280, "height": 900})

    # The SDR opens the lead: the panel scores what is known so far.
    login(page, crew.sdr)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    panel = page.locator("#qualification-panel")
    expect(panel.locator(".score-number")).to_have_text("35")  # 140 staff 20, Software 10,
    expect(panel.locator(".badge.verdict")).to_have_text("Below the threshold")  # influencer 5
    expect(panel).to_contain_text("it has 0 so far.")
    panel.screenshot(path=str(screenshots / "qualification-01-lead-panel.png"))
    panel.get_by_role("link", name="Qualify or scrap…").click()

    # The qualification form: the score follows the answers without a reload.
    page.wait_for_url(f"{live_server.url}/qualification/leads/{lead.pk}/")
    page.evaluate("window.__sameDocument = true")
    score = page.locator("#score-preview .score-number")
    expect(score).to_have_text("35")
    page.screenshot(path=str(screenshots / "qualification-02-form-empty.png"), full_page=True)
    answers = page.get_by_role("group", name="What you found out")
    answers.get_by_label("Stated budget a year").fill("150000")
    expect(score).to_have_text("50")
    answers.get_by_label("Timeline").select_option("this_quarter")
    expect(score).to_have_text("60")
    answers.get_by_label("Authority of our contact").select_option("decision_maker")
    answers.get_by_label("Need").select_option("confirmed")
    answers.get_by_label("Fit").select_option("yes")
    expect(score).to_have_text("100")
    expect(page.locator("#score-preview .badge.verdict")).to_have_text("Qualified")
    expect(page.locator('#score-preview [data-factor="need"]')).to_contain_text(
        "Need confirmed: +20"
    )
    assert page.evaluate("window.__sameDocument") is True

    # The judgement: qualify; the brief appears only now.
    judgement = page.get_by_role("group", name="Your judgement")
    next_step = judgement.get_by_label("Next step")
    expect(next_step).to_be_hidden()
    judgement.get_by_label("Qualify and hand off to an AE").check()
    expect(next_step).to_be_visible()
    judgement.get_by_label("Need").fill("A CRM for 140 staff; today they use spreadsheets")
    judgement.get_by_label("Budget").fill("150,000 NOK a year, approved by the CFO")
    judgement.get_by_label("Timeline").fill("Decision this quarter")
    judgement.get_by_label("Decision maker").fill("Kari Nordmann, Head of Sales, signs")
    next_step.fill("Demo on Tuesday at 10:00")
    expect(page.get_by_label("Account executive")).to_have_value("route")
    page.screenshot(path=str(screenshots / "qualification-03-form-filled.png"), full_page=True)
    page.get_by_role("button", name="Record decision").click()

    page.wait_for_url(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.get_by_role("status")).to_contain_text(f"Qualified and routed to {crew.ae}.")
    expect(page.locator("#lead-state")).to_have_text("Handed off")
    page.screenshot(path=str(screenshots / "qualification-04-handed-off.png"), full_page=True)
    lead.refresh_from_db()
    assert (lead.state, lead.assigned_ae_id, lead.score) == (
        LeadState.HANDED_OFF,
        crew.ae.pk,
        100,
    )
    decision = QualificationDecision.objects.get(lead=lead)
    assert (decision.routed, decision.override, decision.score) == (True, "", 100)

    # The AE was told in the app and by email.
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([crew.ae.email], f"{crew.sdr} handed you a lead: Kari Nordmann (Fjordkraft Analytics)")
    ]
    _log_out(page)
    login(page, crew.ae)
    badge = page.locator("#notification-badge")
    expect(badge).to_have_text("1 unread")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="AE queue").click()
    page.wait_for_url(f"{live_server.url}/qualification/queue/")
    card = page.locator(f"#handoff-{lead.pk}")
    expect(card).to_contain_text("Next step: Demo on Tuesday at 10:00")
    expect(card.locator(".score-number")).to_have_text("100")
    card.get_by_text("Full history").click()
    expect(card.locator(".timeline .event").first).to_contain_text("Handed off")
    page.screenshot(path=str(screenshots / "qualification-05-ae-queue.png"), full_page=True)

    card.get_by_role("button", name="Accept").click()
    page.wait_for_url(f"{live_server.url}/qualification/queue/")
    expect(page.get_by_role("status")).to_contain_text("Accepted: Kari Nordmann is yours.")
    expect(page.locator(".empty")).to_contain_text("Nothing waiting.")
    page.screenshot(path=str(screenshots / "qualification-06-accepted.png"), full_page=True)
    lead.refresh_from_db()
    assert lead.state == LeadState.ACCEPTED
    assert Notification.objects.filter(user=crew.sdr, lead=lead, kind="accepted").count() == 1
    expect(badge).to_be_hidden()  # deciding on the lead answered its notification


def test_manager_changes_the_model_and_open_leads_are_rescored(
    page, live_server, transactional_db, crew, engaged_lead, login, screenshots, eager_celery
):
    ScoringModel.objects.create(team=crew.team, version=1, config=DEFAULT_CONFIG)
    retail = walk(
        crew.lead(owner="sdr", prospect=ProspectFactory(
            company=CompanyFactory(employee_count=30, industry="Retail"))),
        "contacting",
    )  # fmt: skip
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, crew.manager)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Scoring model").click()
    page.wait_for_url(f"{live_server.url}/qualification/model/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scoring model")
    page.screenshot(path=str(screenshots / "qualification-07-model-editor.png"), full_page=True)
    page.get_by_label("Target industry 5", exact=True).fill("Retail")
    page.get_by_label("Points for target industry 5").fill("15")
    page.get_by_label("What changed (for the history)").fill("Retail is a target now")
    page.get_by_role("button", name="Save as a new version").click()

    page.wait_for_url(f"{live_server.url}/qualification/model/")
    expect(page.get_by_role("status")).to_contain_text("Saved as version 2.")
    expect(page.locator("table").last).to_contain_text("Retail is a target now")
    page.screenshot(path=str(screenshots / "qualification-08-model-saved.png"), full_page=True)
    v2 = ScoringModel.objects.get(team=crew.team, version=2)
    # 11-50 employees 10 + Retail 15; the other lead: 51-200 20 + Software 10 + influencer 5.
    assert Lead.objects.get(pk=retail.pk).score == 25
    assert Lead.objects.get(pk=engaged_lead.pk).score == 35
    assert set(LeadScore.objects.values_list("model_id", flat=True)) == {v2.pk}


def test_the_qualify_page_fits_a_phone(
    page, live_server, transactional_db, crew, engaged_lead, login, screenshots
):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, crew.sdr)

    page.goto(f"{live_server.url}/qualification/leads/{engaged_lead.pk}/")
    page.get_by_label("Qualify and hand off to an AE").check()

    expect(page.locator("#score-preview .score-number")).to_be_visible()
    scroll_width, inner_width = _page_widths(page)
    page.screenshot(path=str(screenshots / "qualification-09-phone.png"), full_page=True)
    assert scroll_width <= inner_width
