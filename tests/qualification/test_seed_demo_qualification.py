"""The qualification demo data, run by seed_demo: the CRM seller's model (the sole
proprietor is scrapped), AE capacities, answers, every demo lead scored; idempotent."""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from leads.models import Lead
from qualification.models import AEProfile, LeadAnswers, LeadScore, OutcomeModel, ScoringModel
from qualification.scoring import DEFAULT_CONFIG


def counts() -> dict:
    return {
        "models": ScoringModel.objects.count(),
        "profiles": list(AEProfile.objects.order_by("user__username").values_list(
            "user__username", "capacity")),
        "answers": LeadAnswers.objects.count(),
        "scores": list(LeadScore.objects.order_by("lead_id").values_list("lead_id", "score")),
    }  # fmt: skip


@pytest.fixture
def seeded(db, time_machine):
    time_machine.move_to(datetime(2026, 12, 7, 14, 0, tzinfo=ZoneInfo("Europe/Oslo")), tick=False)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_team_gets_the_crm_sellers_model_and_ae_capacities(seeded):
    model = ScoringModel.objects.get()
    assert (model.version, model.team.name, model.created_by.username) == (
        1,
        "Nordlys Sales",
        "maria",
    )
    assert model.config == DEFAULT_CONFIG
    assert counts()["profiles"] == [("anders", 8), ("ingrid", 5)]
    assert "Qualification demo ready: model v1, 13 leads answered, 40 scored" in seeded


def test_every_demo_lead_is_scored_and_the_sole_proprietor_is_a_hard_disqualifier(seeded):
    assert not Lead.objects.filter(score__isnull=True).exists()
    hansen = LeadScore.objects.filter(lead__prospect__company__name="Hansen Enkeltmannsforetak")
    assert {(s.score, s.disqualifier) for s in hansen} == {(0, "size")}
    outcomes = OutcomeModel.objects.get()
    # seed_demo's 3 accepted and 4 scrapped leads, and the dashboards history's 7 and 10.
    assert (outcomes.positives, outcomes.negatives) == (3 + 7, 4 + 10)


def test_running_it_again_changes_nothing(seeded):
    before = counts()

    call_command("seed_demo_qualification", stdout=StringIO())

    assert counts() == before
