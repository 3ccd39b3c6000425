"""Writes for mailboxes, by job: ``connect`` (connecting with a password or OAuth, the
connection test, disconnecting, the sending limits), ``health`` (a mailbox stops or starts
working: the sync and the sender report it here), ``team`` (the team's choice of where its
emails leave from), ``keys`` (re-encrypting every secret under the newest key). Callers import
from ``mailboxes.services``.
"""

from .connect import (
    ConnectData,
    MailboxTestFailed,
    mailbox_connect,
    mailbox_disconnect,
    mailbox_limits_set,
    mailbox_oauth_finish,
    mailbox_retest,
    mailbox_test,
)
from .health import mailbox_mark_failing, mailbox_mark_working
from .keys import RotationReport, mailbox_keys_rotate
from .team import team_email_via_set

__all__ = [
    "ConnectData",
    "MailboxTestFailed",
    "RotationReport",
    "mailbox_connect",
    "mailbox_disconnect",
    "mailbox_keys_rotate",
    "mailbox_limits_set",
    "mailbox_mark_failing",
    "mailbox_mark_working",
    "mailbox_oauth_finish",
    "mailbox_retest",
    "mailbox_test",
    "team_email_via_set",
]
