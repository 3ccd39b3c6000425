"""Saving answers rescores the lead (a SCORE event when it changes), and the versioned
scoring model: who may change it, a version per change, a rescore after each."""

import pytest

from leads.models import EventKind, Lead, LeadEvent
from leads.services import LeadConflict, LeadForbidden, LeadInvalid
from qualification.models import LeadScore, ScoringModel
from qualification.scoring import DEFAULT_CONFIG
from qualification.services import (
    Answers,
    lead_answers_save,
    scoring_model_rescore,
    scoring_model_save,
)
from sdrcrm.errors import NotFound
from tests.qualification.conftest import HIGH, qualification_snapshot


def test_saving_answers_rescores_and_records_the_change(crew, model, make_lead):
    lead = make_lead("engaged")

    result = lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=HIGH)

    assert result.score == 100
    assert Lead.objects.get(pk=lead.pk).score == 100
    event = LeadEvent.objects.get(lead=lead, kind=EventKind.SCORE)
    assert (event.actor_id, event.body) == (crew.sdr.pk, "Score — → 100 (model v1): qualified")
    assert event.payload == {
        "from": None, "to": 100, "points": 100, "model_version": 1, "verdict": "qualified",
        "disqualifiers": [],
    }  # fmt: skip
    stored = LeadScore.objects.get(lead=lead)
    assert (stored.budget, stored.timeline, stored.authority, stored.industry) == (
        150_000,
        "this_quarter",
        "decision_maker",
        "software",
    )

    # The same score again: no new event.
    lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=HIGH)
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.SCORE).count() == 1

    lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=Answers(need="none"))
    last = LeadEvent.objects.filter(lead=lead, kind=EventKind.SCORE).latest("id")
    assert last.body == "Score 100 → 0 (model v1): hard disqualifier"
    assert last.payload["disqualifiers"] == ["need"]


def test_invalid_answers_change_nothing(crew, model, make_lead):
    lead = make_lead("engaged")
    before = qualification_snapshot(lead.pk)

    with pytest.raises(LeadInvalid) as exc:
        lead_answers_save(actor=crew.sdr, lead_id=lead.pk, answers=Answers(timeline="someday"))

    assert exc.value.field == "timeline"
    assert qualification_snapshot(lead.pk) == before


def test_answers_of_someone_elses_lead(crew, model, make_lead):
    lead = make_lead("engaged")
    pool = make_lead("new", owner=None)
    before = (qualification_snapshot(lead.pk), qualification_snapshot(pool.pk))

    with pytest.raises(NotFound):
        lead_answers_save(actor=crew.sdr2, lead_id=lead.pk, answers=HIGH)
    with pytest.raises(LeadForbidden):
        lead_answers_save(actor=crew.sdr, lead_id=pool.pk, answers=HIGH)

    assert (qualification_snapshot(lead.pk), qualification_snapshot(pool.pk)) == before


# --- The versioned model -----------------------------------------------------------------------


def test_each_change_is_a_new_version_and_rescores_after_commit(
    crew, django_capture_on_commit_callbacks, on_commit_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        v1, created = scoring_model_save(
            actor=crew.manager, team_id=crew.team.pk, config=DEFAULT_CONFIG, based_on_version=0
        )
    assert (v1.version, created, v1.created_by_id) == (1, True, crew.manager.pk)
    assert on_commit_tasks == [
        ("scoring_model_rescore_task", v1.pk),
        ("outcome_model_rebuild_task", crew.team.pk),
    ]

    same, created = scoring_model_save(
        actor=crew.manager, team_id=crew.team.pk, config=DEFAULT_CONFIG, based_on_version=1
    )
    assert (same.pk, created) == (v1.pk, False)

    v2, created = scoring_model_save(
        actor=crew.manager,
        team_id=crew.team.pk,
        config={**DEFAULT_CONFIG, "threshold": 70},
        based_on_version=1,
        note="Stricter",
    )
    assert (v2.version, created, v2.note, v2.scoring.threshold) == (2, True, "Stricter", 70)
    assert ScoringModel.objects.get(pk=v1.pk).config == DEFAULT_CONFIG  # v1 never changes


def test_a_stale_editor_saves_nothing(crew):
    scoring_model_save(
        actor=crew.manager, team_id=crew.team.pk, config=DEFAULT_CONFIG, based_on_version=0
    )

    with pytest.raises(LeadConflict) as exc:
        scoring_model_save(
            actor=crew.manager,
            team_id=crew.team.pk,
            config={**DEFAULT_CONFIG, "threshold": 10},
            based_on_version=0,
        )

    assert str(exc.value).startswith(f"{crew.manager} saved version 1 of the model at ")
    assert ScoringModel.objects.count() == 1


@pytest.mark.parametrize("actor", ["sdr", "bdr", "ae", "marketing"])
def test_only_a_manager_of_the_team_changes_the_model(crew, other_crew, actor):
    for user in (getattr(crew, actor), other_crew.manager):
        with pytest.raises(LeadForbidden):
            scoring_model_save(
                actor=user, team_id=crew.team.pk, config=DEFAULT_CONFIG, based_on_version=0
            )

    assert not ScoringModel.objects.exists()


def test_an_invalid_model_is_refused(crew):
    with pytest.raises(LeadInvalid) as exc:
        scoring_model_save(
            actor=crew.manager,
            team_id=crew.team.pk,
            config={**DEFAULT_CONFIG, "price_floor": 10, "price_list": 5},
            based_on_version=0,
        )

    assert str(exc.value) == "The usual deal cannot cost less than the cheapest plan"
    assert not ScoringModel.objects.exists()


def test_the_rescore_task_records_its_progress(crew, make_lead):
    leads = [make_lead("engaged"), make_lead("new", employees=5), make_lead("accepted")]
    v1, _ = scoring_model_save(
        actor=crew.manager, team_id=crew.team.pk, config=DEFAULT_CONFIG, based_on_version=0
    )

    result = scoring_model_rescore(model_id=v1.pk, batch_size=1)

    v1.refresh_from_db()
    assert (result.scanned, v1.rescored_leads) == (2, 2)
    assert v1.rescore_started_at <= v1.rescore_finished_at
    assert [Lead.objects.get(pk=lead.pk).score for lead in leads] == [30, 15, None]
