"""Cadence templates: create, edit, copy, archive; validation at save time; touches already
enrolled keep the content they were enrolled with; the standard playbook cadence."""

from datetime import time

import pytest

from cadences.models import Cadence, CadenceStep, Channel, OffsetFrom, Snippet, Touch
from cadences.services import (
    CadenceData,
    CadenceInvalid,
    StepData,
    cadence_copy,
    cadence_create,
    cadence_ensure_standard,
    cadence_set_archived,
    cadence_update,
    cadence_validate_steps,
    snippet_save,
)
from cadences.standard import STANDARD_NAME
from leads.services import LeadForbidden
from sdrcrm.errors import NotFound
from tests.cadences.helpers import cadence_snapshot, email, enroll, make_cadence, task

pytestmark = pytest.mark.django_db


def steps_of(cadence) -> list[tuple]:
    return list(
        CadenceStep.objects.filter(cadence=cadence)
        .order_by("position")
        .values_list("position", "channel", "day_offset", "offset_from", "subject_template")
    )


def data(name="Outbound", steps=None, **kwargs) -> CadenceData:
    return CadenceData(name=name, steps=steps if steps is not None else [email()], **kwargs)


# --- Create -------------------------------------------------------------------------------------


def test_create_a_cadence(crew):
    cadence = cadence_create(
        actor=crew.manager,
        data=data(
            name="  Outbound Q3  ",
            description=" For new logos ",
            window_start=time(9, 0),
            window_end=time(16, 0),
            window_days="0123",
            steps=[
                email(subject="Hi {{ prospect.first_name }}\r\nBcc: x@example.com"),
                task(Channel.LINKEDIN_CONNECT),
                task(Channel.CALL, day_offset=2, offset_from=OffsetFrom.ENROLLMENT),
                email(subject="Closing the loop", day_offset=3, is_breakup=True),
            ],
        ),
    )
    cadence.refresh_from_db()
    assert (cadence.name, cadence.description, cadence.team_id, cadence.created_by_id) == (
        "Outbound Q3", "For new logos", crew.team.pk, crew.manager.pk,
    )  # fmt: skip
    assert (cadence.window_start, cadence.window_end, cadence.window_days) == (
        time(9, 0), time(16, 0), "0123",
    )  # fmt: skip
    assert cadence.is_archived is False
    assert steps_of(cadence) == [
        (1, "auto_email", 0, "previous", "Hi {{ prospect.first_name }} Bcc: x@example.com"),
        (2, "linkedin_connect", 0, "previous", ""),
        (3, "call", 2, "enrollment", ""),
        (4, "auto_email", 3, "previous", "Closing the loop"),
    ]
    assert list(cadence.steps.values_list("is_breakup", flat=True)) == [False, False, False, True]


def test_defaults_for_the_send_window(crew):
    cadence = cadence_create(actor=crew.sdr, data=data())
    assert (cadence.window_start, cadence.window_end, cadence.window_days) == (
        time(8, 0), time(17, 0), "01234",
    )  # fmt: skip


@pytest.mark.parametrize("role", ["sdr", "bdr", "manager"])
def test_prospectors_and_managers_create_cadences(crew, role):
    cadence = cadence_create(actor=getattr(crew, role), data=data(name=f"By {role}"))
    assert Cadence.objects.filter(pk=cadence.pk, team=crew.team).exists()


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("ae", "Only managers, SDRs and BDRs edit cadences."),
        ("marketing", "Only managers, SDRs and BDRs edit cadences."),
        ("admin", "You need to belong to a team to edit cadences."),
    ],
)
def test_other_roles_cannot_create_cadences(crew, role, message):
    with pytest.raises(LeadForbidden) as exc:
        cadence_create(actor=getattr(crew, role), data=data())
    assert str(exc.value) == message
    assert Cadence.objects.count() == 0
    assert CadenceStep.objects.count() == 0


