"""`manage.py mailbox_keys_rotate`: re-encrypt every stored mailbox secret under the newest key
of SDRCRM_MAILBOX_KEYS (docs/mailboxes.md, "Rotating the key")."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mailboxes.services import mailbox_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every mailbox password and token and every OAuth client secret under the "
        "newest key of SDRCRM_MAILBOX_KEYS (the first). Safe to run again."
    )

    def handle(self, *args, **options):
        if not settings.SDRCRM_MAILBOX_KEYS:
            raise CommandError("SDRCRM_MAILBOX_KEYS is empty: there is no key to encrypt under.")
        report = mailbox_keys_rotate()
        self.stdout.write(
            f"{report.reencrypted} secrets re-encrypted under the newest key, "
            f"{report.current} already under it, {len(report.unreadable)} unreadable."
        )
        if report.unreadable:
            raise CommandError(
                "These secrets cannot be read with any key in SDRCRM_MAILBOX_KEYS (keep the old "
                "key listed until this succeeds, or have their owners connect again): "
                + ", ".join(report.unreadable)
            )
