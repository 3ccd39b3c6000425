"""Cadences in a real browser: enrolling from the lead page, the dispatcher's first email, the
Today queue, the cadence editor, bulk enrollment, the public unsubscribe page, phone width.

The live server runs in a thread of this process, so moving scheduling time is done with the
project's own hook: ``settings.SDRCRM_CLOCK_FILE`` holds an offset that ``sdrcrm.clock.now()``
adds, in the test thread and the server thread alike. Screenshots land in var/screenshots/
(``cadence-*``) for a human to look at."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cadences import services
from cadences.models import (
    Cadence,
    Channel,
    Enrollment,
    EnrollmentStatus,
    Reminder,
    StopReason,
    TaskOutcome,
    Touch,
    TouchStatus,
)
from cadences.standard import STANDARD_NAME
from leads.models import EventKind, Lead, LeadState
from sdrcrm import clock
from suppression.models import Suppression
from tests.browser.conftest import name_the_crew
from tests.factories import CompanyFactory, ProspectFactory

pytestmark = pytest.mark.browser

OSLO = ZoneInfo("Europe/Oslo")
# "Today" for the queue tests: a Tuesday with no Norwegian public holiday near it.
TODAY = datetime(2026, 3, 10, 10, 0, tzinfo=OSLO)


def _oslo(*args) -> datetime:
    return datetime(*args, tzinfo=OSLO)


def _lead_url(live_server, lead) -> str:
    return f"{live_server.url}/leads/{lead.pk}/"


def _who(lead) -> str:
    return f"{lead.prospect.full_name} ({lead.prospect.company.name})"


def _page_widths(page) -> tuple[int, int]:
    return tuple(page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))


def _too_wide(page) -> list[str]:
    """The outermost elements sticking out on the right, for the failure message."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                     && e.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                  + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
                  + ' right=' + Math.round(e.getBoundingClientRect().right))"""
    )


@pytest.fixture
def set_clock(settings, tmp_path):
    """Move ``clock.now()`` (scheduling time) to ``moment``; it runs on from there."""
    path = tmp_path / "clock-offset"
    settings.SDRCRM_CLOCK_FILE = str(path)

    def _set(moment: datetime) -> datetime:
        path.write_text(repr((moment - timezone.now()).total_seconds()))
        clock._cache.clear()  # two writes within one mtime tick must not read a stale offset
        return moment

    yield _set
    clock._cache.clear()


def _open_touch(enrollment) -> Touch:
    return (
        enrollment.touches.filter(status__in=[TouchStatus.SCHEDULED, TouchStatus.DUE])
        .order_by("position")
        .get()
    )


def _walk_to(enrollment, sdr, set_clock, channel: str) -> Touch:
    """Do every step on time (the dispatcher sends the emails, the SDR does the tasks) until
    the open step is on ``channel``."""
    while (touch := _open_touch(enrollment)).channel != channel:
        set_clock(touch.due_at)
        if touch.channel == Channel.AUTO_EMAIL:
            assert services.touch_dispatch_due().sent == 1
        else:
            outcome = services.OUTCOMES_BY_CHANNEL[touch.channel][0]
            services.touch_complete(actor=sdr, touch_id=touch.pk, outcome=outcome)
    return touch


def _enroll_and_send_first(lead, cadence, sdr, set_clock, at: datetime) -> Enrollment:
    set_clock(at)
    enrollment = services.enrollment_create(actor=sdr, lead_id=lead.pk, cadence_id=cadence.pk)
    assert services.touch_dispatch_due().sent == 1
    return enrollment


def _with_signature(sdr):
    """The standard cadence signs with the SDR's title: without one its emails are held."""
    sdr.title = "Sales Development Representative"
    sdr.save(update_fields=["title"])
    return sdr