@pytest.mark.parametrize(
    ("cadence_data", "message", "field"),
    [
        (
            data(steps=[email(body="Hi {{ prospect.nickname }}")]),
            "Step 1: Unknown field 'prospect.nickname' in {{ prospect.nickname }}",
            "steps",
        ),
        (
            data(steps=[task(), email(subject="Hi {{ 7*7 }}")]),
            "Step 2: {{ 7*7 }} is not a placeholder: write {{ prospect.first_name }}",
            "steps",
        ),
        (
            data(steps=[email(is_breakup=True), email()]),
            "Step 1: The break-up step must be the last step.",
            "steps",
        ),
        (
            data(steps=[email(), task(Channel.CALL, is_breakup=True)]),
            "Step 2: The break-up step must be an email.",
            "steps",
        ),
        (data(steps=[email(subject="  ")]), "Step 1: An email step needs a subject.", "steps"),
        (
            data(steps=[StepData(channel=Channel.MANUAL_EMAIL, body_template="Hi")]),
            "Step 1: An email step needs a subject.",
            "steps",
        ),
        (data(steps=[email(body="")]), "Step 1: An email step needs a body.", "steps"),
        (
            data(steps=[task(Channel.CALL, instructions=" ")]),
            "Step 1: Say what the SDR should do in this step.",
            "steps",
        ),
        (
            data(steps=[email(subject="Leave: {{ unsubscribe_url }}")]),
            "Step 1: The unsubscribe link belongs in the body.",
            "steps",
        ),
        (data(steps=[StepData(channel="fax")]), "Step 1: Choose a channel.", "steps"),
        (
            data(steps=[email(day_offset=61)]),
            "Step 1: At most 60 business days between steps.",
            "steps",
        ),
        (data(steps=[]), "A cadence needs at least one step.", "steps"),
        (data(name="   "), "Give the cadence a name.", "name"),
        (
            data(window_start=time(17, 0), window_end=time(8, 0)),
            "The send window must end after it starts.",
            "window_end",
        ),
        (data(window_days=""), "Choose at least one sending day.", "window_days"),
        (data(window_days="017"), "Choose at least one sending day.", "window_days"),
    ],
)
def test_invalid_cadences_are_refused_at_save(crew, cadence_data, message, field):
    with pytest.raises(CadenceInvalid) as exc:
        cadence_create(actor=crew.manager, data=cadence_data)
    assert (str(exc.value), exc.value.field) == (message, field)
    assert Cadence.objects.count() == 0
    assert CadenceStep.objects.count() == 0


def test_validate_steps_reports_every_problem():
    problems = cadence_validate_steps(
        [email(subject="", body="{{ x.y }}", is_breakup=True), task(Channel.CALL, instructions="")]
    )
    assert problems == [
        (0, "subject_template", "An email step needs a subject."),
        (0, "body_template", "Unknown field 'x.y' in {{ x.y }}"),
        (0, "is_breakup", "The break-up step must be the last step."),
        (1, "instructions", "Say what the SDR should do in this step."),
    ]


def test_names_are_unique_per_team(crew, other_crew):
    cadence_create(actor=crew.manager, data=data(name="Outbound"))
    with pytest.raises(CadenceInvalid) as exc:
        cadence_create(actor=crew.sdr, data=data(name=" Outbound "))
    assert (str(exc.value), exc.value.field) == (
        "Your team already has a cadence with this name.",
        "name",
    )
    assert Cadence.objects.count() == 1
    assert CadenceStep.objects.count() == 1
    # Another team may use the name.
    cadence_create(actor=other_crew.manager, data=data(name="Outbound"))
    assert Cadence.objects.count() == 2


# --- Update -------------------------------------------------------------------------------------


def test_update_renumbers_edits_adds_and_removes_steps(crew):
    cadence = make_cadence(crew.manager, [email(subject="One"), task(), email(subject="Three")])
    one, two, three = cadence.steps.order_by("position")
    cadence_update(
        actor=crew.sdr,
        cadence_id=cadence.pk,
        data=data(
            name="Renamed",
            window_days="12",
            steps=[
                email(id=three.pk, subject="Three, now first", day_offset=1),
                email(id=one.pk, subject="One, now second"),
                task(Channel.LINKEDIN_MESSAGE, day_offset=4),
            ],
        ),
    )
    cadence.refresh_from_db()
    assert (cadence.name, cadence.window_days) == ("Renamed", "12")
    assert steps_of(cadence) == [
        (1, "auto_email", 1, "previous", "Three, now first"),
        (2, "auto_email", 0, "previous", "One, now second"),
        (3, "linkedin_message", 4, "previous", ""),
    ]
    ids = list(cadence.steps.order_by("position").values_list("pk", flat=True))
    assert ids[:2] == [three.pk, one.pk]
    assert two.pk not in ids
    assert not CadenceStep.objects.filter(pk=two.pk).exists()


def test_editing_does_not_change_touches_already_enrolled(crew, standard):
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    steps = list(standard.steps.order_by("position"))
    before = list(
        Touch.objects.filter(enrollment=enrollment)
        .order_by("position")
        .values("subject_template", "body_template", "instructions", "day_offset", "due_at")
    )
    edited = [
        StepData(
            id=s.pk,
            channel=s.channel,
            day_offset=s.day_offset + 1,
            subject_template=("Edited: " + s.subject_template) if s.is_email else "",
            body_template="Edited body {{ prospect.first_name }}" if s.is_email else "",
            instructions="" if s.is_email else "Edited instructions",
            is_breakup=s.is_breakup,
        )
        for s in steps
    ]
    cadence_update(
        actor=crew.manager, cadence_id=standard.pk, data=data(name=standard.name, steps=edited)
    )

    after = list(
        Touch.objects.filter(enrollment=enrollment)
        .order_by("position")
        .values("subject_template", "body_template", "instructions", "day_offset", "due_at")
    )
    assert after == before
    assert standard.steps.get(position=1).subject_template.startswith("Edited: ")
    # A lead enrolled after the edit gets the new content.
    later = enroll(crew.sdr, crew.lead(), standard)
    first = Touch.objects.get(enrollment=later, position=1)
    assert first.subject_template == standard.steps.get(position=1).subject_template
    assert first.body_template == "Edited body {{ prospect.first_name }}"


