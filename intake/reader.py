"""Reading uploaded lists: format, encoding, delimiter and header detection, and a streaming
row reader over the stored chunks. Pure apart from the chunk source it is given.

Everything read is text: a cell that starts with = + - @ is kept as that text and never
evaluated (XLSX formulas are read as their formula text, not their cached result).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
# Bytes that are not valid UTF-8, as the "surrogateescape" error handler decodes them.
_ESCAPED = re.compile("[\udc80-\udcff]")
# Text PostgreSQL cannot store: NUL, and lone surrogates (which have no UTF-8 form).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _n(value: int) -> str:
    """A count as the reader's language groups it: 1,234 / 1 234."""
    return number_format(value, force_grouping=True)


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
        self._utf8 = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.utf8_invalid = 0  # bytes that are not UTF-8
        self.utf8_letters = 0  # characters of two or more bytes that are
        self.cp1252_ok = True

    def _count_utf8(self, text: str) -> None:
        if not text.isascii():
            invalid = len(_ESCAPED.findall(text))
            self.utf8_invalid += invalid
            self.utf8_letters += len(text) - len(text.encode("ascii", "ignore")) - invalid

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self.head) < SAMPLE_BYTES:
            self.head += chunk[: SAMPLE_BYTES - len(self.head)]
        self._count_utf8(self._utf8.decode(chunk))
        if self.cp1252_ok and not CP1252_UNDEFINED.isdisjoint(chunk):
            self.cp1252_ok = False

    @property
    def utf8_ok(self) -> bool:
        """UTF-8, or UTF-8 with a few broken bytes (their rows are rejected, not the file):
        a Windows-1252 file has no valid multi-byte sequences, or hardly any."""
        return self.utf8_invalid == 0 or self.utf8_letters >= 10 * self.utf8_invalid

    def finish(self) -> Detected:
        self._count_utf8(self._utf8.decode(b"", final=True))
        head = self.head
        if self.size == 0 or not head.strip():
            raise FileRejected(_("The file is empty."))
        if head.startswith(b"PK\x03\x04"):
            return Detected("xlsx")
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileRejected(
                _("This is an old Excel (.xls) file: save it as .xlsx or .csv and upload that.")
            )
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        elif head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif b"\x00" in head:
            raise FileRejected(
                _("This is not a spreadsheet: the file is binary. Upload a CSV or XLSX file.")
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
                _("This is not a spreadsheet: the file is binary. Upload a CSV or XLSX file.")
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


def iter_records(
    detected: Detected, chunks: Iterable[bytes], *, preview: bool = False
) -> Iterator[Record]:
    """Every record of the file, header included, as text cells. Raises FileRejected on a
    structural problem (too many columns, a giant cell, a broken quote, an XLSX over a limit).
    ``preview``: only the first records will be read (in a web request): an XLSX is read with
    a bounded budget instead of its whole table of texts being loaded first."""
    if detected.file_format == "xlsx":
        yield from _iter_xlsx(chunks, preview=preview)
    else:
        yield from _iter_csv(detected, chunks)


def row_problem(cells: list[str]) -> str | None:
    """Why a row's text cannot be stored (a NUL character, bytes that were not valid text in
    the file's encoding), or None."""
    found = _UNSTORABLE.search("".join(cells))
    if found is None:
        return None
    if found.group() == "\x00":
        return _(
            "This row contains a null character (an invisible control character) that cannot "
            "be stored. Remove it and import the row again."
        )
    return _(
        "This row contains bytes that are not valid text in the file's encoding. Fix the row "
        "(or save the file as UTF-8 CSV) and import it again."
    )


def storable_text(text: str) -> str:
    """``text`` with what cannot be stored replaced by \ufffd (for the rejected-rows report)."""
    return _UNSTORABLE.sub("\ufffd", text)


def _iter_csv(detected: Detected, chunks: Iterable[bytes]) -> Iterator[Record]:
    raw = io.BufferedReader(ChunkStream(chunks), buffer_size=1 << 20)
    # Undecodable bytes become lone surrogates: their row is rejected, not the file.
    text = io.TextIOWrapper(
        raw, encoding=detected.encoding, errors="surrogateescape", newline=""
    )
    limit_cols, limit_cell = max_columns(), max_cell()
    csv.field_size_limit(limit_cell + 1)
    reader = csv.reader(text, delimiter=detected.delimiter or ",", strict=False)
    line = 1
    try:
        for cells in reader:
            if len(cells) > limit_cols:
                raise FileRejected(
                    _("Line %(line)s has %(n)s columns; the limit is %(limit)s.")
                    % {"line": line, "n": _n(len(cells)), "limit": _n(limit_cols)}
                )
            yield Record(line, cells)
            line = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise FileRejected(
                _("Line %(line)s has a cell longer than %(limit)s characters.")
                % {"line": line, "limit": _n(limit_cell)}
            ) from exc
        raise FileRejected(
            _("Line %(line)s cannot be read as CSV: %(error)s.") % {"line": line, "error": exc}
        ) from exc
    except UnicodeDecodeError as exc:
        raise FileRejected(
            _("Line %(line)s is not valid %(encoding)s text. Save the file as UTF-8 CSV.")
            % {"line": line, "encoding": detected.encoding}
        ) from exc


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


def _iter_xlsx(chunks: Iterable[bytes], *, preview: bool = False) -> Iterator[Record]:
    # Imported here: xlsx imports this module (FileRejected), so a top-level import would be
    # a cycle; and only an XLSX file needs it.
    from . import xlsx

    limit_cols, limit_cell = max_columns(), max_cell()
    limit_cells, seen_cells = settings.SDRCRM_IMPORT_MAX_XLSX_CELLS, 0
    with tempfile.TemporaryFile() as tmp:
        for chunk in chunks:
            tmp.write(chunk)
        tmp.seek(0)
        for number, row in enumerate(xlsx.iter_sheet_rows(tmp, preview=preview), start=1):
            seen_cells += len(row)
            if seen_cells > limit_cells:
                raise FileRejected(
                    _(
                        "This spreadsheet has more cells than the limit of %(limit)s (rows × "
                        "columns, counted up to row %(row)s). Split it into smaller files, or "
                        "save it as CSV and upload that."
                    )
                    % {"limit": _n(limit_cells), "row": _n(number)}
                )
            if len(row) > limit_cols:
                # read-only sheets pad rows to the sheet's width; count real cells
                last = max((i for i, v in enumerate(row) if v is not None), default=-1)
                if last + 1 > limit_cols:
                    raise FileRejected(
                        _("Row %(row)s has %(n)s columns; the limit is %(limit)s.")
                        % {"row": number, "n": _n(last + 1), "limit": _n(limit_cols)}
                    )
                row = row[: last + 1]
            cells = [_cell_text(v) for v in row]
            for c in cells:
                if len(c) > limit_cell:
                    raise FileRejected(
                        _("Row %(row)s has a cell longer than %(limit)s characters.")
                        % {"row": number, "limit": _n(limit_cell)}
                    )
            yield Record(number, cells)


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