def _today_scene(crew, set_clock, **prospect_kwargs):
    """The SDR's Tuesday: A's LinkedIn request from last week is overdue, B's call and C's
    LinkedIn request are due today. Everything got there through the services."""
    _with_signature(crew.sdr)
    cadence = services.cadence_ensure_standard(team_id=crew.team.pk)
    a, b, c = (
        crew.lead(owner="sdr", prospect=ProspectFactory(first_name=name, **prospect_kwargs))
        for name in ("Astrid", "Bjørn", "Cecilie")
    )
    b_enrollment = _enroll_and_send_first(b, cadence, crew.sdr, set_clock, _oslo(2026, 2, 27, 10))
    b_call = _walk_to(b_enrollment, crew.sdr, set_clock, Channel.CALL)
    # Fri 27 Feb: email + LinkedIn; +2 business days email, +3 email, +2 the call.
    assert b_call.due_at == _oslo(2026, 3, 10, 8, 0)
    a_enrollment = _enroll_and_send_first(a, cadence, crew.sdr, set_clock, _oslo(2026, 3, 3, 10))
    c_enrollment = _enroll_and_send_first(c, cadence, crew.sdr, set_clock, TODAY)
    assert services.touch_mark_manual_due() == 3
    a_linkedin, c_linkedin = _open_touch(a_enrollment), _open_touch(c_enrollment)
    assert (a_linkedin.channel, c_linkedin.channel) == (Channel.LINKEDIN_CONNECT,) * 2
    b_call.refresh_from_db()
    assert {a_linkedin.status, b_call.status, c_linkedin.status} == {TouchStatus.DUE}
    return a, b, c, b_call


# --- 1. Enroll from the lead page; the dispatcher sends the first email -----------------------


def test_sdr_enrolls_a_lead_and_the_dispatcher_sends_the_first_email(
    page, live_server, transactional_db, crew, login, screenshots, mailoutbox
):
    services.cadence_ensure_standard(team_id=crew.team.pk)
    _with_signature(crew.sdr)
    lead = crew.lead(owner="sdr", prospect=ProspectFactory(time_zone="Europe/London"))
    prospect = lead.prospect
    login(page, crew.sdr)
    page.goto(_lead_url(live_server, lead))
    expect(page.locator("#lead-state")).to_have_text("New")
    panel = page.locator("#cadence-panel")
    page.screenshot(path=str(screenshots / "cadence-01-lead-before-enroll.png"), full_page=True)

    panel.get_by_label("Enroll in a cadence").select_option(label=STANDARD_NAME)
    panel.get_by_role("button", name="Enroll", exact=True).click()

    page.wait_for_url(_lead_url(live_server, lead))
    expect(page.get_by_role("status")).to_have_text("1 lead enrolled.")
    expect(page.locator("#lead-state")).to_have_text("Contacting")
    steps = panel.locator(".steps .step")
    expect(steps).to_have_count(9)
    expect(steps.locator(".step-what")).to_have_text(
        [
            "Automatic email",
            "LinkedIn connection request",
            "Automatic email",
            "Automatic email",
            "Phone call",
            "Automatic email",
            "Automatic email",
            "Automatic email",
            "Automatic email (break-up)",
        ]
    )
    expect(steps.locator(".badge")).to_have_text(["Scheduled"] + ["Planned"] * 8)
    # Sending follows the prospect's clock; the page shows the user's (the site's) zone.
    expect(panel.locator(".enrollment-meta")).to_have_text(
        re.compile(
            r"^Since \d{1,2} [A-Z][a-z]{2} \d{4} · sends in the prospect's time zone, "
            r"Europe/London · times below in Europe/Oslo$"
        )
    )
    due_time = re.compile(r"^(Mon|Tue|Wed|Thu|Fri) \d{1,2} [A-Z][a-z]{2} \d\d:\d\d$")
    for i in range(9):
        expect(steps.nth(i).locator(".step-when")).to_have_text(due_time)
    page.screenshot(path=str(screenshots / "cadence-02-lead-enrolled.png"), full_page=True)

    enrollment = Enrollment.objects.get(lead=lead)
    first = enrollment.touches.get(position=1)
    # The first send slot after enrolling is, by construction, inside the send window.
    stats = services.touch_dispatch_due(now_fn=lambda: first.due_at)
    assert (stats.claimed, stats.sent, stats.held, stats.rescheduled) == (1, 1, 0, 0)

    page.reload()
    subject = f"{prospect.company.name} and your sales pipeline"
    email_events = page.locator("#timeline .event.kind-email")
    expect(email_events).to_have_count(1)
    expect(email_events.locator(".kind")).to_have_text("Email")
    expect(email_events).to_contain_text(subject)
    expect(email_events).to_contain_text("System")
    expect(steps.first.locator(".badge")).to_have_text("Sent")
    expect(steps.first.locator(".step-when")).to_have_text(re.compile(r"^sent "))
    expect(steps.nth(1).locator(".badge")).to_have_text("Scheduled")
    page.screenshot(path=str(screenshots / "cadence-03-lead-first-email-sent.png"), full_page=True)

    assert [(m.to, m.subject) for m in mailoutbox] == [([prospect.email], subject)]
    assert mailoutbox[0].body.startswith(f"Hi {prospect.first_name},\n\n")
    assert mailoutbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    lead.refresh_from_db()
    assert lead.state == LeadState.CONTACTING
    assert list(enrollment.touches.order_by("position").values_list("position", "status")[:3]) == [
        (1, TouchStatus.SENT),
        (2, TouchStatus.SCHEDULED),
        (3, TouchStatus.PLANNED),
    ]
    assert list(lead.events.filter(kind=EventKind.EMAIL).values_list("body", "actor_id")) == [
        (subject, None)
    ]


