"""Issue 10's role journeys 2, 3 and 4, one lead end to end, in a real browser against the live
server, PostgreSQL, Redis and a real Celery worker:

2. The SDR opens Today, researches a lead (checklist, note), enrolls it in the default cadence;
   the worker sends the first email and it shows on the timeline; the SDR works the cadence
   from Today, logs the call with a voicemail and accepts the proposed reminder; the prospect
   replies through the signed inbound webhook and the lead is engaged, its cadence stopped.
3. The SDR qualifies it (the score follows the answers), writes the brief and hands it off.
4. The AE finds it in the AE queue, reads its history, accepts it and rejects another lead with
   a reason; the SDR sees the rejection.

Journey 1 (marketing import) is tests/browser/test_import_journey.py, 5 (the manager) is
tests/browser/test_dashboards_journey.py and 6 (unsubscribe) is in
tests/browser/test_cadences_journey.py. Every page is checked with axe-core (no serious or
critical violation) and at phone and desktop width; screenshots: var/screenshots/role-*.png.

Time: this process (the test and the live server's thread) travels with time-machine; the
worker, another process, follows through ``SDRCRM_CLOCK_FILE`` (sdrcrm/clock.py), an offset
kept equal to the travel, so both agree on the day and the timeline reads in order. What beat
would do (the tick) is sent to the worker's queue by the test."""

import hashlib
import hmac
import json
import time
import urllib.request
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from api.services import inbound_secret_rotate
from cadences import services as cadence_services
from cadences.models import Channel, Enrollment, EnrollmentStatus, Reminder, StopReason, TouchStatus
from cadences.standard import STANDARD_NAME
from cadences.tasks import tick_task, touch_dispatch_task
from leads.models import EventKind, Lead, LeadState
from notifications.models import Notification
from qualification.models import ScoringModel
from qualification.scoring import DEFAULT_CONFIG
from sdrcrm import clock
from sdrcrm.celery import app as celery_app
from tests.browser.conftest import name_the_crew, press_by_keyboard
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk
from tests.integration.test_celery_worker import broker_url, wait_for, worker_process

pytestmark = [pytest.mark.browser, pytest.mark.worker]

OSLO = ZoneInfo("Europe/Oslo")
TUESDAY = datetime(2026, 3, 10, 10, 0, tzinfo=OSLO)  # no Norwegian holiday near it


class Journey:
    """The shared state of one journey: the page, the worker's queue, the clock."""

    def __init__(self, page, live_server, queue, clock_file, traveller, log, axe, fits, shots):
        self.page, self.url, self.queue = page, live_server.url, queue
        self.clock_file, self.traveller, self.log = clock_file, traveller, log
        self.axe, self.fits, self.screenshots = axe, fits, shots

    def shot(self, name: str, *, check: bool = True) -> None:
        """Screenshot at desktop width; with ``check``, axe and both widths first."""
        if check:
            self.axe(self.page, name)
            self.fits(self.page, name)
        self.page.screenshot(path=str(self.screenshots / f"role-{name}.png"), full_page=True)

    def set_clock(self, moment: datetime) -> None:
        """Move this process's time to ``moment`` and the worker's with it; time runs on."""
        real_now = time_machine.escape_hatch.time.time()
        self.clock_file.write_text(repr(moment.timestamp() - real_now))
        self.traveller.move_to(moment, tick=True)

    def send(self, task) -> None:
        with celery_app.connection_for_write(broker_url()) as conn:
            task.apply_async(queue=self.queue, connection=conn)

    def tick(self) -> None:
        """What beat does every minute."""
        self.send(tick_task)


def _open_touch(enrollment):
    return (
        enrollment.touches.filter(status__in=[TouchStatus.SCHEDULED, TouchStatus.DUE])
        .order_by("position")
        .first()
    )


