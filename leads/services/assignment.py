"""Who works a lead: an SDR claims one from the pool, a manager assigns many."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from sdrcrm.errors import NotFound

from ..errors import LeadConflict, LeadForbidden, LeadInvalid
from ..models import (
    EventKind,
    Lead,
)
from ..selectors import lead_scope
from .common import _save, _touch
from .events import lead_event_record


def lead_claim(*, actor: User, lead_id: int) -> Lead:
    """An SDR/BDR takes a lead from the team's unassigned pool. First click wins."""
    if not actor.is_prospector:
        raise LeadForbidden(_("Only SDRs and BDRs claim leads from the pool."))

    with transaction.atomic():
        # Lock among the team's leads, not the claimer's scope: a lead someone else claimed
        # has left that scope, and the loser should hear who was first, not get a 404.
        team_leads = (
            Lead.objects.filter(team_id=actor.team_id)
            if actor.is_active and actor.team_id is not None
            else Lead.objects.none()
        )
        try:
            lead = team_leads.select_for_update(of=("self",)).get(pk=lead_id)
        except (Lead.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such lead")) from None
        if lead.owner_id is not None:
            if lead.owner_id == actor.id:
                return lead
            raise LeadConflict(f"{lead.owner} claimed this lead first.")
        _owner_set(
            lead,
            actor,
            actor=actor,
            now=timezone.now(),
            body=_("Claimed by %(name)s") % {"name": actor},
            claim=True,
        )
    return lead


def _owner_set(
    lead: Lead, owner: User | None, *, actor: User, now, body: str, claim: bool = False
) -> None:
    """Give the locked ``lead`` to ``owner`` (None: the pool) and write the assignment entry."""
    previous_id = lead.owner_id
    lead.owner = owner
    _save(lead, _touch(lead, now, ["owner"]))
    payload = {"from_owner_id": previous_id, "to_owner_id": owner.pk if owner else None}
    if claim:
        payload["claim"] = True
    lead_event_record(
        lead=lead, kind=EventKind.ASSIGNMENT, actor=actor, at=now, body=body, payload=payload
    )


def lead_bulk_assign(*, actor: User, lead_ids: list[int], owner_id: int | None) -> int:
    """A manager assigns leads of their team to one SDR/BDR (or back to the pool).
    Returns how many leads changed owner; leads outside the manager's scope are ignored."""
    if not (actor.is_manager or actor.is_admin_role):
        raise LeadForbidden(_("Only managers assign leads."))
    lead_ids = sorted({int(i) for i in lead_ids})
    if not lead_ids:
        raise LeadInvalid(_("Select at least one lead."), field="lead_ids")
    owner = None
    if owner_id is not None:
        owners = User.objects.filter(pk=owner_id, role__in=[Role.SDR, Role.BDR], is_active=True)
        if not actor.is_admin_role:
            owners = owners.filter(team_id=actor.team_id)
        owner = owners.first()
        if owner is None:
            raise LeadInvalid(_("Choose an SDR or BDR of your team."), field="owner")
    changed = 0
    with transaction.atomic():
        leads = list(
            lead_scope(actor)
            .select_for_update(of=("self",))
            .filter(pk__in=lead_ids)
            .select_related("owner")
            .order_by("pk")
        )
        now = timezone.now()
        for lead in leads:
            if owner is not None and lead.team_id != owner.team_id:
                continue
            if lead.owner_id == (owner.pk if owner else None):
                continue
            previous = lead.owner
            _owner_set(
                lead,
                owner,
                actor=actor,
                now=now,
                body=(
                    _("Assigned to %(name)s") % {"name": owner}
                    if owner
                    else _("Assigned to the unassigned pool")
                )
                + ((" " + _("(was %(name)s)") % {"name": previous}) if previous else ""),
            )
            changed += 1
    return changed
