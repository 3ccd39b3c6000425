"""Export and erasure of everything held on one prospect. The list of what is personal data
and what happens to each field is privacy/registry.py.

For importers: before creating a prospect from an import, call
``privacy.services.email_may_be_contacted(email)`` (or
``suppression.services.email_is_suppressed``):
False when the address, its domain, or an erased person with that address is suppressed.
Enrollment and the dispatcher check the same list, so an erased person re-imported is still
never emailed."""

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team
from audit.services import audit_record
from cadences.services import email_record_erasure
from leads.models import Company, Lead, Prospect
from leads.normalize import normalize_email
from leads.selectors import lead_scope
from leads.services import lead_events_erase
from sdrcrm.errors import NotAllowed, NotFound
from suppression.models import Suppression, email_hash
from suppression.services import email_is_suppressed

from .registry import ERASED_NAME, PERSONAL_DATA


def email_may_be_contacted(email: str) -> bool:
    return not email_is_suppressed(email)


def may_handle_personal_data(user) -> bool:
    """Export and erasure from a lead's page: a manager or an admin, on a lead they see."""
    return user.is_manager or user.is_admin_role


def acts_across_teams(user) -> bool:
    """A data subject's rights are organisation-wide: an admin or a privacy officer exports or
    erases the person in every team that holds them; a manager only within their own team (a
    team is a workspace: what another team recorded is neither shown nor changed)."""
    return user.is_active and (user.is_admin_role or user.is_privacy_officer)


def may_act_for_subjects(user) -> bool:
    """Who uses the data-subject page (/privacy/): admins and privacy officers for every team,
    a manager for their own team. Deny by default: every other role gets 403."""
    if not (user.is_authenticated and user.is_active):
        return False
    return acts_across_teams(user) or (user.is_manager and user.team_id is not None)


def subject_scope(actor) -> QuerySet[Prospect]:
    """The prospect rows ``actor`` may export or erase from the data-subject page: every
    team's for an admin or privacy officer, the team's own for a manager, none otherwise."""
    qs = Prospect.objects.all()
    if acts_across_teams(actor):
        return qs
    if may_act_for_subjects(actor):
        return qs.filter(team_id=actor.team_id)
    return qs.none()


def subject_find(*, actor, email: str) -> list[Prospect]:
    """The people in ``actor``'s scope with this address (normalised), one row per team, with
    their team and leads (``subject_leads``): three queries whatever the number of rows. An
    erased person has no address left, so is not found."""
    if not may_act_for_subjects(actor):
        raise NotAllowed
    email = normalize_email(email)
    if not email:
        return []
    leads = Lead.objects.only("id", "prospect_id", "state", "created_at").order_by(
        "created_at", "pk"
    )
    return list(
        subject_scope(actor)
        .filter(email=email)
        .select_related("team")
        .only("id", "first_name", "last_name", "email", "team", "team__name")
        .prefetch_related(Prefetch("leads", queryset=leads, to_attr="subject_leads"))
        .order_by("team__name", "pk")
    )


def subject_was_erased(*, actor, email: str) -> bool:
    """For an admin or privacy officer: True when a person with this address was erased (the
    suppression list keeps its hash). Never told to a manager: it would reveal that another
    team held the address."""
    email = normalize_email(email)
    return bool(email) and acts_across_teams(actor) and suppression_is_erased(email)


def prospect_for(actor, lead_id: int) -> Prospect:
    """The prospect behind a lead the actor sees (404 otherwise); managers and admins only
    (403 for the others)."""
    lead = lead_scope(actor).select_related("prospect").filter(pk=lead_id).first()
    if lead is None:
        raise NotFound(_("No such lead"))
    if not may_handle_personal_data(actor):
        raise NotAllowed
    return lead.prospect


def subject_rows(actor, prospect: Prospect) -> list[Prospect]:
    """The rows that are this person for ``actor``: the team's own row for a manager; for an
    admin, every team's row with the same normalised address (one row when there is none)."""
    if acts_across_teams(actor) and prospect.email:
        return list(Prospect.objects.filter(email=prospect.email).order_by("pk"))
    return [prospect]


def _rows(label: str, prospects: list[Prospect]):
    model = apps.get_model(label)
    covered = PERSONAL_DATA[label]
    ids = [p.pk for p in prospects]
    if label == "suppression.suppression":
        hashes = {email_hash(p.email) for p in prospects if p.email}
        return model.objects.filter(email_hash__in=hashes)
    if label == "admin.logentry":
        lead_ids = [
            str(i) for i in Lead.objects.filter(prospect__in=ids).values_list("pk", flat=True)
        ]
        return LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Prospect),
            object_id__in=[str(i) for i in ids],
        ) | LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Lead), object_id__in=lead_ids
        )
    return model.objects.filter(**{f"{covered.path}__in": ids})


