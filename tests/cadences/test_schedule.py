"""The cadence calendar (pure functions): business days, public holidays, send windows, time
zones with their daylight-saving changes, and steps that slip."""

from datetime import date, datetime, time, timedelta

import pytest

from cadences.schedule import (
    Recipient,
    SendWindow,
    add_business_days,
    due_after,
    in_send_window,
    is_business_day,
    next_send_slot,
    plan,
    recipient_zone,
    step_due,
)
from tests.cadences.helpers import NEW_YORK, OSLO, UTC, at, local

NORWAY = Recipient(tz=OSLO, country="NO")
NOWHERE = Recipient(tz=OSLO, country="")  # no public holidays
US = Recipient(tz=NEW_YORK, country="US")

# --- Business days and public holidays --------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 5, 14), True),  # a Friday
        (date(2027, 5, 15), False),  # Saturday
        (date(2027, 5, 16), False),  # Sunday
        (date(2027, 5, 17), False),  # Constitution Day (and Whit Monday)
        (date(2027, 5, 6), False),  # Ascension Day, a Thursday
        (date(2027, 3, 25), False),  # Maundy Thursday
        (date(2027, 3, 29), False),  # Easter Monday
        (date(2028, 12, 25), False),  # Christmas Day, a Monday
        (date(2028, 12, 26), False),  # Boxing Day, a Tuesday
        (date(2028, 12, 27), True),
    ],
)
def test_norwegian_business_days(day, expected):
    assert is_business_day(day, NORWAY) is expected


def test_holidays_are_the_recipients_countrys():
    constitution_day = date(2027, 5, 17)
    thanksgiving = date(2027, 11, 25)
    assert is_business_day(constitution_day, US) is True
    assert is_business_day(thanksgiving, US) is False
    assert is_business_day(thanksgiving, NORWAY) is True
    assert is_business_day(constitution_day, NOWHERE) is True


def test_an_unknown_country_has_no_holidays():
    assert is_business_day(date(2027, 5, 17), Recipient(tz=OSLO, country="XX")) is True


@pytest.mark.parametrize(
    ("start", "n", "recipient", "expected"),
    [
        (date(2027, 5, 12), 2, NORWAY, date(2027, 5, 14)),  # Wed + 2 = Fri
        (date(2027, 5, 14), 1, NORWAY, date(2027, 5, 18)),  # Fri + 1 skips the weekend and 17 May
        (date(2027, 5, 14), 1, NOWHERE, date(2027, 5, 17)),  # no holidays: Monday
        (date(2027, 5, 14), 1, US, date(2027, 5, 17)),  # 17 May is a working day in the US
        (date(2027, 5, 5), 1, NORWAY, date(2027, 5, 7)),  # skips Ascension Day
        (date(2027, 3, 24), 1, NORWAY, date(2027, 3, 30)),  # Easter: Thu, Fri, Mon off
        (date(2028, 12, 22), 1, NORWAY, date(2028, 12, 27)),  # Christmas on Mon and Tue
        (date(2027, 5, 15), 0, NORWAY, date(2027, 5, 18)),  # 0 from a Saturday: next open day
        (date(2027, 5, 14), 0, NORWAY, date(2027, 5, 14)),  # 0 from a business day: itself
        (date(2027, 11, 24), 1, US, date(2027, 11, 26)),  # Thanksgiving
    ],
)
def test_add_business_days(start, n, recipient, expected):
    assert add_business_days(start, n, recipient) == expected


# --- Send windows -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earliest", "expected"),
    [
        (at(2027, 5, 11, 6, 30), ("2027-05-11", "08:00")),  # before the window: its opening
        (at(2027, 5, 11, 8, 0), ("2027-05-11", "08:00")),  # at the opening
        (at(2027, 5, 11, 10, 15), ("2027-05-11", "10:15")),  # inside: right away
        (at(2027, 5, 11, 16, 59), ("2027-05-11", "16:59")),
        (at(2027, 5, 11, 17, 0), ("2027-05-12", "08:00")),  # the end is closed: next day
        (at(2027, 5, 11, 23, 30), ("2027-05-12", "08:00")),
        (at(2027, 5, 14, 18, 0), ("2027-05-18", "08:00")),  # Friday evening: after 17 May
        (at(2027, 5, 15, 11, 0), ("2027-05-18", "08:00")),  # Saturday
        (at(2027, 5, 17, 9, 0), ("2027-05-18", "08:00")),  # the holiday itself
    ],
)
def test_next_send_slot_in_oslo(earliest, expected):
    slot = next_send_slot(earliest, NORWAY)
    assert local(slot) == expected
    assert in_send_window(slot, NORWAY) is True


