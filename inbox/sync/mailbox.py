"""One pass over a mailbox: its Sent folder, then its INBOX (last, so that a connection kept for
IDLE is left on INBOX), then its health (``last_sync_at``; a failing mailbox that works again).
"""

import imaplib
from collections.abc import Callable
from dataclasses import dataclass, field

from mailboxes.models import Mailbox
from mailboxes.transport import find_sent_folder, imap_connect

from ..services import mailbox_synced
from .folder import FolderResult, sync_folder
from .imap import FolderMissing

INBOX = "INBOX"


@dataclass
class PassResult:
    mailbox_id: int
    folders: list[FolderResult] = field(default_factory=list)

    @property
    def applied(self) -> list[int]:
        return [pk for f in self.folders for pk in f.applied]


def load_mailbox(mailbox_id: int) -> Mailbox | None:
    return Mailbox.objects.select_related("user").filter(pk=mailbox_id).first()


def mailbox_sync_pass(
    mailbox: Mailbox,
    imap: imaplib.IMAP4 | None = None,
    *,
    holder: str = "",
    stop: Callable[[], bool] = lambda: False,
) -> PassResult:
    """Read the mailbox's Sent folder and INBOX from their cursors, over ``imap`` (or a
    connection of its own, closed after). Raises ``MailboxError`` (connecting), the IMAP errors
    and ``LeaseLost``; what was applied before stays applied."""
    own = imap is None
    imap = imap or imap_connect(mailbox)
    result = PassResult(mailbox.pk)
    try:
        sent_folder = mailbox.sent_folder or find_sent_folder(imap)
        if sent_folder:
            try:
                result.folders.append(
                    sync_folder(imap, mailbox, sent_folder, sent=True, holder=holder, stop=stop)
                )
            except FolderMissing:  # renamed or deleted since: found again next pass
                sent_folder = find_sent_folder(imap)
        result.folders.append(
            sync_folder(imap, mailbox, INBOX, sent=False, holder=holder, stop=stop)
        )
        if not stop():
            mailbox_synced(mailbox=mailbox, sent_folder=sent_folder)
    finally:
        if own:
            try:
                imap.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
    return result
