"""Reading an XLSX list with bounded work: what the upload request may unpack, and what the
background import may hold in memory.

An XLSX is a zip of XML parts. Before any part is opened, the zip's directory (its declared
sizes, which zipfile also enforces while inflating: a part never yields more than its declared
size) is checked: the total unpacked size, the shared-strings table's size, the number of parts
and the compression ratio (a zip bomb is refused without being inflated). Every part is then read
through a counter that refuses the file once a budget is spent.

openpyxl (read-only) reads the sheet as a stream, but loads the whole shared-strings table (every
distinct text of the workbook) before the first row. Its reader is used with that one step
replaced:

- *preview* (the upload request and the mapping page): the table is read lazily, only as far as
  the first rows need, and everything unpacked counts against
  ``SDRCRM_IMPORT_XLSX_PREVIEW_BYTES``;
- *full* (the background import): the table is read whole, refused past
  ``SDRCRM_IMPORT_MAX_XLSX_STRINGS`` texts; cells are counted by the caller
  (``SDRCRM_IMPORT_MAX_XLSX_CELLS``).

Error messages are written for the person who uploaded the file and never quote the library's
own (which name the server's temporary file).
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .reader import FileRejected

log = logging.getLogger(__name__)

MAX_PARTS = 10_000
BOMB_RATIO = 200  # unpacked / packed, for a part of more than BOMB_MIN_BYTES
BOMB_MIN_BYTES = 10_000_000
SAVE_AS_CSV = gettext_noop("Split it into smaller files, or save it as CSV and upload that.")


def human_size(n: int) -> str:
    if n >= 1_000_000_000:
        return f"{n / 1e9:,.1f} GB"
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000:,} MB"
    return f"{n / 1e6:,.1f} MB"


def damaged() -> FileRejected:
    return FileRejected(
        _(
            "This XLSX file cannot be read: it is damaged or not an Excel workbook. Open it in "
            "Excel and save it again, or save it as CSV and upload that."
        )
    )


def _strings_path(zf: zipfile.ZipFile) -> str | None:
    names = [n for n in zf.namelist() if n.lower().endswith("sharedstrings.xml")]
    return names[0] if names else None


def check_directory(zf: zipfile.ZipFile) -> None:
    """Refuse from the zip's directory alone: nothing is inflated."""
    infos = zf.infolist()
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise FileRejected(_("This archive is not an Excel workbook. Upload a CSV or XLSX file."))
    if len(infos) > MAX_PARTS:
        raise FileRejected(
            _("This XLSX file has %(n)s parts; the limit is %(limit)s. %(advice)s")
            % {"n": f"{len(infos):,}", "limit": f"{MAX_PARTS:,}", "advice": _(SAVE_AS_CSV)}
        )
    total = sum(i.file_size for i in infos)
    limit = settings.SDRCRM_IMPORT_MAX_XLSX_UNPACKED
    if total > limit:
        raise FileRejected(
            _("The file is too large once unpacked (%(size)s; the limit is %(limit)s). %(advice)s")
            % {"size": human_size(total), "limit": human_size(limit), "advice": _(SAVE_AS_CSV)}
        )
    for i in infos:
        if (
            i.file_size > BOMB_MIN_BYTES
            and i.file_size > BOMB_RATIO * max(i.compress_size, 1)
        ):
            raise FileRejected(
                _(
                    "This XLSX file is compressed suspiciously well (%(size)s unpacked from "
                    "%(packed)s, a zip bomb?): it was refused."
                )
                % {"size": human_size(i.file_size), "packed": human_size(i.compress_size)}
            )
    strings = _strings_path(zf)
    if strings is not None:
        _check_strings_size(zf.getinfo(strings).file_size)


def _check_strings_size(size: int) -> None:
    limit = settings.SDRCRM_IMPORT_MAX_XLSX_STRINGS_BYTES
    if size > limit:
        raise FileRejected(
            _(
                "The file's table of texts is too large once unpacked (%(size)s; the limit is "
                "%(limit)s). %(advice)s"
            )
            % {"size": human_size(size), "limit": human_size(limit), "advice": _(SAVE_AS_CSV)}
        )


# --- Counting what is unpacked ----------------------------------------------------------------


class Budget:
    def __init__(self, limit: int, preview: bool):
        self.limit, self.preview, self.used = limit, preview, 0

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            if self.preview:
                raise FileRejected(
                    _(
                        "The first rows of this spreadsheet cannot be read without unpacking "
                        "more than %(limit)s of it. Save it as CSV and upload that."
                    )
                    % {"limit": human_size(self.limit)}
                )
            raise FileRejected(
                _("The file is too large once unpacked (the limit is %(limit)s). %(advice)s")
                % {"limit": human_size(self.limit), "advice": _(SAVE_AS_CSV)}
            )


