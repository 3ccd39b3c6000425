"""Key rotation: every stored secret (mailboxes' passwords and tokens, the OAuth apps' client
secrets) re-encrypted under the newest key of ``SDRCRM_MAILBOX_KEYS`` (docs/mailboxes.md,
"Rotating the key"). Each row is rewritten under its lock, so a token renewed at the same
moment is never overwritten with the older one. Running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from .. import crypto
from ..models import Mailbox, OAuthClient

BATCH = 200
TARGETS = (
    (Mailbox, ("secret", "access_token", "refresh_token")),
    (OAuthClient, ("client_secret",)),
)


@dataclass
class RotationReport:
    reencrypted: int = 0  # secrets rewritten under the newest key
    current: int = 0  # already under it
    unreadable: list[str] = field(default_factory=list)  # "mailbox 12 refresh_token"


def mailbox_keys_rotate() -> RotationReport:
    report = RotationReport()
    for model, names in TARGETS:
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            _rotate_batch(model, names, ids[start : start + BATCH], report)
    return report


def _rotate_batch(model, names, ids, report: RotationReport) -> None:
    label = model._meta.model_name
    with transaction.atomic():
        for row in model.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            changed = []
            for name in names:
                token = getattr(row, name)
                if not token:
                    continue
                if crypto.under_newest_key(token):
                    report.current += 1
                    continue
                try:
                    setattr(row, name, crypto.reencrypt(token))
                except crypto.SecretUnreadable:
                    report.unreadable.append(f"{label} {row.pk} {name}")
                    continue
                changed.append(name)
                report.reencrypted += 1
            if changed:
                row.save(update_fields=changed)