def _post_reply(url: str, team_id: int, secret: str, lead: Lead, body: str) -> dict:
    """The prospect's reply as an email provider's relay sends it: signed as docs/api.md says,
    HMAC-SHA256 over "<timestamp>.<raw body>" with the team's inbound secret."""
    raw = json.dumps(
        {"id": f"evt_{uuid.uuid4().hex[:8]}", "type": "reply", "email": lead.prospect.email,
         "body": body}
    ).encode()  # fmt: skip
    timestamp = str(int(time.time()))
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
    request = urllib.request.Request(
        f"{url}/api/webhooks/inbound/{team_id}/",
        data=raw,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Sdrcrm-Timestamp": timestamp,
            "X-Sdrcrm-Signature": f"v1={signature.hexdigest()}",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the live server
        assert response.status == 200
        return json.loads(response.read())


def _log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")


@pytest.fixture
def journey(page, live_server, transactional_db, tmp_path, monkeypatch, axe, fits, screenshots):
    queue = f"test-journey-{uuid.uuid4().hex[:8]}"
    clock_file = tmp_path / "clock-offset"
    clock_file.write_text("0")

    def ring():
        with celery_app.connection_for_write(broker_url()) as conn:
            touch_dispatch_task.apply_async(queue=queue, connection=conn)

    monkeypatch.setattr(cadence_services.ring, "ring_dispatcher", ring)
    page.set_viewport_size({"width": 1280, "height": 900})
    with (
        worker_process(queue, tmp_path, SDRCRM_CLOCK_FILE=str(clock_file)) as (_, log),
        time_machine.travel(timezone.now(), tick=True) as traveller,
    ):
        yield Journey(page, live_server, queue, clock_file, traveller, log, axe, fits, screenshots)


def test_sdr_works_a_lead_from_today_to_the_ae_who_accepts_it(journey, crew, login):
    j, page = journey, journey.page
    name_the_crew(crew)
    j.set_clock(TUESDAY)
    crew.sdr.title = "Sales Development Representative"  # the standard cadence's signature
    crew.sdr.save(update_fields=["title"])
    cadence_services.cadence_ensure_standard(team_id=crew.team.pk)
    ScoringModel.objects.create(team=crew.team, version=1, config=DEFAULT_CONFIG)
    prospect = ProspectFactory(
        first_name="Kari", last_name="Nordmann", title="Head of Sales", role="influencer",
        time_zone="Europe/Oslo", email="kari.nordmann@fjordkraft.example",
        company=CompanyFactory(name="Fjordkraft Analytics", employee_count=140,
                               industry="Software", domain="fjordkraft.example",
                               website="https://fjordkraft.example"),
    )  # fmt: skip
    lead = crew.lead(owner="sdr", prospect=prospect)
    lead_url = f"{j.url}/leads/{lead.pk}/"

    # --- Journey 2: Today, research, the cadence, the reply -------------------------------
    login(page, crew.sdr)
    page.wait_for_url(f"{j.url}/today/")
    empty = page.locator("#main .empty")
    expect(empty).to_contain_text("Nothing left for today.")
    j.shot("01-sdr-today-empty")
    empty.get_by_role("link", name="lead list").click()
    page.wait_for_url(f"{j.url}/leads/")
    j.shot("02-sdr-lead-list")
    page.get_by_role("link", name="Kari Nordmann").click()
    page.wait_for_url(lead_url)
    press_by_keyboard(page, page.get_by_role("button", name="Start research", exact=True))
    expect(page.locator("#lead-state")).to_have_text("Researching")
    page.locator('#checklist button[data-item="role_known"]').click()
    expect(page.locator("#checklist h2")).to_contain_text("1/5")
    page.get_by_label("Note", exact=True).fill("Runs a 12-person sales team on spreadsheets.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#activity").get_by_role("status")).to_have_text("Note added.")
    j.shot("03-sdr-lead-researched")

    panel = page.locator("#cadence-panel")
    panel.get_by_label("Enroll in a cadence").select_option(label=STANDARD_NAME)
    panel.get_by_role("button", name="Enroll", exact=True).click()
    # The enrolment reloads the page (htmx's client redirect), which also shows the messages
    # of the htmx actions before it.
    expect(page.get_by_role("status").filter(has_text="1 lead enrolled.")).to_be_visible()
    expect(page.locator("#lead-state")).to_have_text("Contacting")
    enrollment = Enrollment.objects.get(lead=lead)
    first = enrollment.touches.get(position=1)
    # After the commit the dispatcher is rung: the worker sends the first email.
    wait_for(
        lambda: enrollment.touches.get(pk=first.pk).status == TouchStatus.SENT,
        60, "the worker to send the first email", j.log,
    )  # fmt: skip
    page.reload()
    subject = "Fjordkraft Analytics and your sales pipeline"
    expect(page.locator("#timeline .event.kind-email")).to_contain_text(subject)
    expect(panel.locator(".steps .step").first.locator(".badge")).to_have_text("Sent")
    j.shot("04-sdr-first-email-on-timeline")

    # The cadence day by day until the call: the worker sends the emails when their time
    # comes (the tick rings it), the SDR does the LinkedIn step from Today.
    while (touch := _open_touch(enrollment)).channel != Channel.CALL:
        j.set_clock(max(touch.due_at, clock.now()))
        j.tick()
        if touch.channel == Channel.AUTO_EMAIL:
            wait_for(
                lambda t=touch: enrollment.touches.get(pk=t.pk).status == TouchStatus.SENT,
                60, f"the worker to send step {touch.position}", j.log,
            )  # fmt: skip
            continue
        wait_for(
            lambda t=touch: enrollment.touches.get(pk=t.pk).status == TouchStatus.DUE,
            60, f"the tick to mark step {touch.position} due", j.log,
        )  # fmt: skip
        page.goto(f"{j.url}/today/")
        item = page.locator(".queue-item", has_text="Kari Nordmann")
        expect(item).to_have_count(1)
        item.get_by_role("button").first.click()
        expect(page.get_by_role("status")).to_contain_text("Kari Nordmann")
        expect(page.locator(".queue-item")).to_have_count(0)
    j.set_clock(max(touch.due_at, clock.now()))
    j.tick()
    wait_for(
        lambda: enrollment.touches.get(pk=touch.pk).status == TouchStatus.DUE,
        60, "the tick to mark the call due", j.log,
    )  # fmt: skip
    # Days have passed (the session timed out): the SDR logs in on the morning of the call.
    login(page, crew.sdr)
    page.wait_for_url(f"{j.url}/today/")
    call = page.locator(".queue-item", has_text="Kari Nordmann")
    expect(call.locator(".what")).to_have_text("Phone call · Kari Nordmann (Fjordkraft Analytics)")
    j.shot("05-sdr-today-call")
    call.get_by_role("button", name="Left voicemail").click()
    expect(page.get_by_role("status")).to_have_text(
        "Phone call with Kari Nordmann: Left voicemail."
    )
    proposal = page.get_by_role("region", name="Proposed reminder")
    expect(proposal).to_contain_text("A reminder to call Kari Nordmann again on")
    j.shot("06-sdr-voicemail-proposes-a-reminder", check=False)
    j.axe(page, "06-sdr-voicemail-proposes-a-reminder")
    press_by_keyboard(page, proposal.get_by_role("button", name="Add reminder"))
    expect(page.get_by_role("status")).to_contain_text("Reminder set for")
    assert Reminder.objects.filter(lead=lead, owner=crew.sdr, done_at=None).count() == 1

    # The prospect answers; the email provider's relay posts the signed reply.
    secret = inbound_secret_rotate(actor=crew.manager, team_id=crew.team.pk).secret
    answer = _post_reply(j.url, crew.team.pk, secret, lead, "Yes, let's talk. Tuesday at 10?")
    assert answer["processed"] is True
    page.goto(lead_url)
    expect(page.locator("#lead-state")).to_have_text("Engaged")
    expect(page.locator("#timeline .event.kind-reply")).to_contain_text("Yes, let's talk.")
    expect(page.locator("#cadence-panel")).to_contain_text("replied")
    j.shot("07-sdr-lead-engaged-after-reply")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == (
        EnrollmentStatus.STOPPED,
        StopReason.REPLIED,
    )
    assert not enrollment.touches.filter(
        status__in=[TouchStatus.SCHEDULED, TouchStatus.DUE, TouchStatus.PLANNED]
    ).exists()
    assert lead.events.filter(kind=EventKind.REPLY).count() == 1

    # --- Journey 3: qualify with a live score, the brief, the hand-off ---------------------
    page.locator("#qualification-panel").get_by_role("link", name="Qualify or scrap…").click()
    page.wait_for_url(f"{j.url}/qualification/leads/{lead.pk}/")
    score = page.locator("#score-preview .score-number")
    expect(score).to_have_text("35")
    answers = page.get_by_role("group", name="What you found out")
    answers.get_by_label("Stated budget a year").fill("150000")
    expect(score).to_have_text("50")
    answers.get_by_label("Timeline").select_option("this_quarter")
    answers.get_by_label("Authority of our contact").select_option("decision_maker")
    answers.get_by_label("Need").select_option("confirmed")
    answers.get_by_label("Fit").select_option("yes")
    expect(score).to_have_text("100")
    expect(page.locator("#score-preview .badge.verdict")).to_have_text("Qualified")
    judgement = page.get_by_role("group", name="Your judgement")
    judgement.get_by_label("Qualify and hand off to an AE").check()
    judgement.get_by_label("Need").fill("A CRM for a 12-person sales team; spreadsheets today")
    judgement.get_by_label("Budget").fill("150,000 NOK a year")
    judgement.get_by_label("Timeline").fill("Decision this quarter")
    judgement.get_by_label("Decision maker").fill("Kari Nordmann signs")
    judgement.get_by_label("Next step").fill("Demo on Tuesday at 10:00")
    j.shot("08-sdr-qualify-form")
    press_by_keyboard(page, page.get_by_role("button", name="Record decision"))
    page.wait_for_url(lead_url)
    expect(page.locator("#lead-state")).to_have_text("Handed off")
    lead.refresh_from_db()
    ae = lead.assigned_ae
    expect(page.get_by_role("status")).to_contain_text(f"Qualified and routed to {ae}.")
    j.shot("09-sdr-handed-off")
    assert (lead.state, lead.score) == (LeadState.HANDED_OFF, 100)

    # --- Journey 4: the AE accepts this one and rejects another ----------------------------
    weak = walk(
        crew.lead(owner="sdr", prospect=ProspectFactory(
            first_name="Ola", last_name="Hansen", email="ola@nordvik-bygg.example",
            company=CompanyFactory(name="Nordvik Bygg", domain="nordvik-bygg.example",
                                   website="https://nordvik-bygg.example"))),
        "handed_off", ae=ae,
    )  # fmt: skip
    _log_out(page)
    login(page, ae)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="AE queue").click()
    page.wait_for_url(f"{j.url}/qualification/queue/")
    card = page.locator(f"#handoff-{lead.pk}")
    expect(card).to_contain_text("Next step: Demo on Tuesday at 10:00")
    card.locator("details.history summary").click()
    expect(card.locator(".timeline .event").first).to_contain_text("Handed off")
    j.shot("10-ae-queue-history")
    # The card shows the latest events; the whole history is on the lead's page.
    card.get_by_role("link", name="all on the lead's page").click()
    page.wait_for_url(f"{lead_url}#timeline")
    expect(page.locator("#timeline .event.kind-reply")).to_contain_text("Yes, let's talk.")
    expect(page.locator("#timeline .event.kind-email").last).to_contain_text(subject)
    j.shot("11-ae-lead-history")
    page.go_back()
    page.wait_for_url(f"{j.url}/qualification/queue/")
    press_by_keyboard(page, card.get_by_role("button", name="Accept"))
    expect(page.get_by_role("status")).to_contain_text("Accepted: Kari Nordmann is yours.")
    other = page.locator(f"#handoff-{weak.pk}")
    other.locator("summary", has_text="Reject…").click()
    other.get_by_label("Reason", exact=True).select_option("no_budget")
    other.get_by_label("In your words, for the SDR (required for “Other”)").fill(
        "No budget this year; they only want a price list."
    )
    other.get_by_role("button", name="Reject and return to the SDR").click()
    expect(page.get_by_role("status")).to_contain_text("Ola Hansen")
    expect(page.locator("#main .empty")).to_contain_text("Nothing waiting.")
    j.shot("12-ae-queue-empty")
    assert dict(Lead.objects.filter(pk__in=[lead.pk, weak.pk]).values_list("pk", "state")) == {
        lead.pk: LeadState.ACCEPTED,
        weak.pk: LeadState.ENGAGED,  # back with the SDR
    }

    # The SDR reads the rejection.
    _log_out(page)
    login(page, crew.sdr)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    rejected = page.locator(".notification.kind-rejected")
    expect(rejected).to_contain_text("No budget this year; they only want a price list.")
    j.shot("13-sdr-sees-the-rejection")
    assert Notification.objects.filter(user=crew.sdr, lead=weak, kind="rejected").count() == 1


