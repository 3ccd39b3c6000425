"""A mailbox's limits across all cadences (mailboxes/pacing.py): the ramp-up, the daily cap on
the owner's local day, the hourly cap, the gap with jitter, reserved under the mailbox's row
lock so that two dispatchers never overshoot."""

import random
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from mailboxes.models import Mailbox, MailboxSendCounter
from mailboxes.pacing import (
    Grant,
    day_cap,
    hour_of,
    mailbox_release_send,
    mailbox_reserve_sends,
)
from mailboxes.selectors import health_of
from tests.mailboxes.helpers import mailbox_row

OSLO = ZoneInfo("Europe/Oslo")
UTC = ZoneInfo("UTC")
NOW = datetime(2027, 5, 3, 10, 0, tzinfo=OSLO)  # Monday 10:00 in Oslo = 08:00 UTC


class FixedJitter:
    """Half the jitter, every time: exact expectations."""

    def uniform(self, low, high):
        return (low + high) / 2


def counters(mailbox) -> list[tuple[str, int]]:
    return [
        (h.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), n)
        for h, n in MailboxSendCounter.objects.filter(mailbox=mailbox)
        .order_by("hour")
        .values_list("hour", "sent")
    ]


# --- The ramp-up, in the owner's calendar days -----------------------------------------------


@pytest.mark.parametrize(
    ("connected", "cap"),
    [
        # Connected on the evening of the day before: today is already the ramp's day 1.
        (datetime(2027, 5, 2, 23, 30, tzinfo=OSLO), 28),
        (datetime(2027, 5, 3, 0, 5, tzinfo=OSLO), 20),
        (datetime(2027, 4, 23, 12, 0, tzinfo=OSLO), 105),  # day 10
        (datetime(2027, 4, 12, 9, 0, tzinfo=OSLO), 200),  # day 21: the full cap
        (datetime(2027, 3, 27, 12, 0, tzinfo=OSLO), 200),  # day 37
    ],
)
def test_the_days_cap_ramps_in_the_owners_calendar_days(crew, connected, cap):
    mailbox = mailbox_row(crew.sdr, connected_at=connected, daily_cap=200, ramp_start_cap=20,
                          ramp_days=21)  # fmt: skip
    assert day_cap(mailbox, NOW, OSLO) == cap


@pytest.mark.parametrize(
    ("connected", "cap"),
    [
        (datetime(2027, 5, 2, 23, 30, tzinfo=OSLO), 28),
        (datetime(2027, 5, 3, 0, 5, tzinfo=OSLO), 20),
    ],
)
def test_the_mailbox_page_shows_the_cap_the_dispatcher_keeps(crew, connected, cap):
    """Connected late the evening before: 10.5 hours ago, but the owner's calendar day 1 for
    the page as for the dispatcher."""
    mailbox = mailbox_row(crew.sdr, connected_at=connected, daily_cap=200, ramp_start_cap=20,
                          ramp_days=21)  # fmt: skip
    health = health_of(mailbox, owner=crew.sdr, now=NOW)
    assert (health.ramp.cap_today, day_cap(mailbox, NOW, OSLO)) == (cap, cap)


def test_the_ramp_across_a_change_of_clocks_counts_calendar_days(crew):
    """Connected on Saturday 27 March 2027 at 23:30 in Oslo; the clocks went forward that
    night. On Monday 29 March at 00:10 (47 hours later, 2 calendar days) the ramp is at day 2."""
    mailbox = mailbox_row(
        crew.sdr, connected_at=datetime(2027, 3, 27, 23, 30, tzinfo=OSLO), daily_cap=200,
        ramp_start_cap=20, ramp_days=21,
    )  # fmt: skip
    assert day_cap(mailbox, datetime(2027, 3, 29, 0, 10, tzinfo=OSLO), OSLO) == 20 + 180 * 2 // 21


# --- Reserving --------------------------------------------------------------------------------


@pytest.fixture
def mailbox(crew):
    """Connected a month ago (no ramp), a 60 s gap with 60 s of jitter, the default caps."""
    return mailbox_row(crew.sdr, connected_at=NOW - timedelta(days=30))


