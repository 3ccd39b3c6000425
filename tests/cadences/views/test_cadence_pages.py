"""Cadence pages: the list, the editor (a form and a formset of steps), the calendar preview,
copy and archive, enrollment from the lead page and the lead list, the buttons on the lead
page (pause, resume, stop, reply) and who may do what."""

import re

import pytest
from django.contrib.messages import get_messages

from cadences.models import Cadence, CadenceStep, Enrollment
from cadences.services import cadence_ensure_standard, enrollment_pause
from leads.models import EventKind, Lead, LeadState
from tests.cadences.helpers import (
    cadence_snapshot,
    email,
    enroll,
    events,
    make_cadence,
    statuses,
)
from tests.fixtures import walk

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _shown(client, response) -> list[str]:
    messages = _messages(response)
    client.get("/cadences/")  # shows them, so they are gone for the next request
    return messages


def editor_post(name="Outbound", steps=(), **overrides) -> dict:
    """What the editor posts: the cadence form, then the steps formset with one blank extra
    step as the browser sends it."""
    data = {
        "name": name,
        "description": "",
        "window_start": "08:00",
        "window_end": "17:00",
        "window_days": ["0", "1", "2", "3", "4"],
    }
    blank = {"channel": "", "day_offset": "0", "offset_from": "previous", "breakup_wait_days": "5"}
    rows = [*steps, blank]
    data.update(
        {
            "steps-TOTAL_FORMS": str(len(rows)),
            "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "1",
            "steps-MAX_NUM_FORMS": "1000",
        }
    )
    for i, row in enumerate(rows):
        full = {
            "id": "",
            "day_offset": "0",
            "offset_from": "previous",
            "subject_template": "",
            "body_template": "",
            "instructions": "",
            "breakup_wait_days": "5",
            **row,
        }
        for key, value in full.items():
            if key == "is_breakup" and not value:
                continue
            data[f"steps-{i}-{key}"] = value
    data.update(overrides)
    return data


EMAIL_STEP = {
    "channel": "auto_email",
    "subject_template": 'Hi {{ prospect.first_name or "there" }}',
    "body_template": "Hello from {{ sdr.full_name }}",
}
CALL_STEP = {"channel": "call", "day_offset": "2", "instructions": "Call them"}


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("sdr", 200), ("bdr", 200), ("manager", 200),
                                              ("ae", 403), ("marketing", 403)])  # fmt: skip
def test_who_sees_the_cadence_pages(crew, client, role, status):
    cadence = make_cadence(crew.manager, [email()])
    client.force_login(getattr(crew, role))
    assert client.get("/cadences/").status_code == status
    assert client.get("/cadences/new/").status_code == status
    assert client.get("/cadences/snippets/").status_code == status
    detail = client.get(f"/cadences/{cadence.pk}/").status_code
    assert detail == (200 if status == 200 else 404)


def test_the_list_shows_the_teams_cadences_only(crew, other_crew, client):
    make_cadence(crew.manager, [email(), email(day_offset=1)], name="Ours")
    make_cadence(other_crew.manager, [email()], name="Theirs")
    client.force_login(crew.sdr)
    html = client.get("/cadences/").content.decode()
    assert "Ours" in html
    assert "Theirs" not in html


def test_another_teams_cadence_is_not_found_and_not_changed(crew, other_crew, client):
    theirs = make_cadence(other_crew.manager, [email()], name="Theirs")
    before = cadence_snapshot()
    client.force_login(crew.manager)
    assert client.get(f"/cadences/{theirs.pk}/").status_code == 404
    assert client.get(f"/cadences/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/cadences/{theirs.pk}/edit/", editor_post("Mine")).status_code == 404
    assert client.post(f"/cadences/{theirs.pk}/copy/").status_code == 404
    assert client.post(f"/cadences/{theirs.pk}/archive/", {"archived": "1"}).status_code == 404
    assert cadence_snapshot() == before


