"""The mailbox's health as the sync sees it: when it last synced, and whether it works."""

from datetime import datetime

from mailboxes.models import Mailbox, MailboxStatus
from mailboxes.services import mailbox_mark_failing, mailbox_mark_working
from sdrcrm import clock


def mailbox_synced(*, mailbox: Mailbox, sent_folder: str = "", now: datetime | None = None) -> None:
    """A complete pass over ``mailbox`` (as loaded when the pass began): its health says
    when. A mailbox marked failing works again (its held sends are released); the Sent folder
    found on the server is remembered."""
    now = now or clock.now()
    Mailbox.objects.filter(pk=mailbox.pk).update(last_sync_at=now)
    if (
        mailbox.status != MailboxStatus.CONNECTED
        or mailbox.last_error
        or (sent_folder and sent_folder != mailbox.sent_folder)
    ):
        mailbox_mark_working(mailbox.pk, sent_folder=sent_folder or None)


def mailbox_sync_failed(*, mailbox_id: int, error) -> bool:
    """The sync could not reach or read the mailbox for a reason its owner must fix
    (``error``: a ``MailboxError``). Returns whether the owner was told now."""
    return mailbox_mark_failing(mailbox_id, error)
