"""English formats: Django's own (django/conf/locale/en/formats.py), "Dec. 7, 2026" and
"2:05 p.m.", with two changes. Weeks start on Monday in both languages: the product's weeks
(dashboards, the calendar, the pace) are ISO weeks of Nordic teams whatever language a user
reads them in, so a week never starts on another day because of the language. And a date
field also accepts the ISO form 2026-12-07 first (what a browser's date picker sends)."""

DATE_FORMAT = "N j, Y"  # Dec. 7, 2026
TIME_FORMAT = "P"  # 2:05 p.m.
DATETIME_FORMAT = "N j, Y, P"  # Dec. 7, 2026, 2:05 p.m.
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "F j"  # December 7
SHORT_DATE_FORMAT = "m/d/Y"  # 12/07/2026
SHORT_DATETIME_FORMAT = "m/d/Y P"
FIRST_DAY_OF_WEEK = 1  # Monday, as in bokmål: see above

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-07
    "%m/%d/%Y",  # 12/07/2026
    "%m/%d/%y",  # 12/07/26
    "%b %d %Y",  # Dec 07 2026
    "%b %d, %Y",  # Dec 07, 2026
    "%d %b %Y",  # 07 Dec 2026
    "%d %b, %Y",  # 07 Dec, 2026
    "%B %d %Y",  # December 07 2026
    "%B %d, %Y",  # December 07, 2026
    "%d %B %Y",  # 07 December 2026
    "%d %B, %Y",  # 07 December, 2026
]
TIME_INPUT_FORMATS = [
    "%H:%M",  # 14:05
    "%H:%M:%S",  # 14:05:00
    "%H:%M:%S.%f",
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",  # 2026-12-07 14:05:00
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",  # 2026-12-07 14:05
    "%Y-%m-%dT%H:%M",  # what <input type="datetime-local"> sends
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
