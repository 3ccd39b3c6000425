"""A mailbox stops working.

A minimal version written by the sending branch (i19-send) for what the dispatcher needs, with
the signature the connecting branch (i19-connect) implements in full (the owner notified once
per failure, ``mailbox_mark_working``): its version replaces this file.
"""

from django.db import transaction
from django.utils import timezone

from ..models import Mailbox, MailboxStatus


def mailbox_mark_failing(mailbox_id: int, error) -> None:
    """The mailbox stopped working for good until its owner acts (wrong password, revoked
    token: ``error``, a ``transport.MailboxError``): status failing with the error's message.
    Its emails are held by the dispatcher and released by ``cadences.mailbox_resume_task``
    when it works again. A second call with the same error changes nothing."""
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update(no_key=True).filter(pk=mailbox_id).first()
        if mailbox is None or mailbox.status == MailboxStatus.DISCONNECTED:
            return
        message = str(getattr(error, "message", error))
        if mailbox.status == MailboxStatus.FAILING and mailbox.last_error == message:
            return
        now = timezone.now()
        mailbox.status = MailboxStatus.FAILING
        mailbox.last_error = message
        mailbox.last_error_at = now
        mailbox.updated_at = now
        mailbox.save(update_fields=["status", "last_error", "last_error_at", "updated_at"])
