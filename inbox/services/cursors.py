"""Folder cursors: how far a folder of a mailbox was read. Every UID up to ``last_uid`` under
``uidvalidity`` is processed; a message's cursor moves in the transaction that applies it
(``apply.message_apply``), and past the messages that concern nobody in batches."""

from datetime import datetime

from django.db import transaction

from sdrcrm import clock

from ..models import FolderCursor


def folder_cursor_get(*, mailbox_id: int, folder: str) -> FolderCursor | None:
    return FolderCursor.objects.filter(mailbox_id=mailbox_id, folder=folder).first()


def folder_cursor_start(
    *, mailbox_id: int, folder: str, uidvalidity: int, last_uid: int, now: datetime | None = None
) -> FolderCursor:
    """Where the read of a folder starts: a folder never read, or one whose UIDVALIDITY
    changed (the server rebuilt it: its UIDs mean other messages now)."""
    now = now or clock.now()
    with transaction.atomic():
        cursor = (
            FolderCursor.objects.select_for_update()
            .filter(mailbox_id=mailbox_id, folder=folder)
            .first()
        )
        if cursor is None:
            return FolderCursor.objects.create(
                mailbox_id=mailbox_id,
                folder=folder,
                uidvalidity=uidvalidity,
                last_uid=last_uid,
                updated_at=now,
            )
        cursor.uidvalidity, cursor.last_uid, cursor.updated_at = uidvalidity, last_uid, now
        cursor.save(update_fields=["uidvalidity", "last_uid", "updated_at"])
        return cursor


def folder_cursor_advance(
    *, mailbox_id: int, folder: str, uidvalidity: int, uid: int, now: datetime | None = None
) -> bool:
    """Move the cursor to ``uid`` (messages up to it that concern nobody). Never backwards,
    never under another UIDVALIDITY. Returns whether it moved."""
    return bool(
        FolderCursor.objects.filter(
            mailbox_id=mailbox_id, folder=folder, uidvalidity=uidvalidity, last_uid__lt=uid
        ).update(last_uid=uid, updated_at=now or clock.now())
    )
