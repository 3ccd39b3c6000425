"""Secrets at rest: a mailbox's password and OAuth tokens, an OAuth app's client secret.

Fernet (AES-128-CBC with HMAC-SHA256) under the keys in ``SDRCRM_MAILBOX_KEYS`` (comma
separated, newest first). During a key rotation both keys are listed: the newest encrypts,
any of them decrypts, and ``manage.py mailbox_keys_rotate`` re-encrypts every secret under the
newest before the old key is dropped (docs/mailboxes.md).
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sdrcrm.errors import Invalid


class SecretUnreadable(Invalid):
    """A stored secret cannot be decrypted with any configured key (a key was dropped too
    early, or the row was tampered with)."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.SDRCRM_MAILBOX_KEYS))


def encrypt(text: str) -> str:
    """The encrypted form of ``text`` (empty stays empty)."""
    if not text:
        return ""
    return _current().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            _("A stored mailbox secret cannot be read with the configured keys: reconnect the "
              "mailbox, or restore the key it was stored under to SDRCRM_MAILBOX_KEYS.")
        ) from None  # fmt: skip


def reencrypt(token: str) -> str:
    """``token`` under the newest key (a rotation)."""
    if not token:
        return ""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            _("A stored mailbox secret cannot be read with the configured keys.")
        ) from None


def under_newest_key(token: str) -> bool:
    """Whether ``token`` is encrypted under the newest key (a rotation leaves it alone)."""
    keys = settings.SDRCRM_MAILBOX_KEYS
    if not token or not keys:
        return False
    try:
        _fernet((keys[0],)).decrypt(token.encode())
    except InvalidToken:
        return False
    return True