def test_removing_a_step_used_by_enrollments_is_refused(crew):
    cadence = make_cadence(crew.manager, [email(subject="One"), task(), email(subject="Three")])
    enroll(crew.sdr, crew.lead(), cadence)
    one, two, three = cadence.steps.order_by("position")
    before = cadence_snapshot()

    with pytest.raises(CadenceInvalid) as exc:
        cadence_update(
            actor=crew.manager,
            cadence_id=cadence.pk,
            data=data(
                name="Renamed too",
                steps=[email(id=one.pk, subject="One"), email(id=three.pk, subject="Three")],
            ),
        )

    assert str(exc.value) == (
        "Step 2 has already been used by enrollments and cannot be removed; copy the cadence "
        "to make a different sequence."
    )
    assert cadence_snapshot() == before  # not even the name changed


def test_an_invalid_edit_changes_nothing(crew):
    cadence = make_cadence(crew.manager, [email(subject="One")])
    before = cadence_snapshot()
    step = cadence.steps.get()
    with pytest.raises(CadenceInvalid):
        cadence_update(
            actor=crew.manager,
            cadence_id=cadence.pk,
            data=data(name="New", steps=[email(id=step.pk, subject="{{ prospect.age }}")]),
        )
    assert cadence_snapshot() == before


def test_renaming_to_a_taken_name_is_refused(crew):
    make_cadence(crew.manager, [email()], name="Taken")
    cadence = make_cadence(crew.manager, [email()], name="Mine")
    before = cadence_snapshot()
    with pytest.raises(CadenceInvalid, match="already has a cadence with this name"):
        cadence_update(actor=crew.manager, cadence_id=cadence.pk, data=data(name="Taken"))
    assert cadence_snapshot() == before


def test_another_teams_cadence_is_not_found(crew, other_crew):
    theirs = make_cadence(other_crew.manager, [email()], name="Theirs")
    before = cadence_snapshot()
    with pytest.raises(NotFound):
        cadence_update(actor=crew.manager, cadence_id=theirs.pk, data=data(name="Mine now"))
    with pytest.raises(NotFound):
        cadence_copy(actor=crew.sdr, cadence_id=theirs.pk)
    with pytest.raises(NotFound):
        cadence_set_archived(actor=crew.manager, cadence_id=theirs.pk, archived=True)
    assert cadence_snapshot() == before


@pytest.mark.parametrize("role", ["ae", "marketing"])
def test_other_roles_cannot_edit_copy_or_archive(crew, role):
    cadence = make_cadence(crew.manager, [email()])
    before = cadence_snapshot()
    actor = getattr(crew, role)
    with pytest.raises(LeadForbidden):
        cadence_update(actor=actor, cadence_id=cadence.pk, data=data(name="X"))
    with pytest.raises(LeadForbidden):
        cadence_copy(actor=actor, cadence_id=cadence.pk)
    with pytest.raises(LeadForbidden):
        cadence_set_archived(actor=actor, cadence_id=cadence.pk, archived=True)
    assert cadence_snapshot() == before


# --- Copy and archive -----------------------------------------------------------------------------


def test_a_steps_content_is_every_field_but_its_place_and_a_touch_has_each():
    """What a touch and a cadence's copy take from a step (CadenceStep.content()): a field added
    to the step fails this until it is said to be content or not."""
    place = {"id", "cadence", "position"}
    assert CadenceStep.CONTENT_FIELDS == (
        "channel", "subject_template", "body_template", "instructions", "day_offset",
        "offset_from", "is_breakup", "breakup_wait_days", "reply_in_thread",
    )  # fmt: skip
    assert set(CadenceStep.CONTENT_FIELDS) == {
        f.name for f in CadenceStep._meta.concrete_fields
    } - place
    assert set(CadenceStep.CONTENT_FIELDS) <= {f.name for f in Touch._meta.concrete_fields}