@pytest.mark.parametrize("role", ["ae", "marketing"])
def test_other_roles_are_forbidden_to_change_cadences(crew, client, role):
    cadence = make_cadence(crew.manager, [email()])
    before = cadence_snapshot()
    client.force_login(getattr(crew, role))
    assert client.post("/cadences/new/", editor_post(steps=[EMAIL_STEP])).status_code == 403
    assert client.post(f"/cadences/{cadence.pk}/copy/").status_code == 403
    assert client.post(f"/cadences/{cadence.pk}/archive/").status_code == 403
    assert client.post("/cadences/standard/").status_code == 403
    assert cadence_snapshot() == before


# --- The editor -------------------------------------------------------------------------------


def test_create_a_cadence_with_its_steps(crew, client):
    client.force_login(crew.sdr)

    response = client.post("/cadences/new/", editor_post("Outbound", [EMAIL_STEP, CALL_STEP]))

    cadence = Cadence.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/cadences/{cadence.pk}/")
    assert _messages(response) == ["Cadence “Outbound” saved."]
    assert (cadence.name, cadence.team_id, cadence.window_days) == (
        "Outbound", crew.team.pk, "01234",
    )  # fmt: skip
    assert list(
        cadence.steps.values_list("position", "channel", "day_offset", "subject_template")
    ) == [
        (1, "auto_email", 0, 'Hi {{ prospect.first_name or "there" }}'),
        (2, "call", 2, ""),
    ]


def test_an_unknown_placeholder_is_shown_next_to_its_field_and_nothing_is_saved(crew, client):
    client.force_login(crew.sdr)
    bad = {**EMAIL_STEP, "body_template": "Hi {{ prospect.nickname }}"}

    response = client.post("/cadences/new/", editor_post("Outbound", [CALL_STEP, bad]))

    assert response.status_code == 400
    html = response.content.decode()
    assert (
        '<p class="field-error" id="id_steps-1-body_template_error">'
        "Unknown field &#x27;prospect.nickname&#x27; in {{ prospect.nickname }}</p>"
    ) in html
    assert "Some steps need fixing" in html
    assert "Hi {{ prospect.nickname }}</textarea>" in html  # what was typed is kept
    assert Cadence.objects.count() == 0
    assert CadenceStep.objects.count() == 0


def test_a_break_up_step_that_is_not_last_is_refused_by_the_service(crew, client):
    client.force_login(crew.sdr)
    breakup = {**EMAIL_STEP, "is_breakup": "on"}
    response = client.post("/cadences/new/", editor_post("Outbound", [breakup, CALL_STEP]))
    assert response.status_code == 400
    assert "Step 1: The break-up step must be the last step." in response.content.decode()
    assert Cadence.objects.count() == 0


def test_a_taken_name_is_shown_on_the_name_field(crew, client):
    make_cadence(crew.manager, [email()], name="Outbound")
    before = cadence_snapshot()
    client.force_login(crew.sdr)
    response = client.post("/cadences/new/", editor_post("Outbound", [EMAIL_STEP]))
    assert response.status_code == 400
    assert (
        '<p class="field-error" id="id_name_error">'
        "Your team already has a cadence with this name.</p>"
    ) in response.content.decode()
    assert cadence_snapshot() == before


def test_edit_a_cadence(crew, client):
    cadence = make_cadence(crew.manager, [email(subject="Old")], name="Outbound")
    step = cadence.steps.get()
    client.force_login(crew.manager)
    page = client.get(f"/cadences/{cadence.pk}/edit/").content.decode()
    assert 'value="Old"' in page
    changed = {**EMAIL_STEP, "id": str(step.pk), "subject_template": "New"}
    data = editor_post("Outbound v2", [changed, CALL_STEP])
    data["steps-INITIAL_FORMS"] = "1"

    response = client.post(f"/cadences/{cadence.pk}/edit/", data)

    assert (response.status_code, response["Location"]) == (302, f"/cadences/{cadence.pk}/")
    cadence.refresh_from_db()
    assert cadence.name == "Outbound v2"
    assert list(cadence.steps.values_list("pk", "subject_template")) == [
        (step.pk, "New"),
        (cadence.steps.get(position=2).pk, ""),
    ]


