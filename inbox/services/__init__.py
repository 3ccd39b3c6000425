"""Writes of the mailbox sync, one module per job; callers import from ``inbox.services``.

- ``leases``: which sync process holds which mailbox;
- ``cursors``: how far each folder was read;
- ``apply``: one message stored, applied through the cadences services and its cursor moved,
  in one transaction;
- ``health``: the mailbox's last sync, and its failures.
"""

from .apply import Incoming, LeaseLost, message_apply
from .cursors import folder_cursor_advance, folder_cursor_get, folder_cursor_start
from .health import mailbox_sync_failed, mailbox_synced
from .leases import SYNCED_STATUSES, lease_claim, lease_held, lease_release, lease_renew

__all__ = [
    "SYNCED_STATUSES",
    "Incoming",
    "LeaseLost",
    "folder_cursor_advance",
    "folder_cursor_get",
    "folder_cursor_start",
    "lease_claim",
    "lease_held",
    "lease_release",
    "lease_renew",
    "mailbox_sync_failed",
    "mailbox_synced",
    "message_apply",
]
