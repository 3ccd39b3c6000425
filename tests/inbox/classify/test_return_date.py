"""The return date of an automatic reply: the first day the person is back."""

from datetime import date

import pytest

from inbox.classify import return_date

SUMMER = date(2026, 7, 1)  # a Wednesday
WINTER = date(2026, 12, 10)  # a Thursday


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        # back on the day named
        ("Jeg er tilbake 3. august.", SUMMER, date(2026, 8, 3)),
        ("Jeg er tilbake på kontoret mandag 5. januar.", WINTER, date(2027, 1, 5)),
        ("I'll be back on Monday 5 January.", WINTER, date(2027, 1, 5)),
        ("Returning January 5th.", WINTER, date(2027, 1, 5)),
        ("I am returning on Jan 5, 2027.", WINTER, date(2027, 1, 5)),
        ("Jag är åter 5 januari.", WINTER, date(2027, 1, 5)),
        ("Jeg er tilbage den 5. januar.", WINTER, date(2027, 1, 5)),
        ("Ich bin ab dem 5. Januar wieder im Büro.", WINTER, date(2027, 1, 5)),
        ("Eg er tilbake 14/7.", SUMMER, date(2026, 7, 14)),
        # "until": back that day
        ("Out of office until 2027-01-05.", WINTER, date(2027, 1, 5)),
        ("Ich bin bis zum 5. Januar nicht im Büro.", WINTER, date(2027, 1, 5)),
        ("I'm out until Monday, January 5, 2027.", WINTER, date(2027, 1, 5)),
        ("Jeg er borte til 3. august.", SUMMER, date(2026, 8, 3)),
        # "through": back the next day
        ("Jeg er på ferie til og med 3. august.", SUMMER, date(2026, 8, 4)),
        ("Ferie til og med 14.07.", SUMMER, date(2026, 7, 15)),
        ("Ferie t.o.m. 14/7.", SUMMER, date(2026, 7, 15)),
        ("Jag är ledig till och med 14 juli.", SUMMER, date(2026, 7, 15)),
        ("Away through December 31.", WINTER, date(2027, 1, 1)),
        ("Ich bin bis einschließlich 4. Januar im Urlaub.", WINTER, date(2027, 1, 5)),
        ("Jeg er på ferie frem til og med 3. august.", SUMMER, date(2026, 8, 4)),
        # "from": back that day only when the sentence says so
        ("Jeg er tilbake fra og med 4. august.", SUMMER, date(2026, 8, 4)),
        ("Fra og med 4. august er jeg på kontoret igjen.", SUMMER, date(2026, 8, 4)),
        ("Jeg har ferie fra og med 20. juli.", SUMMER, None),
        # ranges: the end is the last day away
        ("Jeg er på ferie fra og med 20. juli til og med 3. august.", SUMMER, date(2026, 8, 4)),
        ("Ferie 20.07 - 03.08.", SUMMER, date(2026, 8, 4)),
        ("Ferie 20.–24. juli.", SUMMER, date(2026, 7, 25)),
        ("Out of the office from 20 July to 3 August.", SUMMER, date(2026, 8, 3)),
        # "before", only after a negation
        ("Jeg er ikke tilbake før 5. januar.", WINTER, date(2027, 1, 5)),
        ("Send meg tilbudet før 1. august.", SUMMER, None),
        # weeks, weekdays, tomorrow
        ("Tilbake i uke 32.", SUMMER, date(2026, 8, 3)),
        ("Ferie til og med uke 32.", SUMMER, date(2026, 8, 10)),
        ("Tilbake mandag.", SUMMER, date(2026, 7, 6)),
        ("Back tomorrow.", SUMMER, date(2026, 7, 2)),
        # several qualifying dates: the latest
        ("Tilbake 3. august. Back on 4 August.", SUMMER, date(2026, 8, 4)),
        # none
        ("Jeg er på ferie.", SUMMER, None),
        ("Jeg er på ferie. Møtet 3. august står.", SUMMER, None),
        ("Tilbake kl. 08.05.", SUMMER, None),  # a time of day, not 8 May
        ("Kundeservice svarer til 24/7.", SUMMER, None),
        ("Tilbake 31.02.", SUMMER, None),
        ("", SUMMER, None),
    ],
)
def test_return_date(text, today, expected):
    assert return_date(text, today) == expected


def test_numeric_dates_are_day_first_whatever_the_language():
    assert return_date("Back on 5/1.", WINTER) == date(2027, 1, 5)
    assert return_date("Back on 1/5.", WINTER) == date(2027, 5, 1)


def test_a_date_just_past_is_this_years_not_next_years():
    # A stale auto-reply read on 5 August: the person has been back since the 4th.
    assert return_date("Ferie til og med 3. august.", date(2026, 8, 5)) == date(2026, 8, 4)
    # Thirty days back is the limit; older dates are next year's.
    assert return_date("Tilbake 6. juli.", date(2026, 8, 5)) == date(2026, 7, 6)
    assert return_date("Tilbake 5. juli.", date(2026, 8, 5)) == date(2027, 7, 5)


def test_a_date_without_a_year_rolls_over_the_new_year():
    assert return_date("Tilbake 4. januar.", date(2026, 12, 28)) == date(2027, 1, 4)


def test_a_written_year_is_taken_as_given_within_reason():
    assert return_date("Tilbake 4. januar 2028.", WINTER) == date(2028, 1, 4)
    assert return_date("Tilbake 14.07.27.", WINTER) == date(2027, 7, 14)
    assert return_date("Tilbake 4. januar 1999.", WINTER) is None


def test_lines_wrapped_inside_a_sentence_are_read_as_one():
    text = "Jeg er på ferie\ntil og med\n3. august og\nleser ikke e-post."
    assert return_date(text, SUMMER) == date(2026, 8, 4)