def test_next_send_slot_keeps_seconds_inside_the_window():
    earliest = datetime(2027, 5, 11, 10, 15, 42, tzinfo=OSLO)
    assert next_send_slot(earliest, NORWAY) == earliest


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2027, 5, 11, 7, 59), False),
        (at(2027, 5, 11, 8, 0), True),
        (at(2027, 5, 11, 16, 59), True),
        (at(2027, 5, 11, 17, 0), False),
        (at(2027, 5, 15, 10, 0), False),  # Saturday
        (at(2027, 5, 17, 10, 0), False),  # 17 May
    ],
)
def test_in_send_window(moment, expected):
    assert in_send_window(moment, NORWAY) is expected


def test_a_custom_window_and_custom_days():
    saturday_mornings = Recipient(
        tz=OSLO, country="", window=SendWindow(start=time(10, 0), end=time(12, 0), days=(5,))
    )
    assert local(next_send_slot(at(2027, 5, 10, 9, 0), saturday_mornings)) == (
        "2027-05-15",
        "10:00",
    )
    assert local(next_send_slot(at(2027, 5, 15, 11, 30), saturday_mornings)) == (
        "2027-05-15",
        "11:30",
    )
    assert local(next_send_slot(at(2027, 5, 15, 12, 0), saturday_mornings)) == (
        "2027-05-22",
        "10:00",
    )
    assert in_send_window(at(2027, 5, 11, 10, 30), saturday_mornings) is False
    assert in_send_window(at(2027, 5, 15, 10, 30), saturday_mornings) is True
    # Business days are the window's days: one business day after a Saturday is the next one.
    assert add_business_days(date(2027, 5, 15), 1, saturday_mornings) == date(2027, 5, 22)


def test_a_window_with_no_day_never_opens():
    closed = Recipient(tz=OSLO, window=SendWindow(days=()))
    with pytest.raises(ValueError, match="No send slot within a year"):
        next_send_slot(at(2027, 5, 10, 9, 0), closed)


# --- Time zones -------------------------------------------------------------------------------


def test_recipient_zone_takes_the_first_valid_zone():
    assert recipient_zone("", "Bad/Zone", "America/New_York").key == "America/New_York"
    assert recipient_zone("Asia/Tokyo", "America/New_York").key == "Asia/Tokyo"
    assert recipient_zone(None, "../etc/passwd", "").key == "Europe/Oslo"
    assert recipient_zone("", default="UTC").key == "UTC"


def test_a_us_prospect_is_emailed_in_new_york_hours():
    """07:00 in Oslo is 01:00 in New York: the Oslo prospect gets it at 08:00 Oslo, the New
    York one at 08:00 New York (14:00 Oslo)."""
    earliest = at(2027, 5, 11, 7, 0)
    assert local(next_send_slot(earliest, NORWAY)) == ("2027-05-11", "08:00")
    us_slot = next_send_slot(earliest, US)
    assert local(us_slot, NEW_YORK) == ("2027-05-11", "08:00")
    assert local(us_slot, OSLO) == ("2027-05-11", "14:00")
    # 15:00 in Oslo is 09:00 in New York: inside both windows. 18:00 Oslo only in New York's.
    assert in_send_window(at(2027, 5, 11, 15, 0), US) is True
    assert in_send_window(at(2027, 5, 11, 18, 0), US) is True
    assert in_send_window(at(2027, 5, 11, 18, 0), NORWAY) is False
    # 17 May: no email in Oslo, business as usual in New York.
    assert local(next_send_slot(at(2027, 5, 17, 9, 0, tz=NEW_YORK), US), NEW_YORK) == (
        "2027-05-17",
        "09:00",
    )