def _export(actor, subjects: list[Prospect], data: dict) -> dict:
    """``data`` plus the rows of every model of the registry for these prospect rows; one audit
    entry per row exported."""
    company_ids = [p.company_id for p in subjects if p.company_id]
    data["companies"] = list(Company.objects.filter(pk__in=company_ids).order_by("pk").values())
    for label in PERSONAL_DATA:
        data[label] = list(_rows(label, subjects).order_by("pk").values())
    for subject in subjects:
        audit_record(actor=actor, target=subject, action="privacy_export", changes={})
    return data


def prospect_export(*, actor, lead_id: int) -> dict:
    """Everything held on the person behind ``lead_id``, as plain JSON-able data: in the
    actor's team, or in every team for an admin (``subject_rows``)."""
    prospect = prospect_for(actor, lead_id)
    subjects = subject_rows(actor, prospect)
    data = {
        "exported_at": timezone.now(),
        "prospect_id": prospect.pk,
        "prospect_ids": [p.pk for p in subjects],
        "company": Company.objects.filter(pk=prospect.company_id).values().first(),
    }
    return _export(actor, subjects, data)


def subject_export(*, actor, email: str) -> dict | None:
    """Everything held on the person with this address in ``actor``'s scope (every team for an
    admin or privacy officer, the own team for a manager), or None when nobody is held."""
    if not may_act_for_subjects(actor):
        raise NotAllowed
    email = normalize_email(email)
    subjects = list(subject_scope(actor).filter(email=email).order_by("pk")) if email else []
    if not subjects:
        return None
    team_ids = {p.team_id for p in subjects}
    data = {
        "exported_at": timezone.now(),
        "email": email,
        "prospect_ids": [p.pk for p in subjects],
        "teams": list(Team.objects.filter(pk__in=team_ids).order_by("pk").values("id", "name")),
    }
    return _export(actor, subjects, data)


def prospect_erase(*, actor, lead_id: int) -> dict[str, int]:
    """Remove the person's personal data from every model (registry): the team's own row for
    a manager, every team's for an admin (``subject_rows``). The suppression of the address
    is kept as a hash and binds the whole organisation (their cadences stop in every team).
    Returns rows changed per model."""
    prospect = prospect_for(actor, lead_id)
    with transaction.atomic():
        subjects = list(
            Prospect.objects.select_for_update()
            .filter(pk__in=[p.pk for p in subject_rows(actor, prospect)])
            .order_by("pk")
        )
        return _erase(actor, subjects)


def subject_erase(*, actor, email: str, reason: str) -> dict[str, int] | None:
    """Erase the person with this address in ``actor``'s scope (every team for an admin or
    privacy officer, the own team for a manager); ``reason`` (a ticket reference) goes into
    each audit entry. None when nobody with the address is held: a second erasure (a double
    click) changes nothing. The rows are locked by address, so of two erasures at once the
    second finds the address gone once the first commits."""
    if not may_act_for_subjects(actor):
        raise NotAllowed
    email = normalize_email(email)
    if not email:
        return None
    with transaction.atomic():
        subjects = list(subject_scope(actor).select_for_update().filter(email=email).order_by("pk"))
        if not subjects:
            return None
        return _erase(actor, subjects, reason=reason)


def _erase(actor, subjects: list[Prospect], *, reason: str = "") -> dict[str, int]:
    """Erase these locked prospect rows, inside the caller's transaction."""
    changed: dict[str, int] = {}
    for email in sorted({p.email for p in subjects if p.email}):
        email_record_erasure(email=email)  # suppress by hash, stop cadences
    # The suppression and admin rows are found through the address and the ids, so they
    # go before the prospect rows lose their address.
    for label in ("suppression.suppression", "admin.logentry"):
        changed[label] = _rows(label, subjects).update(**PERSONAL_DATA[label].erase)
    for label, covered in PERSONAL_DATA.items():
        if label in changed:
            continue
        if label == "leads.leadevent":  # keeps the structure the figures are built from
            changed[label] = lead_events_erase(events=_rows(label, subjects))
            continue
        changed[label] = _rows(label, subjects).update(**covered.erase)
    for subject in subjects:
        audit_record(
            actor=actor,
            target=subject,
            action="privacy_erase",
            changes={label: (None, n) for label, n in changed.items()},
            reason=reason,
        )
    return changed


def prospect_is_erased(prospect: Prospect) -> bool:
    return prospect.first_name == ERASED_NAME and prospect.email is None


def suppression_is_erased(email: str) -> bool:
    """True when a person with this address was erased (only the hash of it is left)."""
    return Suppression.objects.filter(email_hash=email_hash(email), email__isnull=True).exists()
