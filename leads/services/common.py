"""What every change to a lead does: lock the row from the actor's scope, bump the version,
save, say who changed it last."""

from datetime import datetime

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from sdrcrm.errors import NotFound

from ..errors import LeadForbidden
from ..models import (
    EventKind,
    Lead,
    LeadState,
)
from ..selectors import lead_scope, user_works_lead


def _lock(actor: User, lead_id: int) -> Lead:
    """Lock the lead row, starting from what ``actor`` may see (404 otherwise)."""
    try:
        return lead_scope(actor).select_for_update(of=("self",)).get(pk=lead_id)
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such lead")) from None


def _touch(lead: Lead, now: datetime, fields: list[str]) -> list[str]:
    lead.version = F("version") + 1
    lead.updated_at = now
    return [*fields, "version", "updated_at"]


def _save(lead: Lead, fields: list[str]) -> None:
    lead.save(update_fields=fields)
    lead.refresh_from_db(fields=["version"])


# The events of changes that bump ``Lead.version``.
VERSIONED_KINDS = (EventKind.TRANSITION, EventKind.EDIT, EventKind.ASSIGNMENT, EventKind.CHECKLIST)


def _last_changer(lead: Lead, kinds=VERSIONED_KINDS) -> str:
    event = (
        lead.events.filter(kind__in=kinds)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    if event is None:
        return _("someone else")
    who = str(event.actor) if event.actor else _("the system")
    return _("%(who)s at %(time)s") % {
        "who": who,
        "time": f"{timezone.localtime(event.created_at):%H:%M}",
    }


def _state_label(state: str) -> str:
    return LeadState(state).label


def _require_works(actor: User, lead: Lead) -> None:
    if not user_works_lead(actor, lead):
        raise LeadForbidden(_("Only the lead's SDR or a manager of its team can do this."))