class _Counted(io.RawIOBase):
    """A part being inflated, counted against the budget as it is read."""

    def __init__(self, inner, budget: Budget):
        self._inner, self._budget = inner, budget

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._inner.readinto(b)
        self._budget.spend(n)
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


class _CountingZip(zipfile.ZipFile):
    budget: Budget

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        part = super().open(name, mode, pwd, force_zip64=force_zip64)
        return _Counted(part, self.budget) if mode == "r" else part


# --- Shared strings -------------------------------------------------------------------------


def _too_many_strings(limit: int) -> FileRejected:
    return FileRejected(
        _(
            "This spreadsheet holds more different texts than the limit of %(limit)s. "
            "%(advice)s"
        )
        % {"limit": f"{limit:,}", "advice": _(SAVE_AS_CSV)}
    )


def iter_shared_strings(src, limit: int) -> Iterator[str]:
    """The table's texts in order, streamed (a cleared element at a time). Refused as soon as
    the table declares, or turns out to hold, more than ``limit`` texts."""
    # openpyxl is imported where an XLSX is read, not at the top: it takes about 0.4 s, and
    # the web process imports this module for its size checks (uploads.py).
    from openpyxl.cell.text import Text
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    si, sst = f"{{{SHEET_MAIN_NS}}}si", f"{{{SHEET_MAIN_NS}}}sst"
    root, n = None, 0
    for event, node in iterparse(src, events=("start", "end")):
        if event == "start":
            if node.tag == sst:
                root = node
                declared = node.get("uniqueCount") or node.get("count") or "0"
                if declared.isdigit() and int(declared) > limit:
                    raise _too_many_strings(limit)
            continue
        if node.tag != si:
            continue
        n += 1
        if n > limit:
            raise _too_many_strings(limit)
        text = Text.from_tree(node).content.replace("x005F_", "")
        node.clear()
        if root is not None and n % 1000 == 0:
            root.clear()  # the cleared elements would otherwise stay in the tree
        yield text


class _LazyStrings:
    """The shared-strings table read only as far as the cells asked for so far need."""

    def __init__(self, src, limit: int):
        self._src = src
        self._it = iter_shared_strings(src, limit)
        self._items: list[str] = []

    def __getitem__(self, i: int) -> str:
        while len(self._items) <= i:
            try:
                self._items.append(next(self._it))
            except StopIteration:
                raise IndexError(i) from None
        return self._items[i]


def _reader_class():
    # openpyxl is imported here, not at the top: see iter_shared_strings.
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class BoundedReader(ExcelReader):
        """openpyxl's reader, read-only, on an open archive, with its own shared strings."""

        def __init__(self, archive: _CountingZip, preview: bool):  # noqa: D107
            self.archive = archive
            self.valid_files = archive.namelist()
            self.read_only, self.keep_vba, self.data_only = True, False, False
            self.keep_links, self.rich_text = False, False
            self.shared_strings = []
            self.preview = preview

        def read_strings(self):
            ct = self.package.find(SHARED_STRINGS)
            if ct is None:
                return
            path = ct.PartName[1:]
            _check_strings_size(self.archive.getinfo(path).file_size)
            limit = settings.SDRCRM_IMPORT_MAX_XLSX_STRINGS
            src = self.archive.open(path)
            if self.preview:
                self.shared_strings = _LazyStrings(src, limit)  # closed with the archive
            else:
                with src:
                    self.shared_strings = list(iter_shared_strings(src, limit))

    return BoundedReader


def iter_sheet_rows(fileobj, *, preview: bool) -> Iterator[tuple]:
    """The first sheet's rows as tuples of values (openpyxl's read-only values), within the
    limits; raises FileRejected with a message for the user."""
    try:
        archive = _CountingZip(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRejected(
            _("This is not a valid XLSX file (the archive is damaged).")
        ) from exc
    with archive:
        check_directory(archive)
        archive.budget = Budget(
            settings.SDRCRM_IMPORT_XLSX_PREVIEW_BYTES
            if preview
            else settings.SDRCRM_IMPORT_MAX_XLSX_UNPACKED,
            preview,
        )
        number = 0
        try:
            reader = _reader_class()(archive, preview)
            reader.read()
            sheets = reader.wb.worksheets
            if not sheets:
                raise FileRejected(_("This workbook has no sheet to import."))
            for number, row in enumerate(sheets[0].iter_rows(values_only=True), start=1):  # noqa: B007
                yield row
        except FileRejected:
            raise
        except Exception as exc:  # openpyxl, zipfile and XML raise many types for damaged files
            log.info("unreadable XLSX after row %s: %r", number, exc)
            raise damaged() from exc
