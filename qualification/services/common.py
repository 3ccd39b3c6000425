"""What the qualification services share: who may manage a team, the open states, the scraps
that are not outcomes."""

from __future__ import annotations

from accounts.models import User
from leads.models import DisqualifyReason, LeadState

# Scraps that say nothing about the lead as a customer are not outcomes to learn from.
NOT_OUTCOMES = (DisqualifyReason.DUPLICATE, DisqualifyReason.BAD_DATA)


def _may_manage_team(actor: User, team_id: int) -> bool:
    return actor.is_active and (
        actor.is_admin_role or (actor.is_manager and actor.team_id == team_id)
    )


# The states in which a lead can still be qualified, scrapped or nurtured.
_OPEN = (
    LeadState.NEW,
    LeadState.RESEARCHING,
    LeadState.CONTACTING,
    LeadState.ENGAGED,
    LeadState.QUALIFIED,
)