def test_the_window_follows_local_time_across_the_european_dst_change():
    """Clocks go forward on Sunday 28 March 2027 in Oslo: 08:00 is 07:00 UTC before, 06:00
    UTC after."""
    friday = due_after(at(2027, 3, 25, 12, 0), 1, NOWHERE)
    monday = due_after(friday, 1, NOWHERE)
    assert local(friday) == ("2027-03-26", "08:00")
    assert local(monday) == ("2027-03-29", "08:00")
    assert friday.astimezone(UTC).hour == 7
    assert monday.astimezone(UTC).hour == 6
    # Python subtracts aware datetimes of one zone by wall clock; in UTC the gap is 71 hours.
    assert monday.astimezone(UTC) - friday.astimezone(UTC) == timedelta(hours=71)
    # Clocks go back on Sunday 31 October 2027.
    before = due_after(at(2027, 10, 28, 12, 0), 1, NOWHERE)
    after = due_after(before, 1, NOWHERE)
    assert (local(before), before.astimezone(UTC).hour) == (("2027-10-29", "08:00"), 6)
    assert (local(after), after.astimezone(UTC).hour) == (("2027-11-01", "08:00"), 7)


def test_the_us_dst_change_comes_two_weeks_before_europes():
    """New York goes to summer time on 14 March 2027, Oslo on 28 March: in between the two
    are five hours apart instead of six."""
    friday = due_after(at(2027, 3, 11, 12, 0, tz=NEW_YORK), 1, US)
    monday = due_after(friday, 1, US)
    assert (local(friday, NEW_YORK), friday.astimezone(UTC).hour) == (("2027-03-12", "08:00"), 13)
    assert (local(monday, NEW_YORK), monday.astimezone(UTC).hour) == (("2027-03-15", "08:00"), 12)
    assert local(monday, OSLO) == ("2027-03-15", "13:00")
    assert local(friday, OSLO) == ("2027-03-12", "14:00")


def test_a_window_opening_inside_the_dst_gap_or_repeat():
    """With a weekend window opening at 02:30, the spring-forward day has no 02:30: the slot is
    01:30 UTC (03:30 summer time). On the fall-back day 02:30 happens twice: the first one."""
    night = Recipient(
        tz=OSLO,
        country="",
        window=SendWindow(start=time(2, 30), end=time(17, 0), days=tuple(range(7))),
    )
    spring = next_send_slot(at(2027, 3, 28, 0, 0), night)
    assert spring.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert local(spring) == ("2027-03-28", "03:30")
    assert in_send_window(spring, night) is True
    autumn = next_send_slot(at(2027, 10, 31, 0, 0), night)
    assert autumn.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert local(autumn) == ("2027-10-31", "02:30")


# --- Offsets, steps and slipping --------------------------------------------------------------


def test_due_after_zero_is_the_next_slot():
    assert local(due_after(at(2027, 5, 11, 10, 15), 0, NORWAY)) == ("2027-05-11", "10:15")
    assert local(due_after(at(2027, 5, 11, 17, 30), 0, NORWAY)) == ("2027-05-12", "08:00")


def test_due_after_n_is_the_window_opening_n_business_days_later():
    assert local(due_after(at(2027, 5, 10, 16, 55), 2, NORWAY)) == ("2027-05-12", "08:00")
    assert local(due_after(at(2027, 5, 14, 10, 0), 1, NORWAY)) == ("2027-05-18", "08:00")
    # Counted in the recipient's zone: 23:30 Monday in Oslo is still Monday in New York.
    assert local(due_after(at(2027, 5, 10, 23, 30), 1, US), NEW_YORK) == ("2027-05-11", "08:00")
    assert local(due_after(at(2027, 5, 10, 23, 30), 1, NORWAY)) == ("2027-05-11", "08:00")
    assert local(due_after(at(2027, 5, 11, 0, 30), 1, NORWAY)) == ("2027-05-12", "08:00")


