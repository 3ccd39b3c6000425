"""The AE's decision on a hand-off (accept or reject) and the AE's routing profile."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from leads.models import Lead, LeadState
from leads.services import LeadForbidden, LeadInvalid, TransitionParams, lead_transition
from notifications.services import notifications_mark_read
from sdrcrm.errors import NotFound

from ..models import AEProfile
from .common import _may_manage_team
from .learned import _outcome_changed
from .notify import _last_transition_events, notifications_for_events


def handoff_accept(*, actor: User, lead_id: int) -> Lead:
    """The AE takes the lead: it is theirs, and it counts for the SDR."""
    with transaction.atomic():
        lead = lead_transition(
            actor=actor, lead_id=lead_id, name="accept", expected_state=LeadState.HANDED_OFF
        )
        _after_ae_decision(actor, lead)
    return lead


def handoff_reject(*, actor: User, lead_id: int, reason: str, reason_code: str = "") -> Lead:
    """The AE sends the lead back to the SDR (engaged again) with a reason; the rejection
    counts in the SDR's figures."""
    with transaction.atomic():
        lead = lead_transition(
            actor=actor,
            lead_id=lead_id,
            name="reject",
            expected_state=LeadState.HANDED_OFF,
            params=TransitionParams(reason=reason, reason_code=reason_code),
        )
        _after_ae_decision(actor, lead)
    return lead


def _after_ae_decision(actor: User, lead: Lead) -> None:
    """Tell the SDR, count the outcome, and mark read what the AE was told about the lead
    (deciding on it answers the notification)."""
    notifications_for_events(_last_transition_events(lead.pk, 1))
    notifications_mark_read(actor=actor, lead_id=lead.pk)
    _outcome_changed(lead.team_id)


def ae_profile_update(
    *, actor: User, ae_id: int, capacity: int | None = None, is_away: bool | None = None
) -> AEProfile:
    """A manager sets an AE's capacity or away flag; an AE may mark themselves away."""
    ae = User.objects.filter(pk=ae_id, role=Role.AE).first()
    # Another team's AE is out of scope: the same 404 as an AE that does not exist.
    if ae is None or not (
        actor.is_admin_role or actor.pk == ae.pk or (actor.team_id and actor.team_id == ae.team_id)
    ):
        raise NotFound(_("No such account executive"))
    manager = _may_manage_team(actor, ae.team_id)
    if not manager and not (actor.pk == ae.pk and capacity is None):
        raise LeadForbidden(_("Only a manager of the team changes an AE's capacity."))
    if capacity is not None and not 0 <= capacity <= 500:
        raise LeadInvalid(_("Capacity is between 0 and 500."), field="capacity")
    with transaction.atomic():
        profile, _created = AEProfile.objects.select_for_update().get_or_create(user=ae)
        fields = []
        if capacity is not None and capacity != profile.capacity:
            profile.capacity = capacity
            fields.append("capacity")
        if is_away is not None and is_away != profile.is_away:
            profile.is_away = is_away
            fields.append("is_away")
        if fields:
            profile.updated_at = timezone.now()
            profile.save(update_fields=[*fields, "updated_at"])
    return profile