def test_copy_archive_and_the_standard_cadence_buttons(crew, client):
    cadence = make_cadence(crew.manager, [email()], name="Outbound")
    client.force_login(crew.sdr)

    copied = client.post(f"/cadences/{cadence.pk}/copy/")
    copy = Cadence.objects.get(name="Copy of Outbound")
    assert copied["Location"] == f"/cadences/{copy.pk}/edit/"
    assert _shown(client, copied) == ["Copied as “Copy of Outbound”. Edit it to make it your own."]
    assert (copy.owner_id, copy.team_id) == (crew.sdr.pk, crew.team.pk)  # the SDR's own

    client.force_login(crew.manager)  # a team cadence: the manager archives it

    archived = client.post(f"/cadences/{cadence.pk}/archive/", {"archived": "1"})
    assert archived["Location"] == f"/cadences/{cadence.pk}/"
    assert _shown(client, archived) == ["“Outbound” archived: it takes no new enrollments."]
    assert Cadence.objects.get(pk=cadence.pk).is_archived is True
    assert "Outbound" in client.get("/cadences/", {"archived": "1"}).content.decode()
    client.post(f"/cadences/{cadence.pk}/archive/", {"archived": "0"})
    assert Cadence.objects.get(pk=cadence.pk).is_archived is False

    first = client.post("/cadences/standard/")
    second = client.post("/cadences/standard/")
    standard = Cadence.objects.get(name="Standard outbound (9 touches)")
    assert first["Location"] == second["Location"] == f"/cadences/{standard.pk}/"
    assert standard.steps.count() == 9


# --- The calendar preview ---------------------------------------------------------------------


