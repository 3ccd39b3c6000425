"""Writes for mailboxes, by job (the sending branch's minimal part: see ``health``)."""

from .health import mailbox_mark_failing

__all__ = ["mailbox_mark_failing"]