# --- 2. The Today page ------------------------------------------------------------------------


def test_today_orders_overdue_first_and_a_voicemail_proposes_a_reminder(
    page, live_server, transactional_db, crew, login, screenshots, set_clock
):
    a, b, c, b_call = _today_scene(crew, set_clock)
    set_clock(TODAY)
    target = crew.sdr.daily_touch_target
    login(page, crew.sdr)

    page.wait_for_url(f"{live_server.url}/today/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    expect(page.locator(".page-head p.muted")).to_contain_text(
        "Tuesday 10 March · 3 to do, 1 overdue"
    )
    # C's first email went out this morning: automatic, so not the SDR's pace (docs/metrics.md).
    expect(page.get_by_role("region", name="Pace")).to_contain_text(
        f"0 of {target} touches done today"
    )
    items = page.locator(".queue-item")
    expect(items).to_have_count(3)
    expect(items.locator(".what")).to_have_text(
        [
            f"Overdue LinkedIn connection request · {_who(a)}",
            f"Phone call · {_who(b)}",
            f"LinkedIn connection request · {_who(c)}",
        ]
    )
    expect(items.first).to_have_class(re.compile(r"\boverdue\b"))
    expect(items.nth(1).get_by_role("button")).to_have_text(
        ["Connected", "Meeting booked", "Left voicemail", "No answer", "Wrong number", "Skip"]
    )
    expect(items.nth(2).get_by_role("button")).to_have_text(["Sent", "Accepted", "Skip"])
    page.screenshot(path=str(screenshots / "cadence-today-before.png"), full_page=True)

    items.nth(1).get_by_role("button", name="Left voicemail").click()

    expect(page.get_by_role("status")).to_have_text(
        f"Phone call with {b.prospect.full_name}: Left voicemail."
    )
    expect(items).to_have_count(2)
    proposal = page.get_by_role("region", name="Proposed reminder")
    expect(proposal).to_contain_text(f"A reminder to call {b.prospect.full_name} again on")
    # Two business days after Tuesday, at the window's opening.
    expect(proposal.get_by_label("When")).to_have_value("2026-03-12T08:00")
    expect(page.get_by_role("region", name="Pace")).to_contain_text(
        f"1 of {target} touches done today"
    )
    page.screenshot(path=str(screenshots / "cadence-today-voicemail-proposal.png"), full_page=True)

    proposal.get_by_role("button", name="Add reminder").click()

    expect(page.get_by_role("status")).to_have_text("Reminder set for Thu 12 Mar 08:00.")
    expect(page.get_by_role("region", name="Proposed reminder")).to_have_count(0)
    reminder = Reminder.objects.get()
    assert (reminder.lead_id, reminder.owner_id, reminder.due_at, reminder.note) == (
        b.pk,
        crew.sdr.pk,
        _oslo(2026, 3, 12, 8, 0),
        "Call back after the voicemail",
    )

    set_clock(_oslo(2026, 3, 12, 9, 0))  # Thursday: the reminder is due
    page.reload()
    reminder_item = items.filter(has_text="Reminder:")
    expect(reminder_item.locator(".what")).to_have_text(
        f"Reminder: Call back after the voicemail · {_who(b)}"
    )
    expect(reminder_item.get_by_role("button")).to_have_text(["Done"])
    page.screenshot(path=str(screenshots / "cadence-today-after.png"), full_page=True)

    b_call.refresh_from_db()
    assert (b_call.status, b_call.outcome, b_call.completed_by_id) == (
        TouchStatus.DONE,
        TaskOutcome.VOICEMAIL,
        crew.sdr.pk,
    )
    assert list(b.events.filter(kind=EventKind.CALL).values_list("body", "payload__outcome")) == [
        ("Phone call: Left voicemail", "voicemail")
    ]
    # The next step (an email the same day) is scheduled; the lead is still contacting.
    assert b_call.enrollment.touches.get(position=6).status == TouchStatus.SCHEDULED
    assert Lead.objects.get(pk=b.pk).state == LeadState.CONTACTING