# --- Accessibility and polish across the roles' pages ---------------------------------------


def test_a_form_shows_its_errors_next_to_the_fields(
    page, live_server, transactional_db, crew, login, screenshots, axe, fits
):
    login(page, crew.sdr)
    page.goto(f"{live_server.url}/leads/new/")
    form = page.locator("form.lead-form")
    form.get_by_label("Email").fill("kari at fjordkraft")
    press_by_keyboard(page, form.get_by_role("button", name="Create lead"))

    page.wait_for_url(f"{live_server.url}/leads/new/")
    for label, message in (
        ("First name", "This field is required."),
        ("Email", "Enter a valid email address."),
    ):
        field = form.locator(".field.has-error", has=page.get_by_label(label, exact=True))
        expect(field.locator(".field-error")).to_have_text(message)
        box = field.get_by_label(label, exact=True)
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(box).to_have_accessible_description(message)  # read out with the field
        expect(box).to_have_css("border-top-color", "rgb(180, 35, 24)")  # --danger
    expect(form.get_by_label("Email", exact=True)).to_have_value("kari at fjordkraft")
    page.screenshot(path=str(screenshots / "role-form-errors.png"), full_page=True)
    axe(page, "lead form with errors")
    fits(page, "form-errors")
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "role, path, says",
    [
        ("sdr", "/leads/", "Create a lead with New lead, or ask marketing for a list."),
        ("ae", "/qualification/queue/", "Leads that SDRs qualify and hand to you appear here"),
        ("sdr", "/qualification/notifications/", "You hear here (and by email)"),
        ("sdr", "/coaching/", "Your manager's praise and advice on your calls"),
        ("marketing", "/imports/", "Upload a CSV or XLSX export"),
        ("manager", "/cadences/", "Create one"),
        ("sdr", "/settings/api-tokens/", "Create one above to use the REST API"),
    ],
)
def test_empty_lists_say_what_to_do_next(
    page, live_server, transactional_db, crew, login, screenshots, axe, fits, role, path, says
):
    login(page, getattr(crew, role))
    page.goto(f"{live_server.url}{path}")
    expect(page.locator("#main .empty")).to_contain_text(says)
    name = f"empty-{role}-{path.strip('/').replace('/', '-')}"
    page.screenshot(path=str(screenshots / f"role-{name}.png"), full_page=True)
    axe(page, name)
    fits(page, name)
