"""Norwegian bokmål formats, over Django's own (django/conf/locale/nb/formats.py): dates as a
Norwegian reads them in a table or a sentence ("7. des. 2026", the month abbreviated as
Språkrådet writes it: "jan.", "mai", "des."), 24-hour times, a decimal comma, groups of three
separated by a non-breaking space (used by the `money` and `amount` filters: numbers are only
grouped where asked, see LANGUAGES in sdrcrm/settings.py), weeks from Monday."""

DATE_FORMAT = "j. N Y"  # 7. des. 2026
TIME_FORMAT = "H:i"  # 14:05
DATETIME_FORMAT = "j. N Y H:i"  # 7. des. 2026 14:05
YEAR_MONTH_FORMAT = "F Y"  # desember 2026
MONTH_DAY_FORMAT = "j. N"  # 7. des.
SHORT_DATE_FORMAT = "d.m.Y"  # 07.12.2026
SHORT_DATETIME_FORMAT = "d.m.Y H:i"  # 07.12.2026 14:05
FIRST_DAY_OF_WEEK = 1  # Monday

# What a date field accepts: ISO 2026-12-07, 7.12.2026, 07.12.2026 and 7.12.26. ISO first:
# the first is how a DateInput writes its value back, and <input type="date"> (our date
# fields) only takes ISO; the browser shows it in the reader's own format.
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-07
    "%d.%m.%Y",  # 07.12.2026, and 7.12.2026 (strptime takes one digit too)
    "%d.%m.%y",  # 07.12.26
]
TIME_INPUT_FORMATS = [
    "%H:%M",  # 14:05
    "%H:%M:%S",  # 14:05:00
    "%H.%M",  # 14.05, as some Norwegians write it
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",  # 2026-12-07 14:05:00 (ISO first, as for dates)
    "%Y-%m-%d %H:%M",
    "%d.%m.%Y %H:%M",  # 07.12.2026 14:05
    "%d.%m.%Y %H:%M:%S",
    "%Y-%m-%dT%H:%M",  # what <input type="datetime-local"> sends
    "%d.%m.%y %H:%M",
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # a non-breaking space: 1 234 567,50
NUMBER_GROUPING = 3
