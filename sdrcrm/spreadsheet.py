"""Writing spreadsheets people open in Excel, LibreOffice or Google Sheets safely.

A cell whose text starts with = + - @ (or a tab or carriage return) would be run as a formula by
the spreadsheet program ("CSV injection"); ``neutralise`` prefixes it with an apostrophe so it is
shown as the text it is. Every export goes through it, CSV and XLSX alike.
"""

import tempfile

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Echo:
    """A file-like object for csv.writer that hands each line back (for streaming)."""

    def write(self, value):
        return value


def xlsx_file(header: list[str], rows, *, title: str = "Sheet1"):
    """An XLSX file (a temporary file, rewound) with ``header`` and ``rows``; every text cell
    neutralised and written as text."""
    # Imported here, not at the top: openpyxl takes about 0.4 s to import, and only an XLSX
    # export needs it (every web and worker process would pay it at start).
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.append(header)
    for row in rows:
        ws.append([neutralise(v) for v in row])
    tmp = tempfile.TemporaryFile()
    wb.save(tmp)
    tmp.seek(0)
    return tmp
