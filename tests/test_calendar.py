"""The one business calendar (sdrcrm/calendar.py): Monday to Friday, 08:00-17:00 local time by
default, without the public holidays of the given country nor the closed days passed in (a
frozenset of rules: dates, (month, day) pairs, country codes)."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from sdrcrm.calendar import (
    BusinessHours,
    add_business_days,
    add_business_hours,
    business_hours_between,
    holiday_names,
    in_business_hours,
    is_business_day,
    is_closed,
    next_opening,
)

OSLO = ZoneInfo("Europe/Oslo")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """2026-03-<day>: the 2nd is a Monday."""
    return datetime(2026, month, day, hour, minute, tzinfo=OSLO)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(3, 9), 2, at(3, 11)),  # within a Tuesday
        (at(3, 7), 8, at(3, 16)),  # before opening: counts from 08:00
        (at(3, 16), 0.5, at(3, 16, 30)),  # open until 17:00
        (at(3, 17), 0.5, at(4, 8, 30)),  # after closing: next morning
        (at(6, 15), 8, at(9, 14)),  # Friday 15:00: two hours, then Monday six
        (at(7, 10), 2, at(9, 10)),  # Saturday: from Monday morning
        (at(3, 12), 18, at(5, 12)),  # two whole days later
    ],
)
def test_add_business_hours(start, hours, due):
    assert add_business_hours(start, hours, OSLO) == due


def test_public_holidays_of_the_country_are_not_counted():
    # Easter 2026 in Norway: Thursday 2, Friday 3 and Monday 6 April are public holidays.
    wednesday = at(1, 16, month=4)

    assert add_business_hours(wednesday, 2, OSLO, country="NO") == at(7, 9, month=4)
    assert add_business_hours(wednesday, 2, OSLO) == at(2, 9, month=4)  # no country, no holidays
    assert business_hours_between(wednesday, at(7, 9, month=4), OSLO, country="NO") == 2.0
    assert business_hours_between(wednesday, at(7, 9, month=4), OSLO) == 29.0


def test_other_hours_and_days():
    short = BusinessHours(start=time(10), end=time(12), days=(5,))  # Saturdays 10-12

    assert add_business_hours(at(2, 9), 3, OSLO, short) == at(14, 11)
    assert business_hours_between(at(7, 11), at(14, 11), OSLO, short) == 2.0


def test_daylight_saving_change_over_a_weekend_keeps_local_hours():
    # Summer time ends on Sunday 25 October 2026.
    friday = datetime(2026, 10, 23, 12, tzinfo=OSLO)

    assert add_business_hours(friday, 8, OSLO) == datetime(2026, 10, 26, 11, tzinfo=OSLO)


def test_business_hours_between():
    assert business_hours_between(at(6, 15), at(9, 9), OSLO) == 3.0
    assert business_hours_between(at(3, 9), at(3, 9, 30), OSLO) == 0.5
    assert business_hours_between(at(7, 9), at(8, 20), OSLO) == 0.0  # a weekend
    assert business_hours_between(at(3, 12), at(3, 11), OSLO) == 0.0


def test_days_and_openings():
    assert is_business_day(date(2026, 4, 2)) is True
    assert is_business_day(date(2026, 4, 2), "NO") is False
    assert add_business_days(date(2026, 4, 1), 1, "NO") == date(2026, 4, 7)
    assert next_opening(at(1, 17, month=4), OSLO, country="NO") == at(7, 8, month=4)
    assert next_opening(at(3, 12), OSLO) == at(3, 12)
    assert in_business_hours(at(3, 16, 59), OSLO) is True
    assert in_business_hours(at(3, 17), OSLO) is False


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        add_business_hours(datetime(2026, 3, 3, 9), 1, OSLO)


# --- Closed days besides the public holidays ------------------------------------------------

DEC = [date(2026, 12, d) for d in range(22, 32)]  # Tuesday 22 to Thursday 31 December


@pytest.mark.parametrize(
    ("closed", "open_days"),
    [
        (frozenset(), [22, 23, 24, 28, 29, 30, 31]),
        (frozenset({(12, 24), (12, 31)}), [22, 23, 28, 29, 30]),  # every year
        (frozenset({date(2026, 12, 29)}), [22, 23, 24, 28, 30, 31]),  # that day only
        (frozenset({date(2025, 12, 29)}), [22, 23, 24, 28, 29, 30, 31]),  # another year's
        (frozenset({"FI"}), [22, 23, 28, 29, 30, 31]),  # Finland's holidays hold 24 Dec
        (frozenset({"XX"}), [22, 23, 24, 28, 29, 30, 31]),  # a country nobody knows
    ],
)
def test_closed_days(closed, open_days):
    assert [d.day for d in DEC if is_business_day(d, "NO", closed=closed)] == open_days


@pytest.mark.parametrize(
    ("day", "closed", "expected"),
    [
        (date(2030, 12, 24), frozenset({(12, 24)}), True),
        (date(2030, 12, 23), frozenset({(12, 24)}), False),
        (date(2026, 12, 29), frozenset({date(2026, 12, 29)}), True),
        (date(2027, 12, 29), frozenset({date(2026, 12, 29)}), False),
        (date(2026, 5, 17), frozenset({"NO"}), True),
        (date(2026, 5, 17), frozenset({"SE"}), False),
        (date(2026, 5, 17), frozenset(), False),
    ],
)
def test_is_closed(day, closed, expected):
    assert is_closed(day, closed) is expected


def test_closed_days_move_every_calculation():
    closed = frozenset({(12, 24), (12, 31)})
    wed = datetime(2026, 12, 23, 16, 0, tzinfo=OSLO)
    assert add_business_days(date(2026, 12, 23), 1, "NO") == date(2026, 12, 24)
    assert add_business_days(date(2026, 12, 23), 1, "NO", closed=closed) == date(2026, 12, 28)
    assert next_opening(wed.replace(hour=17), OSLO, country="NO", closed=closed) == wed.replace(
        day=28, hour=8
    )
    assert in_business_hours(wed.replace(day=24, hour=10), OSLO, country="NO") is True
    assert (
        in_business_hours(wed.replace(day=24, hour=10), OSLO, country="NO", closed=closed) is False
    )
    assert add_business_hours(wed, 8, OSLO, country="NO", closed=closed) == wed.replace(
        day=28, hour=15
    )
    assert business_hours_between(wed, wed.replace(day=28, hour=9), OSLO, country="NO") == 11.0
    assert (
        business_hours_between(wed, wed.replace(day=28, hour=9), OSLO, country="NO", closed=closed)
        == 2.0
    )


def test_holiday_names():
    names = dict(holiday_names("NO", 2026))
    assert names[date(2026, 5, 17)] == "Constitution Day"
    assert date(2026, 12, 24) not in names
    assert holiday_names("", 2026) == holiday_names("XX", 2026) == ()