def test_one_email_per_gap_and_the_next_slot_after_gap_and_jitter(mailbox):
    grants = mailbox_reserve_sends({mailbox.pk: 5}, now=NOW, rng=FixedJitter())
    assert grants == {
        mailbox.pk: Grant(
            allowed=1,
            hour=datetime(2027, 5, 3, 8, 0, tzinfo=UTC),
            next_slot=NOW + timedelta(seconds=90),  # gap 60 + half the jitter
            spacing=timedelta(seconds=90),
        )
    }
    mailbox.refresh_from_db()
    assert mailbox.next_send_at == NOW + timedelta(seconds=90)
    assert counters(mailbox) == [("2027-05-03 08:00", 1)]

    # Before the slot: nothing, and the slot stays where it was.
    again = mailbox_reserve_sends({mailbox.pk: 4}, now=NOW + timedelta(seconds=89))
    assert again[mailbox.pk].allowed == 0
    assert again[mailbox.pk].next_slot == NOW + timedelta(seconds=90)
    assert counters(mailbox) == [("2027-05-03 08:00", 1)]

    # At the slot: one more.
    later = mailbox_reserve_sends({mailbox.pk: 4}, now=NOW + timedelta(seconds=90))
    assert later[mailbox.pk].allowed == 1
    assert counters(mailbox) == [("2027-05-03 08:00", 2)]


def test_the_jitter_is_random_within_its_bounds(mailbox):
    """Twenty reservations one after another: each next slot lies between gap and gap +
    jitter after the send, and they are not all the same."""
    moment, waits = NOW, []
    for _ in range(20):
        grant = mailbox_reserve_sends({mailbox.pk: 1}, now=moment, rng=random.Random(len(waits)))
        assert grant[mailbox.pk].allowed == 1
        waits.append((grant[mailbox.pk].next_slot - moment).total_seconds())
        moment = grant[mailbox.pk].next_slot
    assert all(60 <= w <= 120 for w in waits)
    assert len(set(waits)) == 20


def test_the_hourly_cap_holds_the_rest_to_the_next_hour(crew):
    mailbox = mailbox_row(
        crew.sdr,
        connected_at=NOW - timedelta(days=30),
        min_gap_seconds=0,
        jitter_seconds=0,
        hourly_cap=3,
    )
    grants = mailbox_reserve_sends({mailbox.pk: 5}, now=NOW)
    assert grants[mailbox.pk].allowed == 3
    assert grants[mailbox.pk].next_slot == datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    assert (
        mailbox_reserve_sends({mailbox.pk: 2}, now=NOW + timedelta(minutes=59))[mailbox.pk].allowed
        == 0
    )
    assert (
        mailbox_reserve_sends({mailbox.pk: 2}, now=NOW + timedelta(minutes=60))[mailbox.pk].allowed
        == 2
    )
    assert counters(mailbox) == [("2027-05-03 08:00", 3), ("2027-05-03 09:00", 2)]


def test_the_daily_cap_counts_the_owners_local_day_and_not_yesterday(crew):
    """The SDR is in New York: their day began at 04:00 UTC. Sends at 03:00 UTC were
    yesterday's; those at 04:00 and 06:00 UTC count against today's cap of 10."""
    crew.sdr.time_zone = "America/New_York"
    crew.sdr.save(update_fields=["time_zone"])
    mailbox = mailbox_row(
        crew.sdr,
        connected_at=NOW - timedelta(days=30),
        min_gap_seconds=0,
        jitter_seconds=0,
        daily_cap=10,
        hourly_cap=100,
    )
    for hour, sent in ((3, 7), (4, 4), (6, 5)):
        MailboxSendCounter.objects.create(
            mailbox=mailbox, hour=datetime(2027, 5, 3, hour, tzinfo=UTC), sent=sent
        )
    grants = mailbox_reserve_sends({mailbox.pk: 5}, now=NOW)  # 08:00 UTC, 04:00 in New York
    assert grants[mailbox.pk].allowed == 1
    # The next local day in New York begins at 04:00 UTC tomorrow.
    assert grants[mailbox.pk].next_slot == datetime(2027, 5, 4, 4, 0, tzinfo=UTC)
    assert (
        mailbox_reserve_sends({mailbox.pk: 1}, now=NOW + timedelta(hours=19, minutes=59))[
            mailbox.pk
        ].allowed
        == 0
    )
    assert (
        mailbox_reserve_sends({mailbox.pk: 1}, now=NOW + timedelta(hours=20))[mailbox.pk].allowed
        == 1
    )


