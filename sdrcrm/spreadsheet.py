"""Writing spreadsheets people open in Excel, LibreOffice or Google Sheets safely.

A cell whose text starts with = + - @ (or a tab or carriage return) would be run as a formula by
the spreadsheet program ("CSV injection"); ``neutralise`` prefixes it with an apostrophe so it is
shown as the text it is. Every export goes through it, CSV and XLSX alike.
"""

import csv
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


# CSV for Excel as people here have it. Excel opens a CSV with the list separator of the
# computer's regional settings, which is ";" wherever the decimal mark is a comma (Norway and
# most of Europe): a comma-separated file lands in one column there. It reads the file as
# UTF-8 only when it starts with a byte order mark (else æøå are garbled). LibreOffice, Numbers
# and Google Sheets detect both, and so does our own importer (intake/reader.py).
CSV_DELIMITER = ";"
CSV_BOM = "\ufeff"


def excel_csv_lines(header: list, rows):
    """The lines of a CSV file Excel opens correctly with Norwegian settings (UTF-8 with a byte
    order mark, ";" between cells), every cell neutralised; for a streaming response."""
    writer = csv.writer(Echo(), delimiter=CSV_DELIMITER)
    yield CSV_BOM + writer.writerow([neutralise(v) for v in header])
    for row in rows:
        yield writer.writerow([neutralise(v) for v in row])


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
