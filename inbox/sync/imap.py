"""The IMAP the sync speaks, over a logged-in ``imaplib.IMAP4`` (``mailboxes.transport``):
examine a folder, list the UIDs after a cursor or since a day, fetch header fields, fetch
bodies, and IDLE. Folders are only examined (read-only) and messages only peeked at, so the
sync never marks a message read or changes the mailbox.
"""

import imaplib
import itertools
import re
import select
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from mailboxes.transport import quote_folder

from ..envelope import FIELDS

# An IMAP failure in the middle of a pass (the connection dropped, a refused command): the
# connection is dropped and the pass is tried again later.
IMAP_ERRORS = (imaplib.IMAP4.error, OSError, EOFError)
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_UID = re.compile(rb"UID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_ITEM_START = re.compile(rb"^\d+ \(")
_idle_tags = itertools.count(1)


class FolderMissing(imaplib.IMAP4.error):
    """The folder does not exist (or cannot be examined) on the server."""


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    uidnext: int | None


def _untagged_int(imap: imaplib.IMAP4, name: str) -> int | None:
    _typ, values = imap.response(name)
    for value in values or ():
        if isinstance(value, bytes) and value.strip().isdigit():
            return int(value)
    return None


def examine(imap: imaplib.IMAP4, folder: str) -> FolderState:
    """Open ``folder`` read-only; its UIDVALIDITY and UIDNEXT."""
    typ, data = imap.select(quote_folder(folder), readonly=True)
    if typ != "OK":
        raise FolderMissing(f"cannot examine {folder}: {data!r}"[:300])
    uidvalidity = _untagged_int(imap, "UIDVALIDITY")
    uidnext = _untagged_int(imap, "UIDNEXT")
    if uidvalidity is None:
        typ, data = imap.status(quote_folder(folder), "(UIDVALIDITY UIDNEXT)")
        text = b" ".join(d for d in data if isinstance(d, bytes))
        found = re.search(rb"UIDVALIDITY (\d+)", text)
        if typ != "OK" or not found:
            raise imaplib.IMAP4.error(f"no UIDVALIDITY for {folder}")
        uidvalidity = int(found.group(1))
        nxt = re.search(rb"UIDNEXT (\d+)", text)
        uidnext = int(nxt.group(1)) if nxt else None
    return FolderState(uidvalidity=uidvalidity, uidnext=uidnext)


def _search(imap: imaplib.IMAP4, *criteria: str) -> list[int]:
    typ, data = imap.uid("SEARCH", *criteria)
    if typ != "OK":
        raise imaplib.IMAP4.error(f"UID SEARCH refused: {data!r}"[:300])
    return sorted({int(x) for part in data if part for x in part.split() if x.isdigit()})


def uids_after(imap: imaplib.IMAP4, last_uid: int) -> list[int]:
    """The UIDs of the examined folder above ``last_uid``. (``n:*`` always names the last
    message, also when its UID is below ``n``: it is filtered out.)"""
    return [u for u in _search(imap, "UID", f"{last_uid + 1}:*") if u > last_uid]


def uids_since(imap: imaplib.IMAP4, day: date) -> list[int]:
    """The UIDs of the messages the server received on ``day`` or later (INTERNALDATE)."""
    return _search(imap, "SINCE", f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}")


def last_uid(imap: imaplib.IMAP4) -> int:
    """The highest UID in the examined folder (0 when it is empty)."""
    found = _search(imap, "UID", "*")
    return found[-1] if found else 0


def _items(data) -> list[tuple[bytes, bytes | None]]:
    """A FETCH answer as (the text of one message's item, its literal) pairs: imaplib gives
    ``(head, literal)`` tuples followed by the text after the literal (``b')'``, or
    ``b' UID 7)'`` from servers that put the UID last)."""
    items: list[list] = []
    for part in data or ():
        if isinstance(part, tuple):
            items.append([part[0], part[1]])
        elif isinstance(part, bytes):
            if _ITEM_START.match(part) or not items:
                items.append([part, None])
            else:
                items[-1][0] += b" " + part
    return [(meta, literal) for meta, literal in items]


def _internaldate(meta: bytes) -> datetime | None:
    found = _INTERNALDATE.search(meta)
    if not found:
        return None
    try:
        day, clock, zone = found.group(1).decode("ascii").split()
        d, mon, y = day.split("-")
        h, m, s = (int(x) for x in clock.split(":"))
        sign = -1 if zone[0] == "-" else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        return datetime(int(y), _MONTHS.index(mon) + 1, int(d), h, m, s, tzinfo=timezone(offset))
    except (ValueError, IndexError):
        return None


def _uid_set(uids: list[int]) -> str:
    return ",".join(str(u) for u in uids)


def fetch_headers(imap: imaplib.IMAP4, uids: list[int]) -> dict[int, tuple[datetime, bytes]]:
    """UID -> (INTERNALDATE, the header fields the envelope reads) of these messages; a
    message expunged meanwhile is missing."""
    if not uids:
        return {}
    typ, data = imap.uid(
        "FETCH", _uid_set(uids), f"(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ({' '.join(FIELDS)})])"
    )
    if typ != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH refused: {data!r}"[:300])
    found = {}
    for meta, literal in _items(data):
        uid = _UID.search(meta)
        if uid and literal is not None:
            received = _internaldate(meta) or datetime.now(UTC)
            found[int(uid.group(1))] = (received, literal)
    return found


def fetch_bodies(imap: imaplib.IMAP4, uids: list[int], max_bytes: int) -> dict[int, bytes]:
    """UID -> the message (its first ``max_bytes``: a reply's attachments are not needed)."""
    if not uids:
        return {}
    typ, data = imap.uid("FETCH", _uid_set(uids), f"(UID BODY.PEEK[]<0.{int(max_bytes)}>)")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH refused: {data!r}"[:300])
    found = {}
    for meta, literal in _items(data):
        uid = _UID.search(meta)
        if uid and literal is not None:
            found[int(uid.group(1))] = literal
    return found


def supports_idle(imap: imaplib.IMAP4) -> bool:
    return "IDLE" in {c.upper() for c in getattr(imap, "capabilities", ())}


def idle(imap: imaplib.IMAP4, timeout: float, wake_fd: int) -> bool:
    """IDLE on the examined folder (RFC 2177) until the server reports a new message
    (``* n EXISTS``), ``timeout`` seconds pass or ``wake_fd`` becomes readable (the process
    stops). Returns whether a new message was reported. Other reports (``* OK Still here``,
    flags changed) go on waiting."""
    tag = f"IDLE{next(_idle_tags)}".encode()
    imap.send(tag + b" IDLE\r\n")
    line = imap.readline()
    if not line.startswith(b"+"):
        raise imaplib.IMAP4.error(f"IDLE refused: {line[:200]!r}")
    news = False
    deadline = time.monotonic() + max(timeout, 0)
    try:
        while not news:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _w, _x = select.select([imap.sock, wake_fd], [], [], left)
            if wake_fd in ready or not ready:
                break
            news = _news(imap.readline())
    finally:
        imap.send(b"DONE\r\n")
        while True:
            line = imap.readline()
            if line.startswith(tag + b" "):
                break
            news = _news(line) or news
    return news


_EXISTS = re.compile(rb"^\* \d+ EXISTS")


def _news(line: bytes) -> bool:
    if not line or line.startswith(b"* BYE"):
        raise imaplib.IMAP4.abort("the server closed the connection")
    return bool(_EXISTS.match(line))