def test_a_new_mailbox_ramps_up_from_its_start_cap(crew):
    """Connected this morning with a start cap of 2 rising to 12 over 5 days: 2 today, 4
    tomorrow."""
    mailbox = mailbox_row(
        crew.sdr,
        connected_at=NOW - timedelta(hours=2),
        min_gap_seconds=0,
        jitter_seconds=0,
        daily_cap=12,
        ramp_start_cap=2,
        ramp_days=5,
    )
    assert mailbox_reserve_sends({mailbox.pk: 5}, now=NOW)[mailbox.pk].allowed == 2
    assert (
        mailbox_reserve_sends({mailbox.pk: 5}, now=NOW + timedelta(hours=1))[mailbox.pk].allowed
        == 0
    )
    tomorrow = NOW + timedelta(days=1)
    assert mailbox_reserve_sends({mailbox.pk: 5}, now=tomorrow)[mailbox.pk].allowed == 4


def test_room_given_back_is_taken_again(crew):
    mailbox = mailbox_row(
        crew.sdr, connected_at=NOW - timedelta(days=30), min_gap_seconds=0, jitter_seconds=0,
        hourly_cap=2,
    )  # fmt: skip
    grant = mailbox_reserve_sends({mailbox.pk: 2}, now=NOW)[mailbox.pk]
    assert grant.allowed == 2
    mailbox_release_send(mailbox.pk, grant.hour)
    assert counters(mailbox) == [("2027-05-03 08:00", 1)]
    assert mailbox_reserve_sends({mailbox.pk: 2}, now=NOW)[mailbox.pk].allowed == 1
    assert counters(mailbox) == [("2027-05-03 08:00", 2)]


def test_each_mailbox_has_its_own_limits(crew):
    a = mailbox_row(crew.sdr, connected_at=NOW - timedelta(days=30))
    b = mailbox_row(crew.sdr2, connected_at=NOW - timedelta(days=30), min_gap_seconds=0,
                     jitter_seconds=0)  # fmt: skip
    grants = mailbox_reserve_sends({a.pk: 3, b.pk: 3}, now=NOW, rng=FixedJitter())
    assert (grants[a.pk].allowed, grants[b.pk].allowed) == (1, 3)
    assert counters(a) == [("2027-05-03 08:00", 1)]
    assert counters(b) == [("2027-05-03 08:00", 3)]


def test_hour_of_truncates_to_the_utc_hour():
    assert hour_of(datetime(2027, 5, 3, 10, 59, 59, tzinfo=OSLO)) == datetime(
        2027, 5, 3, 8, 0, tzinfo=UTC
    )


# --- Two dispatchers at once ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("gap", [0, 60])
def test_two_dispatchers_reserving_at_once_never_overshoot(crew, gap):
    """Two connections reserve for one mailbox at the same moment, 20 rounds: with a gap, one
    email in all per round; without one, the hourly cap of 5 in all."""
    mailbox = mailbox_row(
        crew.sdr,
        connected_at=NOW - timedelta(days=30),
        min_gap_seconds=gap,
        jitter_seconds=0,
        hourly_cap=5,
        daily_cap=1000,
    )
    for round_no in range(20):
        moment = NOW + timedelta(hours=round_no)
        Mailbox.objects.filter(pk=mailbox.pk).update(next_send_at=None)
        gate = threading.Barrier(2)
        allowed = []

        def reserve(gate=gate, allowed=allowed, moment=moment):
            try:
                connection.ensure_connection()
                gate.wait(timeout=20)
                allowed.append(mailbox_reserve_sends({mailbox.pk: 5}, now=moment)[mailbox.pk])
            finally:
                connections.close_all()

        threads = [threading.Thread(target=reserve) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=40)
        assert sorted(g.allowed for g in allowed) == ([0, 1] if gap else [0, 5])
        assert MailboxSendCounter.objects.get(mailbox=mailbox, hour=hour_of(moment)).sent == (
            1 if gap else 5
        )
