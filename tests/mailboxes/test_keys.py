"""`manage.py mailbox_keys_rotate`: every secret re-encrypted under the newest key, counted,
and a second run changes nothing."""

# ruff: noqa: E501  (the tables of cases and the messages read best one a line)

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from mailboxes import crypto
from mailboxes.models import Mailbox, OAuthClient

from .conftest import oauth_mailbox, password_mailbox

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def rotate() -> str:
    out = io.StringIO()
    call_command("mailbox_keys_rotate", stdout=out)
    return out.getvalue().strip()


def test_a_rotation_moves_every_secret_to_the_newest_key(crew, settings):
    settings.SDRCRM_MAILBOX_KEYS = [OLD]
    pw = password_mailbox(crew.sdr)
    oa = oauth_mailbox(crew.ae)
    OAuthClient.objects.create(provider="google", client_id="g", client_secret=crypto.encrypt("cs"))
    password_mailbox(crew.bdr, secret="")  # nothing to rotate

    settings.SDRCRM_MAILBOX_KEYS = [NEW, OLD]  # the new key first, the old still listed
    assert (
        rotate() == "4 secrets re-encrypted under the newest key, 0 already under it, 0 unreadable."
    )
    assert (
        rotate() == "0 secrets re-encrypted under the newest key, 4 already under it, 0 unreadable."
    )

    settings.SDRCRM_MAILBOX_KEYS = [NEW]  # the old key dropped: everything still reads
    assert crypto.decrypt(Mailbox.objects.get(pk=pw.pk).secret) == "stored-password-1"
    saved = Mailbox.objects.get(pk=oa.pk)
    assert (crypto.decrypt(saved.access_token), crypto.decrypt(saved.refresh_token)) == (
        "access-1", "refresh-1",
    )  # fmt: skip
    assert crypto.decrypt(OAuthClient.objects.get().client_secret) == "cs"


def test_a_secret_no_key_reads_is_named_and_the_others_still_move(crew, settings):
    settings.SDRCRM_MAILBOX_KEYS = [OLD]
    lost = password_mailbox(crew.sdr)
    kept = password_mailbox(crew.sdr2)
    Mailbox.objects.filter(pk=lost.pk).update(
        secret=Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    )
    settings.SDRCRM_MAILBOX_KEYS = [NEW, OLD]

    with pytest.raises(CommandError, match=rf"connect again\): mailbox {lost.pk} secret$"):
        rotate()

    assert crypto.under_newest_key(Mailbox.objects.get(pk=kept.pk).secret)


def test_without_any_key_the_command_refuses(settings):
    settings.SDRCRM_MAILBOX_KEYS = []
    with pytest.raises(CommandError, match="SDRCRM_MAILBOX_KEYS is empty"):
        rotate()
