"""A team's lists of reasons (scrapping a lead, rejecting a hand-off), edited by its manager.

A reason's ``code`` is what leads and timeline entries keep and what the figures count by:
renaming changes only the label, deactivating only hides it from the forms, so no old record
loses its reason. Codes of the starting list are the fixed choices the code had before
(``leads.models.DEFAULT_REASONS``); a reason a manager adds gets a code of its own.
"""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Team, User
from sdrcrm.errors import NotFound

from ..errors import LeadConflict, LeadForbidden, LeadInvalid
from ..models import DEFAULT_REASONS, OTHER_REASON, Reason, ReasonKind

LABEL_MAX = Reason._meta.get_field("label").max_length


def reasons_ensure(*, team_id: int) -> None:
    """Give the team the starting lists if it has none yet (a team made after the migration
    that seeded the others). Idempotent and safe to race: the codes are unique per team."""
    kinds = set(Reason.objects.filter(team_id=team_id).values_list("kind", flat=True).distinct())
    missing = [
        (kind, choices) for kind, choices in DEFAULT_REASONS.items() if kind.value not in kinds
    ]
    if not missing:
        return
    # The labels are written in the team's language (else the language of whoever came first).
    language = Team.objects.filter(pk=team_id).values_list("language", flat=True).first()
    with translation.override(language or translation.get_language()):
        rows = [
            Reason(team_id=team_id, kind=kind, code=code, label=str(label), position=i)
            for kind, choices in missing
            for i, (code, label) in enumerate(choices.choices)
        ]
    Reason.objects.bulk_create(rows, ignore_conflicts=True)


def reason_validate(
    *, team_id: int, kind: str, code: str, text: str, system: bool = False, text_field="note"
) -> str:
    """The label of the team's reason ``code`` of ``kind``, or ``LeadInvalid`` naming the field
    (``reason`` or ``note``). A person may only choose an active reason; the system (an
    automatic scrap) any of the team's or a default code. "Other" needs the text."""
    reasons_ensure(team_id=team_id)
    reason = Reason.objects.filter(team_id=team_id, kind=kind, code=code).first() if code else None
    if reason is None or not (reason.is_active or system):
        defaults = DEFAULT_REASONS[ReasonKind(kind)]
        if system and code in defaults.values:
            return str(defaults(code).label)
        message = (
            _("Choose a reason for disqualifying.")
            if kind == ReasonKind.DISQUALIFY
            else _("Choose a reason for rejecting.")
        )
        raise LeadInvalid(message, field="reason")
    if code == OTHER_REASON and not text.strip():
        raise LeadInvalid(_("Describe the reason when you choose 'Other'."), field=text_field)
    return reason.label


def _manager_team(actor: User) -> int:
    if not (actor.is_manager and actor.team_id):
        raise LeadForbidden(_("Only the team's manager edits its reasons."))
    return actor.team_id


def _clean_label(label: str) -> str:
    label = " ".join((label or "").split())
    if not label:
        raise LeadInvalid(_("Give the reason a name."), field="label")
    if len(label) > LABEL_MAX:
        raise LeadInvalid(
            _("Keep the name under %(n)d characters.") % {"n": LABEL_MAX + 1}, field="label"
        )
    return label


def _check_unique_label(team_id: int, kind: str, label: str, exclude: int | None = None) -> None:
    qs = Reason.objects.filter(team_id=team_id, kind=kind, label__iexact=label)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise LeadInvalid(_("Your team already has a reason with this name."), field="label")


def _lock_reason(team_id: int, reason_id) -> Reason:
    try:
        return Reason.objects.select_for_update().get(pk=reason_id, team_id=team_id)
    except (Reason.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such reason")) from None


def reason_create(*, actor: User, kind: str, label: str) -> Reason:
    """A new reason at the end of the team's list of ``kind``."""
    team_id = _manager_team(actor)
    if kind not in ReasonKind.values:
        raise LeadInvalid(_("Unknown list of reasons."), field="kind")
    label = _clean_label(label)
    with transaction.atomic():
        reasons_ensure(team_id=team_id)
        _check_unique_label(team_id, kind, label)
        last = Reason.objects.filter(team_id=team_id, kind=kind).aggregate(m=Max("position"))["m"]
        try:
            with transaction.atomic():
                return Reason.objects.create(
                    team_id=team_id,
                    kind=kind,
                    # Its own code, never reused: the figures count by it.
                    code=f"c{secrets.token_hex(6)}",
                    label=label,
                    position=(last or 0) + 1,
                )
        except IntegrityError as exc:  # pragma: no cover - a 48-bit collision
            raise LeadConflict(_("Please try again.")) from exc


def reason_update(
    *, actor: User, reason_id: int, label: str | None = None, is_active: bool | None = None
) -> Reason:
    """Rename a reason, or deactivate it (no longer offered) or activate it again."""
    team_id = _manager_team(actor)
    with transaction.atomic():
        reason = _lock_reason(team_id, reason_id)
        fields = []
        if label is not None:
            reason.label = _clean_label(label)
            _check_unique_label(team_id, reason.kind, reason.label, exclude=reason.pk)
            fields.append("label")
        if is_active is not None:
            if not is_active and reason.is_active:
                others = Reason.objects.filter(team_id=team_id, kind=reason.kind, is_active=True)
                if not others.exclude(pk=reason.pk).exists():
                    raise LeadInvalid(
                        _("Keep at least one reason active: the forms need one to choose."),
                        field="is_active",
                    )
            reason.is_active = is_active
            fields.append("is_active")
        if fields:
            reason.save(update_fields=fields)
    return reason


def reason_move(*, actor: User, reason_id: int, up: bool) -> Reason:
    """Move a reason one place up or down its list (renumbers the list 0…n-1)."""
    team_id = _manager_team(actor)
    with transaction.atomic():
        reason = _lock_reason(team_id, reason_id)
        siblings = list(
            Reason.objects.select_for_update()
            .filter(team_id=team_id, kind=reason.kind)
            .order_by("position", "id")
        )
        i = next(n for n, r in enumerate(siblings) if r.pk == reason.pk)
        j = i - 1 if up else i + 1
        if 0 <= j < len(siblings):
            siblings[i], siblings[j] = siblings[j], siblings[i]
        changed = []
        for n, r in enumerate(siblings):
            if r.position != n:
                r.position = n
                changed.append(r)
        Reason.objects.bulk_update(changed, ["position"])
    return next(r for r in siblings if r.pk == reason.pk)