def preview_rows(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td>([^<]*)</td>", html)


def test_the_preview_shows_the_calendar_of_a_start_date_and_time_zone(crew, client):
    standard = cadence_ensure_standard(team_id=crew.team.pk)
    client.force_login(crew.sdr)

    oslo = client.get(
        f"/cadences/{standard.pk}/",
        {"start": "2027-05-03T10:00", "timezone": "Europe/Oslo", "country": "no"},
    )

    assert oslo.status_code == 200
    assert preview_rows(oslo.content.decode()) == [
        ("1", "1", "Mon 3 May 2027 10:00"),
        ("2", "1", "Mon 3 May 2027 10:00"),
        ("3", "3", "Wed 5 May 2027 08:00"),
        ("4", "9", "Tue 11 May 2027 08:00"),  # Ascension Day on the way
        ("5", "11", "Thu 13 May 2027 08:00"),
        ("6", "11", "Thu 13 May 2027 08:00"),
        ("7", "17", "Wed 19 May 2027 08:00"),  # 17 May
        ("8", "22", "Mon 24 May 2027 08:00"),
        ("9", "25", "Thu 27 May 2027 08:00"),
    ]

    new_york = client.get(
        f"/cadences/{standard.pk}/",
        {"start": "2027-05-14T18:30", "timezone": "America/New_York", "country": "US"},
    )
    html = new_york.content.decode()
    assert "When (America/New_York)" in html
    # Friday evening: Monday 17 May, a working day in the US, at 08:00 New York time.
    assert preview_rows(html)[:3] == [
        ("1", "1", "Mon 17 May 2027 08:00"),
        ("2", "1", "Mon 17 May 2027 08:00"),
        ("3", "3", "Wed 19 May 2027 08:00"),
    ]


def test_a_bad_time_zone_is_a_form_error_not_a_500(crew, client):
    standard = cadence_ensure_standard(team_id=crew.team.pk)
    client.force_login(crew.sdr)
    response = client.get(
        f"/cadences/{standard.pk}/",
        {"start": "2027-05-03T10:00", "timezone": "Mars/Olympus", "country": "NO"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<p class="field-error" id="id_timezone_error">'
        "Unknown time zone; use a name like Europe/Oslo.</p>"
    ) in html
    assert len(preview_rows(html)) == 9  # the default calendar, from now in Oslo
    bad_date = client.get(f"/cadences/{standard.pk}/", {"start": "tomorrow", "timezone": "UTC"})
    assert bad_date.status_code == 200
    assert 'id="id_start_error"' in bad_date.content.decode()


# --- Enrollment -------------------------------------------------------------------------------


def test_enroll_from_the_lead_page(crew, standard, now, client):
    lead = crew.lead()
    client.force_login(crew.sdr)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'action="/cadences/enroll/"' in page
    assert f'<option value="{standard.pk}">{standard.name}</option>' in page

    response = client.post(
        "/cadences/enroll/",
        {"lead": lead.pk, "cadence": standard.pk, "next": f"/leads/{lead.pk}/"},
    )

    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _messages(response) == ["1 lead enrolled."]
    enrollment = Enrollment.objects.get(lead=lead)
    assert (enrollment.status, enrollment.cadence_id) == ("active", standard.pk)
    assert Lead.objects.get(pk=lead.pk).state == LeadState.CONTACTING
    panel = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f'action="/cadences/enrollments/{enrollment.pk}/pause/"' in panel
    assert f'action="/cadences/leads/{lead.pk}/reply/"' in panel


def test_enroll_a_selection_from_the_lead_list(crew, standard, now, client):
    ok_1, ok_2 = crew.lead(), crew.lead()
    refused = crew.lead(prospect__do_not_contact=True)
    client.force_login(crew.sdr)
    listing = client.get("/leads/").content.decode()
    assert 'formaction="/cadences/enroll/"' in listing

    response = client.post(
        "/cadences/enroll/",
        {"lead": [ok_1.pk, refused.pk, ok_2.pk], "cadence": standard.pk, "next": "/leads/"},
    )

    assert (response.status_code, response["Location"]) == (302, "/leads/")
    assert _messages(response) == [
        "2 leads enrolled.",
        f"Lead #{refused.pk} not enrolled: This prospect must not be contacted.",
    ]
    assert set(Enrollment.objects.values_list("lead_id", flat=True)) == {ok_1.pk, ok_2.pk}
    assert Lead.objects.get(pk=refused.pk).state == LeadState.NEW


def test_enroll_without_a_selection_or_in_another_teams_cadence(crew, other_crew, now, client):
    theirs = make_cadence(other_crew.manager, [email()], name="Theirs")
    lead = crew.lead()
    before = cadence_snapshot()
    client.force_login(crew.sdr)
    for data in ({"cadence": theirs.pk, "lead": lead.pk}, {"cadence": "", "lead": lead.pk}):
        response = client.post("/cadences/enroll/", data)
        assert response["Location"] == "/leads/"
        assert _shown(client, response) == ["Select leads and a cadence to enroll them in."]
    assert cadence_snapshot() == before


def test_enrolling_someone_elses_lead_reports_it_not_found(crew, standard, now, client):
    theirs = crew.lead(owner="sdr2")
    before = cadence_snapshot()
    client.force_login(crew.sdr)
    response = client.post("/cadences/enroll/", {"lead": theirs.pk, "cadence": standard.pk})
    assert _messages(response) == [f"Lead #{theirs.pk} not enrolled: not found"]
    assert cadence_snapshot() == before


# --- The buttons on the lead page -------------------------------------------------------------


def test_pause_resume_and_stop_buttons(crew, standard, now, client):
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    back = {"next": f"/leads/{lead.pk}/"}
    client.force_login(crew.sdr)

    paused = client.post(f"/cadences/enrollments/{enrollment.pk}/pause/", back)
    assert (paused.status_code, paused["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _shown(client, paused) == ["Cadence paused."]
    assert Enrollment.objects.get(pk=enrollment.pk).status == "paused"
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f'action="/cadences/enrollments/{enrollment.pk}/resume/"' in page

    again = client.post(f"/cadences/enrollments/{enrollment.pk}/pause/")
    assert again["Location"] == "/today/"
    assert _shown(client, again) == ["Only an active cadence can be paused."]

    resumed = client.post(f"/cadences/enrollments/{enrollment.pk}/resume/", back)
    assert _shown(client, resumed) == ["Cadence resumed: the next steps were rescheduled from now."]
    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"

    before = cadence_snapshot()
    bad = client.post(f"/cadences/enrollments/{enrollment.pk}/stop/", {"reason": "bored"})
    assert _shown(client, bad) == ["Choose why the cadence stops."]
    assert cadence_snapshot() == before

    stopped = client.post(
        f"/cadences/enrollments/{enrollment.pk}/stop/",
        {"reason": "manual", "note": "Wrong person", **back},
    )
    assert _shown(client, stopped) == ["Cadence stopped."]
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason, enrollment.stop_note) == (
        "stopped", "manual", "Wrong person",
    )  # fmt: skip
    assert statuses(enrollment) == ["cancelled"] * 9


@pytest.mark.parametrize("role", ["sdr2", "ae", "marketing"])
def test_someone_elses_enrollment_is_not_found(crew, standard, now, client, role):
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    before = cadence_snapshot()
    client.force_login(getattr(crew, role))
    for action in ("pause", "resume", "stop"):
        response = client.post(
            f"/cadences/enrollments/{enrollment.pk}/{action}/", {"reason": "manual"}
        )
        assert response.status_code == 404, action
    assert client.post(f"/cadences/leads/{lead.pk}/reply/").status_code == 404
    assert (
        client.post(
            f"/cadences/leads/{lead.pk}/reminders/", {"due_at": "2027-05-04T09:00", "note": "x"}
        ).status_code
        == 404
    )
    assert cadence_snapshot() == before


def test_a_manager_of_another_team_gets_404(crew, other_crew, standard, now, client):
    enrollment = enroll(crew.sdr, crew.lead(), standard)
    before = cadence_snapshot()
    client.force_login(other_crew.manager)
    assert client.post(f"/cadences/enrollments/{enrollment.pk}/pause/").status_code == 404
    assert cadence_snapshot() == before


def test_the_sdrs_manager_may_pause_and_a_pool_lead_is_forbidden(crew, standard, now, client):
    enrollment = enroll(crew.sdr, crew.lead(), standard)
    client.force_login(crew.manager)
    assert client.post(f"/cadences/enrollments/{enrollment.pk}/pause/").status_code == 302
    assert Enrollment.objects.get(pk=enrollment.pk).status == "paused"
    # An SDR sees the team's unassigned pool but may not work its leads.
    pool_lead = crew.lead(owner=None)
    walk(pool_lead, "researching", sdr=crew.manager)
    before = cadence_snapshot()
    client.force_login(crew.sdr)
    assert client.post(f"/cadences/leads/{pool_lead.pk}/reply/").status_code == 403
    assert cadence_snapshot() == before


def test_the_reply_button(crew, standard, now, client):
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    client.force_login(crew.sdr)

    response = client.post(f"/cadences/leads/{lead.pk}/reply/", {"body": "Let's talk Tuesday"})

    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _messages(response) == ["Reply recorded: the cadence stopped and the lead is engaged."]
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ENGAGED
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "replied")
    assert events(lead, EventKind.REPLY)[0].body == "Let's talk Tuesday"


def test_the_panel_offers_no_enrollment_to_a_paused_lead_or_an_ae(crew, standard, now, client):
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    enrollment_pause(actor=crew.sdr, enrollment_id=enrollment.pk)
    client.force_login(crew.sdr)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'action="/cadences/enroll/"' not in page
    handed = walk(crew.lead(), "handed_off", ae=crew.ae)
    client.force_login(crew.ae)
    page = client.get(f"/leads/{handed.pk}/").content.decode()
    assert 'action="/cadences/enroll/"' not in page


def test_the_exit_rule_someone_else_at_the_company_replied_is_set_on_the_editor(crew, client):
    cadence = make_cadence(crew.manager, [email(subject="Old")], name="Outbound")
    step = cadence.steps.get()
    client.force_login(crew.manager)
    page = client.get(f"/cadences/{cadence.pk}/edit/").content.decode()
    assert 'name="stop_on_colleague_reply"' in page
    assert "Stop when someone else at the company replies" in page
    data = editor_post("Outbound", [{**EMAIL_STEP, "id": str(step.pk)}])
    data["steps-INITIAL_FORMS"] = "1"

    client.post(f"/cadences/{cadence.pk}/edit/", {**data, "stop_on_colleague_reply": "on"})
    assert Cadence.objects.get(pk=cadence.pk).stop_on_colleague_reply is True
    page = client.get(f"/cadences/{cadence.pk}/edit/").content.decode()
    assert 'id="id_stop_on_colleague_reply" checked' in page

    client.post(f"/cadences/{cadence.pk}/edit/", data)  # the box left empty
    assert Cadence.objects.get(pk=cadence.pk).stop_on_colleague_reply is False
