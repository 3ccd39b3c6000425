"""The team's choice of where its cadence emails leave from: each sender's own mailbox (the
default) or the site-wide email backend. Its manager changes it."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Team, User
from audit.services import audit_record
from sdrcrm.errors import Invalid, NotAllowed

EMAIL_VIA = ("mailbox", "site")


def team_email_via_set(*, actor: User, email_via: str) -> Team:
    """Set the actor's team's ``email_via`` (the actor is its manager); audited."""
    if not (actor.is_manager and actor.team_id):
        raise NotAllowed(_("Only the team's manager changes where its emails leave from."))
    if email_via not in EMAIL_VIA:
        raise Invalid(_("Choose the SDR's own mailbox or the site-wide backend."), "email_via")
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=actor.team_id)
        if team.email_via != email_via:
            old = team.email_via
            team.email_via = email_via
            team.save(update_fields=["email_via"])
            audit_record(
                actor=actor,
                target=team,
                action="team_email_via",
                changes={"email_via": (old, email_via)},
            )
    return team
