"""A mailbox stops working, or works again (minimal stand-in: i19-connect's version also
notifies the owner once per failure and releases the held sends)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Mailbox, MailboxStatus

ERROR_MAX = 2000


def mailbox_mark_failing(mailbox_id: int, error) -> bool:
    message = (getattr(error, "message", None) or str(error) or _("Unknown error"))[:ERROR_MAX]
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().filter(pk=mailbox_id).first()
        if mailbox is None or mailbox.status == MailboxStatus.DISCONNECTED:
            return False
        first = mailbox.status != MailboxStatus.FAILING
        now = timezone.now()
        mailbox.status = MailboxStatus.FAILING
        mailbox.last_error, mailbox.last_error_at, mailbox.updated_at = message, now, now
        mailbox.save(update_fields=["status", "last_error", "last_error_at", "updated_at"])
    return first


def mailbox_mark_working(mailbox_id: int, *, sent_folder: str | None = None) -> bool:
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().filter(pk=mailbox_id).first()
        if mailbox is None or mailbox.status == MailboxStatus.DISCONNECTED:
            return False
        new_folder = bool(sent_folder) and sent_folder != mailbox.sent_folder
        if mailbox.status == MailboxStatus.CONNECTED and not mailbox.last_error and not new_folder:
            return False
        mailbox.status = MailboxStatus.CONNECTED
        mailbox.last_error, mailbox.last_error_at = "", None
        if new_folder:
            mailbox.sent_folder = sent_folder
        mailbox.updated_at = timezone.now()
        mailbox.save(
            update_fields=["status", "last_error", "last_error_at", "sent_folder", "updated_at"]
        )
    return True
