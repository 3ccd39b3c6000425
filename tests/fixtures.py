"""A team with every role, and a helper to walk a lead to a state through the services."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from leads.models import DisqualifyReason, Lead
from leads.services import TransitionParams, lead_transition

from .factories import LeadFactory, TeamFactory, UserFactory

__all__ = ["Crew", "crew", "other_crew", "walk", "PATHS", "api_token_for"]


@dataclass
class Crew:
    team: object
    manager: object
    sdr: object
    sdr2: object
    bdr: object
    ae: object
    ae2: object
    marketing: object
    admin: object
    privacy: object  # a privacy officer: no team, every team's data subjects

    def lead(self, owner="sdr", **kwargs) -> Lead:
        owner_user = getattr(self, owner) if isinstance(owner, str) else owner
        return LeadFactory(team=self.team, owner=owner_user, **kwargs)


def make_crew(name: str) -> Crew:
    team = TeamFactory(name=name)
    u = lambda username, role, **kw: UserFactory(  # noqa: E731
        username=f"{username}-{name}".lower().replace(" ", "-"), role=role, team=team, **kw
    )
    return Crew(
        team=team,
        manager=u("manager", Role.MANAGER),
        sdr=u("sdr", Role.SDR),
        sdr2=u("sdr2", Role.SDR),
        bdr=u("bdr", Role.BDR),
        ae=u("ae", Role.AE),
        ae2=u("ae2", Role.AE),
        marketing=u("marketing", Role.MARKETING),
        admin=UserFactory(
            username=f"admin-{name}".lower().replace(" ", "-"),
            role=Role.ADMIN,
            team=None,
            is_staff=True,
            is_superuser=True,
        ),
        privacy=UserFactory(
            username=f"privacy-{name}".lower().replace(" ", "-"), role=Role.PRIVACY, team=None
        ),
    )


@pytest.fixture
def crew(db) -> Crew:
    return make_crew("Alpha")


@pytest.fixture
def other_crew(db) -> Crew:
    return make_crew("Beta")


PATHS = {
    "new": [],
    "researching": ["start_research"],
    "contacting": ["start_research", "start_contacting"],
    "engaged": ["start_research", "start_contacting", "engage"],
    "qualified": ["start_research", "start_contacting", "engage", "qualify"],
    "handed_off": ["start_research", "start_contacting", "engage", "qualify", "hand_off"],
    "accepted": ["start_research", "start_contacting", "engage", "qualify", "hand_off", "accept"],
    "disqualified": ["disqualify"],
    "nurture": ["nurture"],
}


def walk(lead: Lead, state: str, *, sdr=None, ae=None) -> Lead:
    """Move ``lead`` to ``state`` through the real services, as its owner (and AE)."""
    sdr = sdr or lead.owner
    for name in PATHS[state]:
        params = TransitionParams()
        actor = sdr
        if name == "hand_off":
            params.ae_id = ae.pk
        if name == "accept":
            actor = ae
        if name == "disqualify":
            params.reason = DisqualifyReason.NO_NEED
        if name == "nurture":
            params.recycle_on = timezone.localdate() + timedelta(days=30)
        lead = lead_transition(actor=actor, lead_id=lead.pk, name=name, params=params)
    lead.refresh_from_db()
    return lead


def api_token_for(user) -> str:
    """A raw API token of ``user``. A role that does not use the API (a privacy officer) cannot
    make one: its token is made under the role the user had before, a manager's of a team, as
    for a person whose role changed (the API must still refuse it)."""
    from api.services import api_token_create

    if user.does_sales_work:
        return api_token_create(actor=user, name="matrix").raw
    role, team_id = user.role, user.team_id
    user.role, user.team_id = Role.MANAGER, None
    raw = api_token_create(actor=user, name="matrix").raw
    user.role, user.team_id = role, team_id
    return raw
