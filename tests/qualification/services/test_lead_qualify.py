"""The SDR's judgement: qualify and hand off, scrap or nurture; overrides and who may make
them; and that a refused decision changes nothing at all."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import DisqualifyReason, EventKind, Lead, LeadEvent, LeadState
from leads.services import LeadConflict, LeadForbidden, LeadInvalid
from notifications.models import Notification, NotificationKind
from qualification.models import (
    Decision,
    LeadAnswers,
    LeadScore,
    Override,
    QualificationDecision,
)
from qualification.services import Brief, QualifyInput, lead_qualify
from sdrcrm.errors import NotFound
from tests.qualification.conftest import BRIEF, BRIEF_TEXT, HIGH, LOW, qualification_snapshot


def qualify(**kwargs) -> QualifyInput:
    return QualifyInput(decision=Decision.QUALIFY, answers=HIGH, brief=BRIEF, **kwargs)


def new_events(lead, before: list[int]):
    return list(
        LeadEvent.objects.filter(lead=lead)
        .exclude(pk__in=before)
        .order_by("id")
        .values_list("kind", "from_state", "to_state", "actor_id")
    )


def test_qualifying_above_the_threshold_hands_off_to_the_chosen_ae(
    crew, model, make_lead, django_capture_on_commit_callbacks, on_commit_tasks
):
    lead = make_lead("engaged")
    before = list(LeadEvent.objects.filter(lead=lead).values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        outcome = lead_qualify(
            actor=crew.sdr,
            lead_id=lead.pk,
            data=qualify(ae_id=crew.ae.pk, expected_state="engaged"),
        )

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.state, lead.assigned_ae_id, lead.score) == (LeadState.HANDED_OFF, crew.ae.pk, 100)
    assert lead.handoff_brief == BRIEF_TEXT
    assert (outcome.ae, outcome.routed, outcome.result.score) == (crew.ae, False, 100)
    decision = QualificationDecision.objects.get(lead=lead)
    assert (decision.decision, decision.actor_id, decision.model_id, decision.score) == (
        Decision.QUALIFY,
        crew.sdr.pk,
        model.pk,
        100,
    )
    assert (decision.verdict, decision.override, decision.override_reason) == ("qualified", "", "")
    assert (decision.ae_id, decision.routed) == (crew.ae.pk, False)
    assert decision.brief == {
        "need": BRIEF.need, "budget": BRIEF.budget, "timeline": BRIEF.timeline,
        "decision_maker": BRIEF.decision_maker, "next_step": BRIEF.next_step,
    }  # fmt: skip
    assert [f["explanation"] for f in decision.breakdown["factors"]][0] == "51–200 employees: +20"
    answers = LeadAnswers.objects.get(lead=lead)
    assert (answers.budget, answers.timeline, answers.need, answers.last_decision_id) == (
        150_000,
        "this_quarter",
        "confirmed",
        decision.pk,
    )
    stored = LeadScore.objects.get(lead=lead)
    assert (stored.model_id, stored.score, stored.points, stored.disqualifier) == (
        model.pk,
        100,
        100,
        "",
    )
    assert new_events(lead, before) == [
        (EventKind.SCORE, "", "", crew.sdr.pk),
        (EventKind.TRANSITION, LeadState.ENGAGED, LeadState.QUALIFIED, crew.sdr.pk),
        (EventKind.TRANSITION, LeadState.QUALIFIED, LeadState.HANDED_OFF, crew.sdr.pk),
    ]
    score_event = LeadEvent.objects.get(lead=lead, kind=EventKind.SCORE)
    assert score_event.body == "Qualified at score 100 (threshold 60)."
    assert score_event.payload == {
        "from": None, "to": 100, "points": 100, "model_version": 1, "verdict": "qualified",
        "disqualifiers": [], "decision": "qualify", "override": "",
    }  # fmt: skip
    notification = Notification.objects.get(lead=lead)
    assert (notification.user_id, notification.kind) == (crew.ae.pk, NotificationKind.HANDOFF)
    assert notification.title == f"{crew.sdr} handed you a lead: {lead.prospect.full_name} " \
                                 f"({lead.prospect.company.name})"  # fmt: skip
    assert notification.body == BRIEF_TEXT
    assert on_commit_tasks == [("notification_email_task", notification.pk)]


def test_below_the_threshold_qualifying_needs_a_reason_and_nothing_changes(crew, model, make_lead):
    lead = make_lead("engaged")
    before = qualification_snapshot(lead.pk)

    with pytest.raises(LeadInvalid) as exc:
        lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=replace(qualify(), answers=LOW))

    assert exc.value.field == "override_reason"
    assert (
        str(exc.value) == "The score 55 is below the threshold 60: say why you qualify it anyway."
    )
    assert qualification_snapshot(lead.pk) == before


def test_an_sdr_may_qualify_below_the_threshold_with_a_reason(crew, model, make_lead):
    lead = make_lead("contacting")

    lead_qualify(
        actor=crew.sdr,
        lead_id=lead.pk,
        data=replace(qualify(ae_id=crew.ae2.pk), answers=LOW,
                     override_reason="Their CEO called us: a reference customer."),
    )  # fmt: skip

    decision = QualificationDecision.objects.get(lead=lead)
    assert (decision.override, decision.override_reason, decision.score, decision.verdict) == (
        Override.UP,
        "Their CEO called us: a reference customer.",
        55,
        "below_threshold",
    )
    assert Lead.objects.get(pk=lead.pk).state == LeadState.HANDED_OFF
    assert LeadEvent.objects.get(lead=lead, kind=EventKind.SCORE).body == (
        "Qualified at score 55 (threshold 60). Override: Their CEO called us: a reference customer."
    )


@pytest.mark.parametrize("actor", ["sdr", "bdr"])
def test_only_a_manager_may_qualify_despite_a_hard_disqualifier(crew, model, make_lead, actor):
    lead = make_lead("engaged", employees=0, owner=actor)  # the sole proprietor
    before = qualification_snapshot(lead.pk)

    with pytest.raises(LeadForbidden) as exc:
        lead_qualify(
            actor=getattr(crew, actor),
            lead_id=lead.pk,
            data=qualify(ae_id=crew.ae.pk, override_reason="I think they will grow"),
        )

    assert str(exc.value) == (
        "A hard disqualifier applies (0 employees: fewer than 1 (a sole proprietor)): only a "
        "manager can qualify this lead."
    )
    assert qualification_snapshot(lead.pk) == before


def test_a_manager_qualifies_despite_a_hard_disqualifier_with_a_reason(crew, model, make_lead):
    lead = make_lead("engaged", employees=0)

    with pytest.raises(LeadInvalid) as exc:
        lead_qualify(actor=crew.manager, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))
    assert exc.value.field == "override_reason"
    assert not QualificationDecision.objects.exists()

    lead_qualify(
        actor=crew.manager,
        lead_id=lead.pk,
        data=qualify(ae_id=crew.ae.pk, override_reason="Founder with 30 contractors."),
    )

    decision = QualificationDecision.objects.get(lead=lead)
    assert (decision.override, decision.verdict, decision.score, decision.actor_id) == (
        Override.HARD,
        "disqualified",
        0,
        crew.manager.pk,
    )
    assert Lead.objects.get(pk=lead.pk).state == LeadState.HANDED_OFF
    assert LeadEvent.objects.get(lead=lead, kind=EventKind.SCORE).body == (
        "Qualified despite a hard disqualifier (0 employees: fewer than 1 (a sole proprietor))."
        " Override: Founder with 30 contractors."
    )


def test_scrapping_at_or_above_the_threshold_needs_a_reason(
    crew, model, make_lead, django_capture_on_commit_callbacks, on_commit_tasks
):
    lead = make_lead("engaged")
    data = QualifyInput(
        decision=Decision.DISQUALIFY, answers=HIGH, disqualify_reason=DisqualifyReason.COMPETITOR
    )
    before = qualification_snapshot(lead.pk)

    with pytest.raises(LeadInvalid) as exc:
        lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=data)
    assert str(exc.value) == (
        "The score 100 reaches the threshold 60: say why you do not qualify it."
    )
    assert qualification_snapshot(lead.pk) == before

    with django_capture_on_commit_callbacks(execute=True):
        lead_qualify(
            actor=crew.sdr,
            lead_id=lead.pk,
            data=replace(data, override_reason="Signed with a competitor last week."),
        )

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.state, lead.disqualify_reason) == (LeadState.DISQUALIFIED, "competitor")
    decision = QualificationDecision.objects.get(lead=lead)
    assert (decision.decision, decision.override, decision.disqualify_reason) == (
        Decision.DISQUALIFY,
        Override.DOWN,
        "competitor",
    )
    # An outcome: the learned estimate is recounted after commit.
    assert on_commit_tasks == [("outcome_model_rebuild_task", crew.team.pk)]


def test_scrapping_below_the_threshold_is_no_override(crew, model, make_lead):
    lead = make_lead("new", employees=0)

    lead_qualify(
        actor=crew.sdr,
        lead_id=lead.pk,
        data=QualifyInput(decision=Decision.DISQUALIFY, disqualify_reason="too_small"),
    )

    decision = QualificationDecision.objects.get(lead=lead)
    assert (decision.override, decision.verdict) == ("", "disqualified")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.DISQUALIFIED


def test_nurture_with_a_recycle_date(crew, model, make_lead):
    lead = make_lead("contacting")
    on = timezone.localdate() + timedelta(days=90)

    lead_qualify(
        actor=crew.sdr,
        lead_id=lead.pk,
        data=QualifyInput(decision=Decision.NURTURE, answers=LOW, recycle_on=on),
    )

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.state, lead.recycle_on) == (LeadState.NURTURE, on)
    decision = QualificationDecision.objects.get(lead=lead)
    assert (decision.decision, decision.recycle_on, decision.override) == ("nurture", on, "")


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("need", "The hand-off brief needs the need."),
        ("budget", "The hand-off brief needs the budget."),
        ("timeline", "The hand-off brief needs the timeline."),
        ("decision_maker", "The hand-off brief needs the decision maker."),
        ("next_step", "The hand-off brief needs the next step."),
    ],
)
def test_qualifying_needs_every_part_of_the_brief(crew, model, make_lead, missing, message):
    lead = make_lead("engaged")
    before = qualification_snapshot(lead.pk)
    brief = Brief(**{**BRIEF.as_dict(), missing: "   "})

    with pytest.raises(LeadInvalid) as exc:
        lead_qualify(
            actor=crew.sdr, lead_id=lead.pk, data=replace(qualify(ae_id=crew.ae.pk), brief=brief)
        )

    assert (exc.value.field, str(exc.value)) == (f"brief_{missing}", message)
    assert qualification_snapshot(lead.pk) == before


def test_a_lead_qualified_earlier_is_only_handed_off(crew, model, make_lead):
    lead = make_lead("qualified")

    outcome = lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))

    assert outcome.decision.decision == Decision.HAND_OFF
    assert Lead.objects.get(pk=lead.pk).state == LeadState.HANDED_OFF


def test_a_new_lead_cannot_be_qualified_before_research(crew, model, make_lead):
    lead = make_lead("new")
    before = qualification_snapshot(lead.pk)

    with pytest.raises(LeadConflict) as exc:
        lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))

    assert str(exc.value) == "Start research on the lead before qualifying it."
    assert qualification_snapshot(lead.pk) == before


def test_a_lead_moved_meanwhile_is_not_touched(crew, model, make_lead):
    lead = make_lead("engaged")
    before = qualification_snapshot(lead.pk)

    with pytest.raises(LeadConflict):
        lead_qualify(
            actor=crew.sdr,
            lead_id=lead.pk,
            data=qualify(ae_id=crew.ae.pk, expected_state="contacting"),
        )

    assert qualification_snapshot(lead.pk) == before


def test_an_ae_of_another_team_is_refused(crew, other_crew, model, make_lead):
    lead = make_lead("engaged")
    before = qualification_snapshot(lead.pk)

    with pytest.raises(LeadInvalid) as exc:
        lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=other_crew.ae.pk))

    assert exc.value.field == "ae"
    assert qualification_snapshot(lead.pk) == before


@pytest.mark.parametrize("actor", ["sdr2", "ae", "marketing"])
def test_someone_elses_lead_is_not_found(crew, other_crew, model, make_lead, actor):
    lead = make_lead("engaged")
    before = qualification_snapshot(lead.pk)

    with pytest.raises(NotFound):
        lead_qualify(actor=getattr(crew, actor), lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))
    with pytest.raises(NotFound):
        lead_qualify(actor=other_crew.manager, lead_id=lead.pk,
                     data=qualify(ae_id=crew.ae.pk))  # fmt: skip

    assert qualification_snapshot(lead.pk) == before


def test_a_pool_lead_is_seen_but_not_qualified_by_an_sdr(crew, model, make_lead):
    lead = make_lead("new", owner=None)
    before = qualification_snapshot(lead.pk)

    with pytest.raises(LeadForbidden):
        lead_qualify(
            actor=crew.sdr,
            lead_id=lead.pk,
            data=QualifyInput(decision=Decision.DISQUALIFY, disqualify_reason="no_need"),
        )

    assert qualification_snapshot(lead.pk) == before


def test_a_team_without_a_model_gets_the_default_as_version_1(
    crew, make_lead, django_capture_on_commit_callbacks, on_commit_tasks
):
    from qualification.models import ScoringModel

    lead = make_lead("engaged")

    with django_capture_on_commit_callbacks(execute=True):
        lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))

    model = ScoringModel.objects.get(team=crew.team)
    assert (model.version, model.note) == (1, "The default model")
    assert ("scoring_model_rescore_task", model.pk) in on_commit_tasks