def test_today_empty_state(page, live_server, transactional_db, crew, login, screenshots):
    crew.lead(owner="sdr")
    login(page, crew.sdr)

    page.wait_for_url(f"{live_server.url}/today/")
    expect(page.locator(".queue-item")).to_have_count(0)
    empty = page.locator("#main .empty")
    expect(empty).to_contain_text("Nothing left for today.")
    expect(empty.get_by_role("link", name="lead list")).to_have_attribute("href", "/leads/")
    expect(page.get_by_role("region", name="Pace")).to_contain_text(
        f"0 of {crew.sdr.daily_touch_target} touches done today"
    )
    page.screenshot(path=str(screenshots / "cadence-today-empty.png"), full_page=True)


# --- 3. The cadence editor ----------------------------------------------------------------------


def test_manager_creates_previews_copies_and_archives_a_cadence(
    page, live_server, transactional_db, crew, login, screenshots
):
    login(page, crew.manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cadences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cadences")
    expect(page.locator("#main .empty")).to_contain_text("No cadence yet.")
    page.screenshot(path=str(screenshots / "cadence-list-empty.png"), full_page=True)
    page.get_by_role("link", name="New cadence").click()

    page.get_by_label("Name").fill("Short intro")
    steps = page.locator("[data-step-list]")
    steps.get_by_role("button", name="1. Choose a channel", exact=True).click()
    first = page.locator("fieldset.step-card").nth(0)
    first.get_by_label("Channel").select_option(label="Automatic email")
    first.get_by_label("Subject").fill("A question for {{ prospect.first_name }}")
    first.get_by_label("Body").fill(
        "Hi {{ prospect.first_name }},\n\nIs pipeline quality on your list this quarter?"
    )
    preview_pane = page.get_by_role("complementary", name="Preview")
    expect(preview_pane.locator("[data-preview-subject]")).to_have_text("A question for Kari")
    page.get_by_role("button", name="Add a step").click()  # in place, nothing is saved
    second = page.locator("fieldset.step-card").nth(1)
    expect(second).to_be_visible()
    expect(first).to_be_hidden()
    second.get_by_label("Channel").select_option(label="Phone call")
    second.get_by_label("Business days", exact=True).fill("2")
    second.get_by_label("Instructions").fill("Call and ask who owns lead qualification.")
    expect(steps.locator("[data-select]")).to_have_text(
        [
            "1. Automatic email: A question for {{ prospect.first_name }}",
            "2. Phone call: Call and ask who owns lead qualification",
        ]
    )
    page.screenshot(path=str(screenshots / "cadence-editor-new.png"), full_page=True)
    page.get_by_role("button", name="Save cadence").click()

    expect(page.get_by_role("status")).to_have_text("Cadence “Short intro” saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Short intro")
    preview = page.get_by_role("region", name="Calendar preview")
    preview.get_by_label("Start").fill("2026-03-09T09:00")
    preview.get_by_label("Time zone").fill("Europe/Oslo")
    preview.get_by_role("button", name="Show the calendar").click()
    rows = preview.locator("table.calendar tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td")).to_have_text(
        ["1", "1", "Mon 9 Mar 2026 09:00", "Automatic email", re.compile("^“A question for")]
    )
    expect(rows.nth(1).locator("td")).to_have_text(
        [
            "2",
            "3",
            "Wed 11 Mar 2026 08:00",
            "Phone call",
            re.compile(r"^Call and ask who owns lead qualification\.\s+2 business days after"),
        ]
    )
    page.screenshot(path=str(screenshots / "cadence-detail-preview.png"), full_page=True)
    cadence = Cadence.objects.get(name="Short intro")
    assert list(
        cadence.steps.order_by("position").values_list(
            "position", "channel", "day_offset", "subject_template", "instructions"
        )
    ) == [
        (1, Channel.AUTO_EMAIL, 0, "A question for {{ prospect.first_name }}", ""),
        (2, Channel.CALL, 2, "", "Call and ask who owns lead qualification."),
    ]
    body_before = cadence.steps.get(position=1).body_template

    page.get_by_role("link", name="Edit").click()
    body = page.locator("fieldset.step-card").first.get_by_label("Body")
    body.fill("Hi {{ prospect.first_name }}, which size? {{ prospect.shoe_size }}")
    page.get_by_role("button", name="Save cadence").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Some steps need fixing: see the messages in red below. Nothing was saved."
    )
    expect(page.locator("fieldset.step-card > legend")).to_have_text(["Step 1", "Step 2"])
    expect(page.locator("fieldset.step-card").first).to_be_visible()  # the step with the error
    error = page.locator("fieldset.step-card").first.locator(".field.has-error")
    expect(error).to_have_count(1)
    expect(error.locator("label")).to_have_text("Body")
    expect(error.locator(".field-error")).to_have_text(
        "Unknown field 'prospect.shoe_size' in {{ prospect.shoe_size }}"
    )
    page.screenshot(path=str(screenshots / "cadence-editor-unknown-field.png"), full_page=True)
    assert cadence.steps.get(position=1).body_template == body_before

    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text(
        "Copied as “Copy of Short intro”. Edit it to make it your own."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Copy of Short intro")
    page.screenshot(path=str(screenshots / "cadence-copy.png"), full_page=True)
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Archive").click()

    expect(page.get_by_role("status")).to_have_text(
        "“Copy of Short intro” archived: it takes no new enrollments."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Copy of Short intro Archived")
    expect(page.get_by_role("button", name="Unarchive")).to_be_visible()
    page.screenshot(path=str(screenshots / "cadence-archived.png"), full_page=True)

    copy = Cadence.objects.get(name="Copy of Short intro")
    assert (copy.is_archived, Cadence.objects.get(pk=cadence.pk).is_archived) == (True, False)
    assert list(copy.steps.order_by("position").values_list("channel", "day_offset")) == [
        (Channel.AUTO_EMAIL, 0),
        (Channel.CALL, 2),
    ]


def test_sdr_copies_a_team_cadence_and_reorders_removes_and_previews_at_desktop_width(
    page, live_server, transactional_db, crew, login, screenshots, fits, axe
):
    name_the_crew(crew)
    team = services.cadence_create(
        actor=crew.manager,
        data=services.CadenceData(
            name="Team intro",
            steps=[
                services.StepData(
                    channel=Channel.AUTO_EMAIL, subject_template="First", body_template="One"
                ),
                services.StepData(channel=Channel.CALL, day_offset=2, instructions="Call"),
                services.StepData(
                    channel=Channel.AUTO_EMAIL, day_offset=3, subject_template="Third",
                    body_template="Three",
                ),
            ],
        ),
    )  # fmt: skip
    lead = crew.lead(prospect=ProspectFactory(team=crew.team, first_name="Ola", company=None))
    assert lead.prospect.first_name == "Ola"
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, crew.sdr)

    page.goto(f"{live_server.url}/cadences/{team.pk}/edit/")
    expect(page.get_by_role("alert")).to_contain_text("only managers change it")
    page.screenshot(path=str(screenshots / "cadence-team-locked.png"), full_page=True)
    page.get_by_role("button", name="Copy to my cadences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Copy of Team intro Personal")

    nav = page.get_by_role("navigation", name="Steps")
    main = page.locator("fieldset.step-card").first
    pane = page.get_by_role("complementary", name="Preview")
    boxes = [x.bounding_box() for x in (nav, main, pane)]
    assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"]  # side by side, left to right
    assert boxes[1]["x"] + boxes[1]["width"] <= boxes[2]["x"]
    assert boxes[2]["x"] + boxes[2]["width"] <= 1280
    assert max(b["y"] for b in boxes) - min(b["y"] for b in boxes) < 40  # one row

    items = nav.locator("[data-step-list] li")
    expect(items.locator("[data-select]")).to_have_text(
        ["1. Automatic email: First", "2. Phone call: Call", "3. Automatic email: Third"]
    )
    items.nth(2).get_by_role("button", name="Up").click()
    items.nth(2).get_by_role("button", name="Remove").click()  # the call, now third
    expect(items.locator("[data-select]")).to_have_text(
        ["1. Automatic email: First", "2. Automatic email: Third"]
    )
    nav.get_by_role("button", name="2. Automatic email: Third", exact=True).click()
    step = page.locator("fieldset.step-card:visible")
    step.get_by_label("Subject").fill("Still keen, {{ prospect.first_name }}?")
    step.get_by_label("Body").fill("Hei {{ prospect.first_name }}\n{{ sdr.full_name }}")
    expect(pane.locator("[data-preview-subject]")).to_have_text("Still keen, Ola?")
    expect(pane.locator("[data-preview-body]")).to_have_text("Hei OlaSara Berg")
    axe(page, "cadence editor")
    fits(page, "cadence-editor")
    page.screenshot(path=str(screenshots / "cadence-editor-1280.png"), full_page=False)
    page.get_by_role("button", name="Save cadence").click()

    expect(page.get_by_role("status")).to_have_text("Cadence “Copy of Team intro” saved.")
    copy = Cadence.objects.get(owner=crew.sdr)
    assert list(
        copy.steps.order_by("position").values_list("position", "channel", "subject_template")
    ) == [
        (1, Channel.AUTO_EMAIL, "First"),
        (2, Channel.AUTO_EMAIL, "Still keen, {{ prospect.first_name }}?"),
    ]
    assert team.steps.count() == 3  # the team's cadence is untouched


# --- 4. Bulk enrollment from the lead list ------------------------------------------------------


def test_sdr_bulk_enrolls_two_leads_from_the_list(
    page, live_server, transactional_db, crew, login, screenshots
):
    cadence = services.cadence_ensure_standard(team_id=crew.team.pk)
    one, two, left_alone = (crew.lead(owner="sdr") for _ in range(3))
    login(page, crew.sdr)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()

    page.get_by_role("checkbox", name=f"Select {one.prospect.full_name}").check()
    page.get_by_role("checkbox", name=f"Select {two.prospect.full_name}").check()
    enroll_in = page.get_by_label("Cadence to enroll the selected leads in")
    expect(enroll_in.locator("option").first).to_have_text("Enroll in…")
    enroll_in.select_option(label=STANDARD_NAME)
    page.screenshot(path=str(screenshots / "cadence-bulk-enroll-before.png"), full_page=True)
    page.get_by_role("button", name="Enroll selected").click()

    expect(page.get_by_role("status")).to_have_text("2 leads enrolled.")
    for lead, state in ((one, "Contacting"), (two, "Contacting"), (left_alone, "New")):
        row = page.get_by_role("row").filter(
            has=page.get_by_role("link", name=lead.prospect.full_name)
        )
        expect(row.locator(".badge")).to_have_text(state)
    page.screenshot(path=str(screenshots / "cadence-bulk-enroll-after.png"), full_page=True)

    assert dict(Lead.objects.values_list("pk", "state")) == {
        one.pk: LeadState.CONTACTING,
        two.pk: LeadState.CONTACTING,
        left_alone.pk: LeadState.NEW,
    }
    assert sorted(
        Enrollment.objects.values_list("lead_id", "cadence_id", "status", "enrolled_by_id")
    ) == sorted((lead.pk, cadence.pk, EnrollmentStatus.ACTIVE, crew.sdr.pk) for lead in (one, two))


# --- 5. Unsubscribe -----------------------------------------------------------------------------


def test_prospect_unsubscribes_from_the_link_without_logging_in(
    page, live_server, transactional_db, crew, screenshots, mailoutbox, set_clock, axe, fits
):
    """Journey 6: the first email goes out; the prospect follows its unsubscribe link (no
    login), confirms; no further touch is sent, even when the next one falls due."""
    set_clock(TODAY)
    cadence = services.cadence_ensure_standard(team_id=crew.team.pk)
    _with_signature(crew.sdr)
    lead = crew.lead(owner="sdr", prospect=ProspectFactory(time_zone="Europe/Oslo"))
    enrollment = services.enrollment_create(actor=crew.sdr, lead_id=lead.pk, cadence_id=cadence.pk)
    assert services.touch_dispatch_due().sent == 1
    email = lead.prospect.email
    (sent,) = mailoutbox
    link = re.search(r"https?://[^/\s]+(/u/[^\s>]+)", sent.body)
    assert link, sent.body

    # ``page`` is a fresh browser context: nobody is logged in.
    page.goto(f"{live_server.url}{link.group(1)}")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    expect(page.locator("main")).to_contain_text(f"Stop all emails from Nordlys CRM to {email}?")
    page.screenshot(path=str(screenshots / "cadence-unsubscribe-confirm.png"), full_page=True)
    axe(page, "unsubscribe confirm")
    fits(page, "unsubscribe-confirm")
    # A GET (a link scanner) changes nothing.
    assert not Suppression.objects.exists()
    assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ACTIVE

    page.get_by_role("button", name="Unsubscribe").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    expect(page.locator("main")).to_contain_text(
        f"{email} will not receive any more emails from Nordlys CRM."
    )
    page.screenshot(path=str(screenshots / "cadence-unsubscribe-done.png"), full_page=True)
    axe(page, "unsubscribe done")

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == (
        EnrollmentStatus.STOPPED,
        StopReason.UNSUBSCRIBED,
    )
    assert list(Suppression.objects.values_list("email", "reason")) == [
        (email, Suppression.Reason.UNSUBSCRIBED)
    ]
    assert (
        list(enrollment.touches.order_by("position").values_list("status", flat=True))
        == [TouchStatus.SENT] + [TouchStatus.CANCELLED] * 8
    )
    lead.prospect.refresh_from_db()
    assert lead.prospect.do_not_contact is True
    # Weeks later, when every step would have been due: nothing more is sent.
    set_clock(_oslo(2026, 5, 5, 10, 0))
    services.tick()
    assert services.touch_dispatch_due().sent == 0
    assert len(mailoutbox) == 1
    assert not Touch.objects.filter(status__in=[TouchStatus.SCHEDULED, TouchStatus.DUE]).exists()


def test_a_broken_unsubscribe_link_says_so(page, live_server, transactional_db, screenshots, axe):
    response = page.goto(f"{live_server.url}/u/not-a-token/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid")
    axe(page, "unsubscribe invalid")
    page.screenshot(path=str(screenshots / "cadence-unsubscribe-invalid.png"), full_page=True)
    assert not Suppression.objects.exists()


# --- 6. Phone width ---------------------------------------------------------------------------


def test_phone_width_today_and_lead_cadence_panel_have_no_horizontal_scroll(
    page, live_server, transactional_db, crew, login, screenshots, set_clock
):
    company = CompanyFactory(
        name="Nordic Industrial Automation Solutions Holding AS",
        industry="Industrial machinery and equipment",
    )
    a, b, c, _ = _today_scene(
        crew,
        set_clock,
        company=company,
        last_name="Christiansen-Lindqvist-Johannessen",
        title="Vice President of Procurement and Supply Chain Operations",
        phone="+47 22 33 44 55",
    )
    set_clock(TODAY)
    page.set_viewport_size({"width": 375, "height": 800})
    login(page, crew.sdr)

    page.wait_for_url(f"{live_server.url}/today/")
    expect(page.locator(".queue-item")).to_have_count(3)
    scroll_width, inner_width = _page_widths(page)
    page.screenshot(path=str(screenshots / "cadence-phone-today.png"), full_page=True)
    assert inner_width == 375
    assert scroll_width <= inner_width, _too_wide(page)

    page.locator(".queue-item").nth(1).get_by_role("button", name="Left voicemail").click()
    expect(page.get_by_role("region", name="Proposed reminder")).to_be_visible()
    scroll_width, inner_width = _page_widths(page)
    page.screenshot(path=str(screenshots / "cadence-phone-today-proposal.png"), full_page=True)
    assert scroll_width <= inner_width, _too_wide(page)

    page.goto(_lead_url(live_server, b))
    panel = page.locator("#cadence-panel")
    expect(panel.locator(".steps .step")).to_have_count(9)
    panel.get_by_text("Stop…").click()
    expect(panel.get_by_role("button", name="Stop the cadence")).to_be_visible()
    expect(panel.get_by_label("Why")).to_have_value(StopReason.MANUAL)
    scroll_width, inner_width = _page_widths(page)
    panel.screenshot(path=str(screenshots / "cadence-phone-lead-panel.png"))
    page.screenshot(path=str(screenshots / "cadence-phone-lead.png"), full_page=True)
    assert scroll_width <= inner_width, _too_wide(page)
