"""Leases on mailboxes: several sync processes, on one machine or many, share the mailboxes
and never sync one at the same time. A process takes free mailboxes (``SELECT … FOR UPDATE
SKIP LOCKED``, so two processes never take one), renews its leases while it lives and gives
them back when it stops; a process that died holds its mailboxes until its leases run out,
then any other takes them over."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from mailboxes.models import Mailbox, MailboxStatus
from sdrcrm import clock

from ..models import SyncLease

# A failing mailbox is synced too (with a back-off): a passing fault clears by itself.
SYNCED_STATUSES = (MailboxStatus.CONNECTED, MailboxStatus.FAILING)


def lease_claim(*, holder: str, limit: int, seconds: int, now: datetime | None = None) -> list[int]:
    """Take up to ``limit`` mailboxes that nobody holds (or whose holder's lease ran out) for
    ``seconds``. Returns their ids."""
    now = now or clock.now()
    if limit <= 0:
        return []
    with transaction.atomic():
        missing = (
            Mailbox.objects.filter(status__in=SYNCED_STATUSES)
            .exclude(pk__in=SyncLease.objects.values("mailbox_id"))
            .values_list("pk", flat=True)
        )
        SyncLease.objects.bulk_create(
            [SyncLease(mailbox_id=pk) for pk in missing], ignore_conflicts=True
        )
        free = list(
            SyncLease.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(mailbox__status__in=SYNCED_STATUSES)
            .filter(Q(until__isnull=True) | Q(until__lte=now))
            .order_by("mailbox_id")
            .values_list("mailbox_id", flat=True)[:limit]
        )
        SyncLease.objects.filter(mailbox_id__in=free).update(
            holder=holder, until=now + timedelta(seconds=seconds)
        )
    return free


def lease_renew(
    *, holder: str, mailbox_ids: list[int], seconds: int, now: datetime | None = None
) -> list[int]:
    """Extend ``holder``'s leases on these mailboxes. Returns the ids still held: a lease
    another process took over (this one was too late) or a mailbox disconnected meanwhile is
    not, and its sync must stop."""
    now = now or clock.now()
    if not mailbox_ids:
        return []
    with transaction.atomic():
        held = list(
            SyncLease.objects.select_for_update(of=("self",))
            .filter(holder=holder, mailbox_id__in=mailbox_ids)
            .filter(mailbox__status__in=SYNCED_STATUSES)
            .order_by("mailbox_id")
            .values_list("mailbox_id", flat=True)
        )
        SyncLease.objects.filter(mailbox_id__in=held).update(until=now + timedelta(seconds=seconds))
    return held


def lease_release(*, holder: str, mailbox_ids: list[int] | None = None) -> int:
    """Give back ``holder``'s leases (all, or these): another process may take them at once."""
    leases = SyncLease.objects.filter(holder=holder)
    if mailbox_ids is not None:
        leases = leases.filter(mailbox_id__in=mailbox_ids)
    return leases.update(holder="", until=None)


def lease_held(*, mailbox_id: int, holder: str, now: datetime | None = None) -> bool:
    now = now or clock.now()
    return SyncLease.objects.filter(mailbox_id=mailbox_id, holder=holder, until__gt=now).exists()
