"""A mailbox stops working, or works again. The sync and the sender call these when a
connection fails for a reason its owner must fix (``MailboxError.permanent``: a refused
password, a revoked token) and when it works again; the Mailbox page's "Test again" too."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.models import NotificationKind
from notifications.services import notification_create
from sdrcrm.i18n import user_language
from sdrcrm.tasks import enqueue_on_commit

from ..models import Mailbox, MailboxStatus

ERROR_MAX = 2000


def _locked(mailbox_id: int) -> Mailbox | None:
    return (
        Mailbox.objects.select_for_update(of=("self",))
        .select_related("user__team")
        .filter(pk=mailbox_id)
        .first()
    )


def mailbox_mark_failing(mailbox_id: int, error) -> bool:
    """The mailbox is failing because of ``error`` (a ``MailboxError``, or its message): its
    sends wait (the sender holds them while it is failing) and its owner is notified, once per
    failure: on the change from working to failing, not again while it stays failing (the
    reason shown is the latest). A disconnected mailbox stays disconnected. Returns whether
    the owner was notified now. The reason stored and the notification are in the owner's
    language (docs/i18n.md): the sync and the sender run without one."""
    with transaction.atomic():
        mailbox = _locked(mailbox_id)
        if mailbox is None or mailbox.status == MailboxStatus.DISCONNECTED:
            return False
        with translation.override(user_language(mailbox.user)):
            return _failing(mailbox, _reason(error))


def _reason(error) -> str:
    """``error``'s message in the active language (a ``MailboxError`` keeps its own lazily)."""
    text = getattr(error, "text", None) or getattr(error, "message", None) or error
    return (str(text or "") or _("Unknown error"))[:ERROR_MAX]


def _failing(mailbox: Mailbox, message: str) -> bool:
    """Mark the locked ``mailbox`` failing with ``message``; notify on the change."""
    first = mailbox.status != MailboxStatus.FAILING
    now = timezone.now()
    mailbox.status = MailboxStatus.FAILING
    mailbox.last_error = message
    mailbox.last_error_at = now
    mailbox.updated_at = now
    mailbox.save(update_fields=["status", "last_error", "last_error_at", "updated_at"])
    if first:
        page = settings.SDRCRM_BASE_URL.rstrip("/") + reverse("mailboxes:mine")
        notification_create(
            user=mailbox.user,
            kind=NotificationKind.MAILBOX,
            title=_("Your mailbox %(email)s stopped working") % {"email": mailbox.email},
            body=_(
                "%(reason)s\n\nYour cadence emails wait until it works again; nothing is "
                "lost. Reconnect it on your Mailbox page: %(page)s"
            )
            % {"reason": message, "page": page},
        )
    return first


def mailbox_mark_working(mailbox_id: int, *, sent_folder: str | None = None) -> bool:
    """The mailbox works (again): connected, its error cleared, and when it was failing, the
    sends it held are released (``cadences.mailbox_resume_task``, after commit). A mailbox
    already working is left as it is (no write); a disconnected one stays disconnected.
    Returns whether anything changed."""
    with transaction.atomic():
        mailbox = _locked(mailbox_id)
        if mailbox is None or mailbox.status == MailboxStatus.DISCONNECTED:
            return False
        new_folder = bool(sent_folder) and sent_folder != mailbox.sent_folder
        if mailbox.status == MailboxStatus.CONNECTED and not mailbox.last_error and not new_folder:
            return False
        was_failing = mailbox.status == MailboxStatus.FAILING
        mailbox.status = MailboxStatus.CONNECTED
        mailbox.last_error = ""
        mailbox.last_error_at = None
        if new_folder:
            mailbox.sent_folder = sent_folder
        mailbox.updated_at = timezone.now()
        mailbox.save(
            update_fields=["status", "last_error", "last_error_at", "sent_folder", "updated_at"]
        )
        if was_failing:
            # robust: the mailbox is saved; a broker that did not take the bell only delays
            # the release until the sender's next round finds the mailbox connected.
            enqueue_on_commit("cadences.mailbox_resume_task", mailbox.pk, robust=True)
    return True
