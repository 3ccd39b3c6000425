"""Gettext message catalogues in pure Python: reading a .po file and compiling it to the .mo
file Django reads (docs/i18n.md). No GNU gettext is needed to install or test the product
(``scripts/messages.py compile``, run by `make deps`, `make test` and the image); only
extracting the strings (`make messages`, Django's makemessages) uses xgettext.

Compiling follows GNU msgfmt: untranslated and fuzzy entries are left out (the English text
shows), the header always goes in (it carries the charset and the plural rule)."""

from __future__ import annotations

import ast
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
_STRING = re.compile(r"^(\".*\")\s*$")
CONTEXT_SEPARATOR = "\x04"


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # {0: text} or {0: one, 1: many}
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    line: int = 0

    @property
    def key(self) -> str:
        """The entry's identity: its context and its msgid (as in a .mo file)."""
        if self.msgctxt is None:
            return self.msgid
        return f"{self.msgctxt}{CONTEXT_SEPARATOR}{self.msgid}"

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


class POError(ValueError):
    pass


def _unquote(token: str, path, number: int) -> str:
    try:
        value = ast.literal_eval(token)
    except (ValueError, SyntaxError) as exc:
        raise POError(f"{path}:{number}: not a string: {token}") from exc
    if not isinstance(value, str):
        raise POError(f"{path}:{number}: not a string: {token}")
    return value


def parse(text: str, path: str | Path = "<po>") -> list[Entry]:
    """The entries of a .po file, the header first; obsolete (``#~``) entries are left out."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple | None = None  # the field a continuation line adds to, in order
    started = False

    def finish():
        nonlocal entry, target, started
        if started:
            entries.append(entry)
        entry, target, started = Entry(), None, False

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:  # entries are separated by blank lines
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if started:
                raise POError(f"{path}:{number}: a comment inside an entry's strings")
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            elif line.startswith("#:"):
                entry.references += line[2:].split()
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, token = match.groups()
            value = _unquote(token, path, number)
            if not started:
                entry.line, started = number, True
            if keyword == "msgctxt" and entry.msgctxt is None and target is None:
                entry.msgctxt, target = value, ("ctxt",)
            elif keyword == "msgid" and target in (None, ("ctxt",)):
                entry.msgid, target = value, ("id",)
            elif keyword == "msgid_plural" and target == ("id",):
                entry.msgid_plural, target = value, ("plural",)
            elif keyword.startswith("msgstr") and target is not None and target[0] != "ctxt":
                n = int(index) if index is not None else 0
                if n in entry.msgstr:
                    raise POError(f"{path}:{number}: {keyword} twice in one entry")
                entry.msgstr[n], target = value, ("str", n)
            else:
                raise POError(f"{path}:{number}: {keyword} out of place (a blank line missing?)")
            continue
        match = _STRING.match(line)
        if match and target is not None:
            value = _unquote(match.group(1), path, number)
            if target[0] == "ctxt":
                entry.msgctxt += value
            elif target[0] == "id":
                entry.msgid += value
            elif target[0] == "plural":
                entry.msgid_plural += value
            else:
                entry.msgstr[target[1]] += value
            continue
        raise POError(f"{path}:{number}: cannot read this line: {raw!r}")
    finish()
    return entries


def read(path: Path) -> list[Entry]:
    return parse(path.read_text(encoding="utf-8"), path)


def compile_mo(entries: list[Entry]) -> bytes:
    """The .mo file of ``entries`` (GNU format, little-endian, no hash table)."""
    pairs = {}
    for entry in entries:
        if entry.is_header:
            pairs[b""] = entry.msgstr.get(0, "").encode()
            continue
        if entry.fuzzy or not entry.translated:
            continue
        key = entry.key
        if entry.msgid_plural is not None:
            key += "\0" + entry.msgid_plural
            value = "\0".join(entry.msgstr[n] for n in sorted(entry.msgstr))
        else:
            value = entry.msgstr[0]
        pairs[key.encode()] = value.encode()
    keys = sorted(pairs)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(key), len(ids), len(pairs[key]), len(strs)))
        ids += key + b"\0"
        strs += pairs[key] + b"\0"
    count = len(keys)
    keystart = 7 * 4 + 16 * count
    valuestart = keystart + len(ids)
    table = []
    for id_length, id_offset, str_length, str_offset in offsets:
        table.append((id_length, keystart + id_offset, str_length, valuestart + str_offset))
    header = struct.pack("<7I", 0x950412DE, 0, count, 7 * 4, 7 * 4 + 8 * count, 0, 0)
    originals = b"".join(struct.pack("<2I", a, b) for a, b, _, _ in table)
    translations = b"".join(struct.pack("<2I", c, d) for _, _, c, d in table)
    return header + originals + translations + ids + strs


def compile_file(po_path: Path) -> Path:
    """Writes ``po_path``'s .mo beside it (only when it changed) and returns its path."""
    mo_path = po_path.with_suffix(".mo")
    data = compile_mo(read(po_path))
    if not mo_path.exists() or mo_path.read_bytes() != data:
        mo_path.write_bytes(data)
    return mo_path
