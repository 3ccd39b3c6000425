"""Business hours: Monday to Friday, 08:00-16:00 local time."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from qualification.clock import add_business_hours, business_hours_between

OSLO = ZoneInfo("Europe/Oslo")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """2026-03-<day>: the 2nd is a Monday."""
    return datetime(2026, month, day, hour, minute, tzinfo=OSLO)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(3, 9), 2, at(3, 11)),  # within a Tuesday
        (at(3, 7), 8, at(3, 16)),  # before opening: counts from 08:00
        (at(3, 16), 0.5, at(4, 8, 30)),  # after closing: next morning
        (at(6, 15), 8, at(9, 15)),  # Friday 15:00: one hour, then Monday 7 hours
        (at(7, 10), 2, at(9, 10)),  # Saturday: from Monday morning
        (at(3, 12), 16, at(5, 12)),  # two whole days later
    ],
)
def test_add_business_hours(start, hours, due):
    assert add_business_hours(start, hours, OSLO) == due


def test_daylight_saving_change_over_a_weekend_keeps_local_hours():
    # Summer time ends on Sunday 25 October 2026.
    friday = datetime(2026, 10, 23, 12, tzinfo=OSLO)

    assert add_business_hours(friday, 8, OSLO) == datetime(2026, 10, 26, 12, tzinfo=OSLO)


def test_business_hours_between():
    assert business_hours_between(at(6, 15), at(9, 9), OSLO) == 2.0
    assert business_hours_between(at(3, 9), at(3, 9, 30), OSLO) == 0.5
    assert business_hours_between(at(7, 9), at(8, 20), OSLO) == 0.0  # a weekend
    assert business_hours_between(at(3, 12), at(3, 11), OSLO) == 0.0


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        add_business_hours(datetime(2026, 3, 3, 9), 1, OSLO)