def test_step_due_counted_from_enrollment():
    start = at(2027, 5, 10, 10, 0)
    on_time = step_due(
        previous=at(2027, 5, 10, 10, 0), start=start, offset_days=3, from_start=True,
        recipient=NORWAY,
    )  # fmt: skip
    assert local(on_time) == ("2027-05-13", "08:00")
    # From the previous step instead: three business days after Wednesday 12th.
    from_previous = step_due(
        previous=at(2027, 5, 12, 9, 0), start=start, offset_days=3, from_start=False,
        recipient=NORWAY,
    )  # fmt: skip
    assert local(from_previous) == ("2027-05-18", "08:00")  # Thu, Fri, (17 May), Tue


def test_a_step_counted_from_enrollment_never_comes_before_the_previous_one():
    start = at(2027, 5, 10, 10, 0)
    late_previous = at(2027, 5, 14, 11, 20)  # the step before happened on Friday
    due = step_due(
        previous=late_previous, start=start, offset_days=3, from_start=True, recipient=NORWAY
    )
    assert local(due) == ("2027-05-14", "11:20")


STANDARD_OFFSETS = [(0, False), (0, False), (2, False), (3, False), (2, False), (0, False),
                    (3, False), (3, False), (3, False)]  # fmt: skip


def test_plan_of_the_standard_cadence_in_norway():
    due = plan(at(2027, 5, 3, 10, 0), STANDARD_OFFSETS, NORWAY)
    assert [local(d) for d in due] == [
        ("2027-05-03", "10:00"),
        ("2027-05-03", "10:00"),
        ("2027-05-05", "08:00"),
        ("2027-05-11", "08:00"),  # Thu 6 May is Ascension Day
        ("2027-05-13", "08:00"),
        ("2027-05-13", "08:00"),
        ("2027-05-19", "08:00"),  # Mon 17 May is Constitution Day
        ("2027-05-24", "08:00"),
        ("2027-05-27", "08:00"),
    ]


def test_plan_of_the_standard_cadence_for_new_york():
    due = plan(at(2027, 5, 3, 10, 0), STANDARD_OFFSETS, US)
    assert [local(d, NEW_YORK) for d in due] == [
        ("2027-05-03", "08:00"),  # 10:00 in Oslo is 04:00 in New York
        ("2027-05-03", "08:00"),
        ("2027-05-05", "08:00"),
        ("2027-05-10", "08:00"),
        ("2027-05-12", "08:00"),
        ("2027-05-12", "08:00"),
        ("2027-05-17", "08:00"),
        ("2027-05-20", "08:00"),
        ("2027-05-25", "08:00"),
    ]


def test_plan_mixing_offsets_from_enrollment_and_from_the_previous_step():
    steps = [(0, False), (4, True), (1, False), (2, True)]
    due = plan(at(2027, 5, 10, 9, 0), steps, NORWAY)
    assert [local(d) for d in due] == [
        ("2027-05-10", "09:00"),
        ("2027-05-14", "08:00"),  # four business days after enrollment
        ("2027-05-18", "08:00"),  # one after Friday: 17 May is off
        ("2027-05-18", "08:00"),  # two after enrollment is Wednesday 12th: never before the last
    ]


def test_a_late_step_shifts_the_following_ones():
    """Step 2 was planned for Wednesday 12th but happened on Friday 14th at 15:00: steps 3 and
    4 move with it, keeping their business-day gaps."""
    steps = [(0, False), (2, False), (2, False), (1, False)]
    start = at(2027, 5, 10, 9, 0)
    planned = plan(start, steps, NORWAY)
    assert [local(d) for d in planned] == [
        ("2027-05-10", "09:00"),
        ("2027-05-12", "08:00"),
        ("2027-05-14", "08:00"),
        ("2027-05-18", "08:00"),
    ]
    actual_step_2 = at(2027, 5, 14, 15, 0)
    step_3 = step_due(
        previous=actual_step_2, start=start, offset_days=2, from_start=False, recipient=NORWAY
    )
    step_4 = step_due(
        previous=step_3, start=start, offset_days=1, from_start=False, recipient=NORWAY
    )
    assert (local(step_3), local(step_4)) == (("2027-05-19", "08:00"), ("2027-05-20", "08:00"))