def test_copy_a_cadence(crew):
    source = make_cadence(
        crew.manager,
        [
            email(subject="One"),
            task(day_offset=2, offset_from=OffsetFrom.ENROLLMENT, instructions="Call at ten."),
            email(subject="Bye", body="Last one.", is_breakup=True, breakup_wait_days=8),
        ],
        name="Outbound",
        window_days="0246",
    )
    first = cadence_copy(actor=crew.sdr, cadence_id=source.pk)
    second = cadence_copy(actor=crew.sdr, cadence_id=source.pk)

    assert (first.name, second.name) == ("Copy of Outbound", "Copy of Outbound (2)")
    assert (first.created_by_id, first.window_days, first.team_id) == (
        crew.sdr.pk, "0246", crew.team.pk,
    )  # fmt: skip
    assert steps_of(first) == steps_of(source) == steps_of(second)

    def content(cadence):
        return list(
            cadence.steps.order_by("position").values_list(
                "position", "channel", "subject_template", "body_template", "instructions",
                "day_offset", "offset_from", "is_breakup", "breakup_wait_days",
            )  # fmt: skip
        )

    assert content(first) == content(source) == content(second)
    assert content(first)[1:] == [
        (2, "call", "", "", "Call at ten.", 2, "enrollment", False, 5),
        (3, "auto_email", "Bye", "Last one.", "", 0, "previous", True, 8),
    ]
    assert set(first.steps.values_list("pk", flat=True)).isdisjoint(
        source.steps.values_list("pk", flat=True)
    )


def test_archive_and_restore(crew):
    cadence = make_cadence(crew.manager, [email()])
    assert cadence_set_archived(actor=crew.sdr, cadence_id=cadence.pk, archived=True).is_archived
    assert Cadence.objects.get(pk=cadence.pk).is_archived is True
    cadence_set_archived(actor=crew.sdr, cadence_id=cadence.pk, archived=False)
    assert Cadence.objects.get(pk=cadence.pk).is_archived is False


# --- The standard cadence -------------------------------------------------------------------------


def test_the_standard_cadence_is_created_once(crew):
    first = cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager)
    second = cadence_ensure_standard(team_id=crew.team.pk)
    assert first.pk == second.pk
    assert Cadence.objects.filter(team=crew.team).count() == 1
    assert CadenceStep.objects.filter(cadence=first).count() == 9
    assert (first.name, first.created_by_id) == (STANDARD_NAME, crew.manager.pk)


def test_the_standard_cadence_follows_the_playbook_and_is_valid(standard):
    steps = list(standard.steps.order_by("position"))
    assert [(s.channel, s.day_offset) for s in steps] == [
        ("auto_email", 0),  # day 1: email
        ("linkedin_connect", 0),  # and LinkedIn
        ("auto_email", 2),  # two days later
        ("auto_email", 3),  # a few days after
        ("call", 2),  # two days later a call (voicemail if unanswered)
        ("auto_email", 0),  # and an email
        ("auto_email", 3),  # two more follow-ups
        ("auto_email", 3),
        ("auto_email", 3),  # the break-up
    ]
    assert [s.is_breakup for s in steps] == [False] * 8 + [True]
    as_data = [
        StepData(
            channel=s.channel,
            day_offset=s.day_offset,
            subject_template=s.subject_template,
            body_template=s.body_template,
            instructions=s.instructions,
            is_breakup=s.is_breakup,
        )
        for s in steps
    ]
    assert cadence_validate_steps(as_data) == []


def test_each_team_gets_its_own_standard_cadence(crew, other_crew):
    ours = cadence_ensure_standard(team_id=crew.team.pk)
    theirs = cadence_ensure_standard(team_id=other_crew.team.pk)
    assert ours.pk != theirs.pk
    assert CadenceStep.objects.count() == 18


# --- Snippets -------------------------------------------------------------------------------------


def test_snippets_are_saved_per_team(crew, other_crew):
    snippet = snippet_save(actor=crew.sdr, title=" Pricing ", body=" From 49 EUR a seat. ")
    assert (snippet.title, snippet.body, snippet.team_id) == (
        "Pricing", "From 49 EUR a seat.", crew.team.pk,
    )  # fmt: skip
    snippet_save(actor=crew.manager, title="Pricing", body="Now 59.", snippet_id=snippet.pk)
    assert Snippet.objects.get(pk=snippet.pk).body == "Now 59."
    with pytest.raises(CadenceInvalid, match="A snippet with this title exists."):
        snippet_save(actor=crew.sdr, title="Pricing", body="Again")
    with pytest.raises(CadenceInvalid, match="A snippet needs a title and a text."):
        snippet_save(actor=crew.sdr, title="Empty", body="  ")
    with pytest.raises(NotFound):
        snippet_save(actor=other_crew.sdr, title="Mine", body="x", snippet_id=snippet.pk)
    with pytest.raises(LeadForbidden):
        snippet_save(actor=crew.ae, title="AE", body="x")
    assert list(Snippet.objects.values_list("title", "body")) == [("Pricing", "Now 59.")]
