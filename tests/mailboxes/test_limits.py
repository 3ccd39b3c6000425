"""mailboxes/limits.py: the ramp-up and the safe ranges of the sending limits (pure)."""

# ruff: noqa: E501  (the tables of cases and the messages read best one a line)

from datetime import UTC, datetime, timedelta

import pytest

from mailboxes.limits import RANGES, limits_errors, ramp_cap
from mailboxes.models import Mailbox

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "days, cap",
    [(0, 20), (1, 28), (7, 80), (10, 105), (20, 191), (21, 200), (60, 200)],
)
def test_the_ramp_rises_in_equal_daily_steps_from_the_start_cap_to_the_full_one(days, cap):
    ramp = ramp_cap(
        daily_cap=200, ramp_start_cap=20, ramp_days=21, connected_at=T0,
        now=T0 + timedelta(days=days, hours=3),
    )  # fmt: skip
    assert (ramp.day, ramp.cap_today, ramp.done) == (days, cap, days >= 21)


def test_no_ramp_gives_the_full_cap_at_once_and_a_start_above_the_cap_is_the_cap():
    assert (
        ramp_cap(daily_cap=150, ramp_start_cap=20, ramp_days=0, connected_at=T0, now=T0).cap_today
        == 150
    )
    assert (
        ramp_cap(daily_cap=50, ramp_start_cap=80, ramp_days=10, connected_at=T0, now=T0).cap_today
        == 50
    )


def test_a_clock_before_the_connection_counts_as_the_first_day():
    assert ramp_cap(
        daily_cap=200, ramp_start_cap=20, ramp_days=21, connected_at=T0,
        now=T0 - timedelta(hours=2),
    ).cap_today == 20  # fmt: skip


def test_the_model_defaults_are_inside_the_safe_ranges():
    defaults = {name: Mailbox._meta.get_field(name).default for name in RANGES}
    assert defaults == {
        "daily_cap": 200, "hourly_cap": 40, "min_gap_seconds": 60, "jitter_seconds": 60,
        "ramp_start_cap": 20, "ramp_days": 21,
    }  # fmt: skip
    assert limits_errors(defaults) == {}


GOOD = {"daily_cap": 200, "hourly_cap": 40, "min_gap_seconds": 60, "jitter_seconds": 60,
        "ramp_start_cap": 20, "ramp_days": 21}  # fmt: skip


@pytest.mark.parametrize(
    "change, errors",
    [
        ({"daily_cap": 2000}, {"daily_cap": "Emails per day: a whole number from 1 to 500."}),
        ({"daily_cap": 0}, {"daily_cap": "Emails per day: a whole number from 1 to 500."}),
        ({"min_gap_seconds": 2}, {"min_gap_seconds": "Least time between two emails (seconds): a whole number from 10 to 3600."}),
        ({"hourly_cap": True}, {"hourly_cap": "Emails per hour: a whole number from 1 to 100."}),
        ({"ramp_days": None}, {"ramp_days": "Days to reach the full daily cap: a whole number from 0 to 90."}),
        ({"daily_cap": 30}, {"hourly_cap": "The hourly cap cannot be above the daily cap."}),
        ({"daily_cap": 40, "ramp_start_cap": 41}, {"ramp_start_cap": "The ramp-up cannot start above the daily cap."}),
    ],
)  # fmt: skip
def test_limits_outside_the_safe_ranges_are_named(change, errors):
    assert {k: str(v) for k, v in limits_errors({**GOOD, **change}).items()} == errors
