"""Writes for mailboxes. A minimal stand-in on the sync's branch (i19-sync) for what branch
i19-connect provides in full (connecting, the connection test, notifications): on merge, take
i19-connect's version of this package."""

from .health import mailbox_mark_failing, mailbox_mark_working

__all__ = ["mailbox_mark_failing", "mailbox_mark_working"]
