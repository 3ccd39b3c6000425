"""Reads of the mailbox sync: what a message read from a mailbox may be about. Every read is
scoped to the mailbox owner's team (a team is a workspace: a message in one SDR's mailbox never
touches another team's lead), and takes a whole batch of messages in one query.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from cadences.models import Enrollment, EnrollmentStatus, Touch
from leads.models import ACTIVE_STATES, Lead
from leads.normalize import FREE_MAIL
from mailboxes.models import Mailbox

from .models import InboundMessage


@dataclass(frozen=True)
class Scope:
    """Whose mailbox is read: every match belongs to ``team_id`` (the owner's team)."""

    mailbox_id: int
    user_id: int
    team_id: int | None
    email: str  # the mailbox's own address

    @classmethod
    def of(cls, mailbox: Mailbox) -> "Scope":
        return cls(
            mailbox_id=mailbox.pk,
            user_id=mailbox.user_id,
            team_id=mailbox.user.team_id,
            email=(mailbox.email or "").strip().lower(),
        )


def touch_key(message_id: str) -> uuid.UUID | None:
    """The touch idempotency key a product Message-ID carries (``<key@domain>``), if any."""
    local = message_id.strip().strip("<>").partition("@")[0]
    if len(local) != 36:
        return None
    try:
        return uuid.UUID(local)
    except ValueError:
        return None


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>")


def product_touches(scope: Scope, ids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Message-ID (as given) -> (touch id, lead id) for the team's touches that went out with
    it: ``Touch.message_id``, or the idempotency key in ``<key@domain>``."""
    ids = {i for i in ids if i}
    if not ids or scope.team_id is None:
        return {}
    keys = {k: i for i in ids if (k := touch_key(i))}
    forms = {f for i in ids for f in (i, _bare(i), f"<{_bare(i)}>")}
    rows = (
        Touch.objects.filter(lead__team_id=scope.team_id)
        .filter(Q(message_id__in=forms) | Q(idempotency_key__in=list(keys)))
        .values_list("pk", "lead_id", "message_id", "idempotency_key")
    )
    found: dict[str, tuple[int, int]] = {}
    for touch_id, lead_id, message_id, key in rows:
        for i in ids:
            if (message_id and _bare(i) == _bare(message_id)) or keys.get(key) == i:
                found.setdefault(i, (touch_id, lead_id))
    return found


def stored_messages(scope: Scope, ids: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Message-ID -> (lead id, kind) of the messages of this mailbox stored before (a thread
    goes on through the prospect's earlier messages and the SDR's own)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = InboundMessage.objects.filter(
        mailbox_id=scope.mailbox_id, message_id__in=ids, lead__isnull=False
    ).values_list("message_id", "lead_id", "kind")
    return {message_id: (lead_id, kind) for message_id, lead_id, kind in rows}


def already_stored(scope: Scope, message_id: str) -> bool:
    return (
        bool(message_id)
        and InboundMessage.objects.filter(
            mailbox_id=scope.mailbox_id, message_id=message_id
        ).exists()
    )


def prospect_leads(scope: Scope, emails: Iterable[str]) -> dict[str, int]:
    """Address -> lead id of the team's prospect with that address: its active lead, else
    its latest (a late reply to a scrapped lead is worth seeing)."""
    emails = {e for e in emails if e}
    if not emails or scope.team_id is None:
        return {}
    rows = (
        Lead.objects.filter(team_id=scope.team_id, prospect__email__in=emails)
        .order_by("prospect__email", "-created_at", "-pk")
        .values_list("prospect__email", "pk", "state")
    )
    found: dict[str, int] = {}
    active: set[str] = set()
    for email, lead_id, state in rows:
        if email in active:
            continue
        if state in ACTIVE_STATES:
            found[email] = lead_id
            active.add(email)
        else:
            found.setdefault(email, lead_id)
    return found


def email_domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower() if "@" in address else ""


def colleague_leads(scope: Scope, domains: Iterable[str]) -> dict[str, int]:
    """Company domain -> lead id of the owner's enrollment, running or paused, in a cadence
    with the exit rule "someone else at the company replied" at a company of that domain
    (the latest started). A free-mail provider's domain is no company's."""
    domains = {d for d in domains if d and d not in FREE_MAIL}
    if not domains or scope.team_id is None:
        return {}
    rows = (
        Enrollment.objects.filter(
            owner_id=scope.user_id,
            lead__team_id=scope.team_id,
            status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED],
            cadence__stop_on_colleague_reply=True,
            lead__prospect__company__domain__in=domains,
        )
        .order_by("-started_at", "-pk")
        .values_list("lead__prospect__company__domain", "lead_id")
    )
    found: dict[str, int] = {}
    for domain, lead_id in rows:
        found.setdefault(domain, lead_id)
    return found


def lead_email(lead_id: int) -> str:
    return Lead.objects.filter(pk=lead_id).values_list("prospect__email", flat=True).first() or ""
