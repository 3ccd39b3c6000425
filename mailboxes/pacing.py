"""A mailbox's sending limits, across all cadences of its owner: a daily cap counted on the
owner's local day (lower while a new mailbox ramps up), an hourly cap, and a minimum gap between
two emails with random jitter on top.

``mailbox_reserve_sends`` grants room for emails about to leave, under a lock on each mailbox's
row: it reads the mailbox's counters (``MailboxSendCounter``, one row per UTC hour) and its
``next_send_at``, grants what fits now, adds it to the hour's counter (an upsert) and moves
``next_send_at`` on by the gap and a random jitter, all in one transaction. Two dispatchers
reserving for one mailbox queue on the lock, so the caps and the gap hold whatever the number
of workers. A send that does not happen gives its room back (``mailbox_release_send``).

What is not granted gets ``next_slot``: the earliest moment the mailbox may send again. The
caller reschedules it there (inside the prospect's send window), and spaces further waiting
emails by ``spacing`` so that they do not all come due at one moment.

How the dispatcher uses it: docs/design.md ("Through the SDR's own mailbox").
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from .limits import ramp_on
from .models import Mailbox, MailboxSendCounter

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Grant:
    """What a mailbox may send now (``allowed``, at most what was asked), the counter hour it
    was taken from (for giving it back), when it may send next and the spacing between the
    estimated slots of emails that wait."""

    allowed: int
    hour: datetime
    next_slot: datetime
    spacing: timedelta


def owner_zone(name: str | None) -> ZoneInfo:
    """The mailbox owner's time zone (their local day bounds the daily cap)."""
    for candidate in (name, settings.TIME_ZONE):
        try:
            return ZoneInfo(candidate) if candidate else ZoneInfo(settings.TIME_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def hour_of(moment: datetime) -> datetime:
    """The counter row's hour: ``moment`` truncated to the hour, in UTC."""
    utc = moment.astimezone(ZoneInfo("UTC"))
    return utc.replace(minute=0, second=0, microsecond=0)


def local_day_bounds(moment: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The owner's local day around ``moment``: [midnight, next midnight)."""
    start = moment.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    # Wall-clock arithmetic (same tzinfo): the next midnight, also on a 23- or 25-hour day.
    return start, start + timedelta(days=1)


def day_cap(mailbox: Mailbox, moment: datetime, tz: ZoneInfo) -> int:
    """The cap of the owner's local day around ``moment``, with the ramp-up
    (``limits.ramp_on``: counted in the owner's calendar days)."""
    return ramp_on(mailbox, moment, tz).cap_today


def grant(
    mailbox: Mailbox,
    *,
    wanted: int,
    now: datetime,
    tz: ZoneInfo,
    sent_today: int,
    sent_this_hour: int,
) -> tuple[int, datetime]:
    """How many of ``wanted`` may leave now, and the earliest moment for the next one after
    them (before any jitter). Pure: the counts are given."""
    day_start, day_end = local_day_bounds(now, tz)
    gap = timedelta(seconds=mailbox.min_gap_seconds)
    waiting_for_gap = mailbox.next_send_at is not None and mailbox.next_send_at > now
    day_room = max(0, day_cap(mailbox, now, tz) - sent_today)
    hour_room = max(0, mailbox.hourly_cap - sent_this_hour)
    allowed = 0 if waiting_for_gap else min(wanted, day_room, hour_room)
    if allowed and (mailbox.min_gap_seconds or mailbox.jitter_seconds):
        allowed = 1  # one email per gap
    # When the email after these may go: after the gap, in the next hour when this one is
    # full, on the next local day when the day is.
    after = max(now + gap if allowed else now, mailbox.next_send_at or now)
    if hour_room - allowed <= 0:
        after = max(after, hour_of(now) + HOUR)
    if day_room - allowed <= 0:
        after = max(after, day_end)
    return allowed, after


def mailbox_reserve_sends(
    wanted: dict[int, int], *, now: datetime, rng: random.Random | None = None
) -> dict[int, Grant]:
    """Room for {mailbox id: emails wanted now}. Locks each mailbox's row (in id order, so two
    dispatchers never deadlock), grants what its limits allow, counts it and moves its
    ``next_send_at`` on by the gap plus a random jitter, in one committed transaction."""
    if not wanted:
        return {}
    rng = rng or random.SystemRandom()
    hour = hour_of(now)
    grants: dict[int, Grant] = {}
    with transaction.atomic():
        mailboxes = list(
            Mailbox.objects.select_for_update(no_key=True, of=("self",))
            .select_related("user")
            .filter(pk__in=list(wanted))
            .order_by("pk")
        )
        zones = {m.pk: owner_zone(m.user.time_zone) for m in mailboxes}
        bounds = {m.pk: local_day_bounds(now, zones[m.pk]) for m in mailboxes}
        counted = _counts(mailboxes, bounds, hour)
        increments = []
        for mailbox in mailboxes:
            today, this_hour = counted.get(mailbox.pk, (0, 0))
            allowed, after = grant(
                mailbox,
                wanted=wanted[mailbox.pk],
                now=now,
                tz=zones[mailbox.pk],
                sent_today=today,
                sent_this_hour=this_hour,
            )
            jitter = mailbox.jitter_seconds
            if allowed:
                increments.append((mailbox.pk, allowed))
                # The gap only: the caps are read from the counters each time.
                next_send_at = now + timedelta(
                    seconds=mailbox.min_gap_seconds + (rng.uniform(0, jitter) if jitter else 0)
                )
                Mailbox.objects.filter(pk=mailbox.pk).update(next_send_at=next_send_at)
                after = max(after, next_send_at)
            grants[mailbox.pk] = Grant(
                allowed=allowed,
                hour=hour,
                next_slot=after,
                spacing=timedelta(seconds=mailbox.min_gap_seconds + jitter / 2),
            )
        if increments:
            _add(increments, hour)
    return grants


def _counts(mailboxes, bounds, hour) -> dict[int, tuple[int, int]]:
    """{mailbox id: (sent on the owner's local day, sent in ``hour``)}. A counter row counts
    for the day when its hour starts in the day, or contains the day's start (a zone half an
    hour off UTC: that hour counts for both days, so a cap is never overshot)."""
    if not mailboxes:
        return {}
    earliest = min(hour_of(start) for start, _ in bounds.values())
    rows = MailboxSendCounter.objects.filter(
        mailbox_id__in=[m.pk for m in mailboxes], hour__gte=earliest
    ).values_list("mailbox_id", "hour", "sent")
    result: dict[int, tuple[int, int]] = {}
    for mailbox_id, row_hour, sent in rows:
        start, end = bounds[mailbox_id]
        today, this_hour = result.get(mailbox_id, (0, 0))
        if hour_of(start) <= row_hour < end:
            today += sent
        if row_hour == hour:
            this_hour += sent
        result[mailbox_id] = (today, this_hour)
    return result


def _add(increments: list[tuple[int, int]], hour: datetime) -> None:
    table = MailboxSendCounter._meta.db_table
    values = ", ".join(["(%s, %s, %s)"] * len(increments))
    params = [p for mailbox_id, n in increments for p in (mailbox_id, hour, n)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (mailbox_id, hour, sent) VALUES {values} "
            f"ON CONFLICT (mailbox_id, hour) DO UPDATE SET sent = {table}.sent + EXCLUDED.sent",
            params,
        )


def mailbox_release_send(mailbox_id: int, hour: datetime, n: int = 1) -> None:
    """Give back room reserved in ``hour`` for an email that did not leave (its gap stays
    spent: the next email waits for it, which never breaks a limit)."""
    MailboxSendCounter.objects.filter(mailbox_id=mailbox_id, hour=hour, sent__gte=n).update(
        sent=F("sent") - n
    )


def mailbox_record_sent(mailbox_ids: list[int], at: datetime) -> None:
    """The mailboxes' health: when they last sent."""
    Mailbox.objects.filter(pk__in=mailbox_ids).update(last_send_at=at)
