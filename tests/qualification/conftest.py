"""Qualification fixtures: the team's model, leads with a company of a given size and
industry, answers that score high or low, a brief, and a snapshot that lets a negative test
assert that nothing at all changed."""

import pytest

from notifications.models import Notification
from qualification.models import (
    AEProfile,
    Escalation,
    LeadAnswers,
    LeadScore,
    QualificationDecision,
    ScoringModel,
)
from qualification.scoring import DEFAULT_CONFIG
from qualification.services import Answers, Brief
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk
from tests.leads.helpers import lead_snapshot

# With the default model: 51-200 employees 20 + Software 10 + can afford 15 + this quarter 10
# + decision maker 15 + need confirmed 20 + good fit 10 = 100.
HIGH = Answers(budget=150_000, timeline="this_quarter", authority="decision_maker",
               need="confirmed", fit="yes")  # fmt: skip
# 20 + 10 + stretch 5 + this year 5 + influencer 5 + possible 5 + partly 5 = 55: below 60.
LOW = Answers(budget=60_000, timeline="this_year", authority="influencer", need="possible",
              fit="partly")  # fmt: skip
BRIEF = Brief(
    need="A CRM for 120 sellers who now use spreadsheets",
    budget="150,000 NOK a year, approved",
    timeline="Decision this quarter",
    decision_maker="Kari Hansen, CEO, signs",
    next_step="Demo on Tuesday at 10:00",
)
BRIEF_TEXT = (
    "Need: A CRM for 120 sellers who now use spreadsheets\n"
    "Budget: 150,000 NOK a year, approved\n"
    "Timeline: Decision this quarter\n"
    "Decision maker: Kari Hansen, CEO, signs\n"
    "Next step: Demo on Tuesday at 10:00"
)


@pytest.fixture
def model(crew) -> ScoringModel:
    return ScoringModel.objects.create(team=crew.team, version=1, config=DEFAULT_CONFIG)


def company_lead(crew, state="engaged", *, employees=120, industry="Software", owner="sdr"):
    prospect = ProspectFactory(company=CompanyFactory(employee_count=employees, industry=industry))
    lead = crew.lead(owner=owner, prospect=prospect)
    return walk(lead, state, ae=crew.ae) if state != "new" else lead


@pytest.fixture
def make_lead(crew):
    def _make(state="engaged", **kwargs):
        return company_lead(crew, state, **kwargs)

    return _make


def qualification_snapshot(lead_id: int) -> dict:
    """The lead, its prospect, company and timeline, and every qualification row about it."""
    return {
        **lead_snapshot(lead_id),
        "answers": list(LeadAnswers.objects.filter(lead_id=lead_id).values()),
        "score": list(LeadScore.objects.filter(lead_id=lead_id).values()),
        "decisions": list(QualificationDecision.objects.filter(lead_id=lead_id).values()),
        "notifications": list(Notification.objects.filter(lead_id=lead_id).values()),
        "escalations": list(Escalation.objects.filter(lead_id=lead_id).values()),
        "profiles": list(AEProfile.objects.order_by("pk").values()),
    }


@pytest.fixture
def on_commit_tasks(monkeypatch):
    """Record the Celery tasks sent after commit instead of sending them to the broker."""
    from notifications import tasks as notification_tasks
    from qualification import tasks

    sent = []
    for module, name in (
        (tasks, "scoring_model_rescore_task"),
        (tasks, "outcome_model_rebuild_task"),
        (notification_tasks, "notification_email_task"),
    ):
        task = getattr(module, name)
        monkeypatch.setattr(task, "delay", lambda *args, _name=name: sent.append((_name, *args)))
    return sent
