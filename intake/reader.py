"""Reading uploaded lists: format, encoding, delimiter and header detection, and a streaming
row reader over the stored chunks. Pure apart from the chunk source it is given.

Everything read is text: a cell that starts with = + - @ is kept as that text and never
evaluated (XLSX formulas are read as their formula text, not their cached result).
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


class FileRejected(Exception):
    """The file as a whole cannot be imported; the message says why, for the user."""


@dataclass
class Detected:
    file_format: str  # csv | xlsx
    encoding: str = ""
    delimiter: str = ""


def max_columns() -> int:
    return settings.SDRCRM_IMPORT_MAX_COLUMNS


def max_cell() -> int:
    return settings.SDRCRM_IMPORT_MAX_CELL_CHARS


class Sniffer:
    """Fed the upload chunk by chunk: size, checksum input, binary and encoding checks in one
    pass, so a file is read exactly once on upload."""

    def __init__(self):
        self.size = 0
        self.head = b""
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.utf8_ok = True
        self.cp1252_ok = True

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self.head) < SAMPLE_BYTES:
            self.head += chunk[: SAMPLE_BYTES - len(self.head)]
        if self.utf8_ok:
            try:
                self._utf8.decode(chunk)
            except UnicodeDecodeError:
                self.utf8_ok = False
        if self.cp1252_ok and not CP1252_UNDEFINED.isdisjoint(chunk):
            self.cp1252_ok = False

    def finish(self) -> Detected:
        if self.utf8_ok:
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8_ok = False
        head = self.head
        if self.size == 0 or not head.strip():
            raise FileRejected("The file is empty.")
        if head.startswith(b"PK\x03\x04"):
            return Detected("xlsx")
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileRejected(
                "This is an old Excel (.xls) file: save it as .xlsx or .csv and upload that."
            )
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        elif head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif b"\x00" in head:
            raise FileRejected(
                "This is not a spreadsheet: the file is binary. Upload a CSV or XLSX file."
            )
        elif self.utf8_ok:
            encoding = "utf-8"
        elif self.cp1252_ok:
            encoding = "cp1252"
        else:
            encoding = "latin-1"
        text = head.decode(encoding, errors="replace")
        if _looks_binary(text):
            raise FileRejected(
                "This is not a spreadsheet: the file is binary. Upload a CSV or XLSX file."
            )
        return Detected("csv", encoding=encoding, delimiter=_sniff_delimiter(text))


def _looks_binary(text: str) -> bool:
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n")
    return controls > max(8, len(text) // 100) or "\ufffd" * 4 in text


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most equal, largest number of cells
    (quotes respected)."""
    lines = text.splitlines()[:20]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end mid-line
    best, best_score = ",", -1.0
    for delim in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delim) if any(row)]
        except csv.Error:
            continue
        if not counts:
            continue
        widest = max(counts)
        if widest < 2:
            continue
        same = sum(1 for c in counts if c == widest) / len(counts)
        score = same * 10 + min(widest, 50) / 50
        if score > best_score:
            best, best_score = delim, score
    return best


# --- Reading rows -----------------------------------------------------------------------------


class ChunkStream(io.RawIOBase):
    """A read-only byte stream over an iterable of byte chunks."""

    def __init__(self, chunks: Iterable[bytes]):
        self._it = iter(chunks)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            try:
                self._buf = next(self._it)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


@dataclass
class Record:
    line: int  # line number in the file (1-based; the row number in a spreadsheet)
    cells: list[str]


def iter_records(detected: Detected, chunks: Iterable[bytes]) -> Iterator[Record]:
    """Every record of the file, header included, as text cells. Raises FileRejected on a
    structural problem (too many columns, a giant cell, a broken quote)."""
    if detected.file_format == "xlsx":
        yield from _iter_xlsx(chunks)
    else:
        yield from _iter_csv(detected, chunks)


def _iter_csv(detected: Detected, chunks: Iterable[bytes]) -> Iterator[Record]:
    raw = io.BufferedReader(ChunkStream(chunks), buffer_size=1 << 20)
    text = io.TextIOWrapper(raw, encoding=detected.encoding, errors="strict", newline="")
    limit_cols, limit_cell = max_columns(), max_cell()
    csv.field_size_limit(limit_cell + 1)
    reader = csv.reader(text, delimiter=detected.delimiter or ",", strict=False)
    line = 1
    try:
        for cells in reader:
            if len(cells) > limit_cols:
                raise FileRejected(
                    f"Line {line} has {len(cells):,} columns; the limit is {limit_cols:,}."
                )
            yield Record(line, cells)
            line = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise FileRejected(
                f"Line {line} has a cell longer than {limit_cell:,} characters."
            ) from exc
        raise FileRejected(f"Line {line} cannot be read as CSV: {exc}.") from exc
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"Line {line} is not valid {detected.encoding} text. Save the file as UTF-8 CSV."
        ) from exc


def _check_zip(path: str) -> None:
    """Refuse zip bombs before any XML is parsed."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise FileRejected("This is not a valid XLSX file (the archive is damaged).") from exc
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise FileRejected("This archive is not an Excel workbook. Upload a CSV or XLSX file.")
    total = sum(i.file_size for i in infos)
    if len(infos) > 10_000 or total > settings.SDRCRM_IMPORT_MAX_XLSX_UNPACKED:
        raise FileRejected(
            "This XLSX file unpacks to more than "
            f"{settings.SDRCRM_IMPORT_MAX_XLSX_UNPACKED // 1_000_000:,} MB: it was refused."
        )
    for i in infos:
        if i.compress_size and i.file_size / i.compress_size > 200 and i.file_size > 10_000_000:
            raise FileRejected(
                "This XLSX file is compressed suspiciously well (a zip bomb?): it was refused."
            )


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _iter_xlsx(chunks: Iterable[bytes]) -> Iterator[Record]:
    import openpyxl  # openpyxl parses with defusedxml when it is installed (it is)

    limit_cols, limit_cell = max_columns(), max_cell()
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        for chunk in chunks:
            tmp.write(chunk)
        tmp.flush()
        _check_zip(tmp.name)
        try:
            wb = openpyxl.load_workbook(tmp.name, read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise FileRejected(f"This XLSX file cannot be read: {exc}.") from exc
        try:
            ws = wb.worksheets[0]
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if len(row) > limit_cols:
                    # read-only sheets pad rows to the sheet's width; count real cells
                    last = max((i for i, v in enumerate(row) if v is not None), default=-1)
                    if last + 1 > limit_cols:
                        raise FileRejected(
                            f"Row {number} has {last + 1:,} columns; the limit is {limit_cols:,}."
                        )
                    row = row[: last + 1]
                cells = [_cell_text(v) for v in row]
                for c in cells:
                    if len(c) > limit_cell:
                        raise FileRejected(
                            f"Row {number} has a cell longer than {limit_cell:,} characters."
                        )
                yield Record(number, cells)
        finally:
            wb.close()


def header_guess(records: list[Record], field_for_header) -> int:
    """Index of the header among the first records: the one with most recognised names, else
    the first with at least two non-empty cells."""
    best, best_hits = None, 0
    for i, rec in enumerate(records[:15]):
        hits = sum(1 for c in rec.cells if field_for_header(c))
        if hits > best_hits:
            best, best_hits = i, hits
    if best is not None:
        return best
    for i, rec in enumerate(records[:15]):
        if sum(1 for c in rec.cells if c.strip()) >= 2:
            return i
    return 0
