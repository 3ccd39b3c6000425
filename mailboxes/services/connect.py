"""Connecting a user's own mailbox (with a password, or by signing in to Google or Microsoft),
testing it, disconnecting it, and its sending limits.

Saving tests first: the IMAP and SMTP logins are tried with the new settings on a mailbox
that is not saved yet, and only when both work is anything written, in one transaction. A
mailbox that fails the test keeps exactly what it had (or stays absent), and the user reads
the test's own words ("Authentication failed: …", "IMAP is disabled for this account").
"""

from __future__ import annotations

import contextlib
import imaplib
import smtplib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from sdrcrm.errors import Conflict, Invalid, NotAllowed, NotFound
from sdrcrm.tasks import enqueue_on_commit

from .. import crypto, hosts, oauth, transport
from ..limits import LIMIT_FIELDS, limits_errors
from ..models import AuthKind, Mailbox, MailboxStatus, OAuthClient
from ..selectors import may_connect_mailbox
from ..transport import MailboxError
from .health import mailbox_mark_failing, mailbox_mark_working

USERNAME_MAX = 254
PASSWORD_MAX = 1024
CODE_MAX = 4096
# What a connection is made of; copied from the tested mailbox onto the saved row.
CONNECTION_FIELDS = (
    "email", "auth_kind", "username", "imap_host", "imap_port", "imap_security", "smtp_host",
    "smtp_port", "smtp_security", "secret", "access_token", "refresh_token", "token_expires_at",
    "server_saves_sent",
)  # fmt: skip


class MailboxTestFailed(Invalid):
    """The connection test failed: ``str()`` is the test's exact message, ``error`` the
    ``MailboxError``."""

    def __init__(self, error: MailboxError):
        super().__init__(error.message)
        self.error = error


@dataclass
class ConnectData:
    """A password connection as the user entered it. An empty ``password`` keeps the stored
    one, as long as the servers and the username are the same."""

    email: str
    username: str
    imap_host: str
    imap_port: int
    imap_security: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    password: str = field(default="", repr=False)


def _require_sender(actor: User) -> None:
    if not may_connect_mailbox(actor):
        raise NotAllowed(_("Only SDRs, BDRs and account executives of a team connect a mailbox."))


def _clean_address(value: str, *, field_name: str = "email") -> str:
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid(_("Enter the mailbox's email address."), field=field_name) from None
    if len(email) > 254:
        raise Invalid(_("An email address has at most 254 characters."), field=field_name)
    return email


def _has_control(value: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


def _check_address_free(actor: User, email: str) -> None:
    taken = (
        Mailbox.objects.filter(email=email)
        .exclude(user=actor)
        .exclude(status=MailboxStatus.DISCONNECTED)
        .exists()
    )
    if taken:
        raise Invalid(
            _("This address is already connected by another user: one mailbox, one owner."),
            field="email",
        )


def mailbox_test(mailbox: Mailbox, *, timeout: float | None = None) -> str:
    """Log in to the mailbox's IMAP and SMTP servers (``mailboxes.transport``) and find its
    Sent folder, which is returned. Raises the ``MailboxError`` of the first step that fails,
    whose ``message`` says exactly what is wrong. ``mailbox`` need not be saved."""
    timeout = timeout if timeout is not None else settings.SDRCRM_MAILBOX_TEST_TIMEOUT_SECONDS
    imap = transport.imap_connect(mailbox, timeout=timeout)
    try:
        sent_folder = transport.find_sent_folder(imap)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            imap.logout()
    smtp = transport.smtp_connect(mailbox, timeout=timeout)
    with contextlib.suppress(OSError, smtplib.SMTPException):
        smtp.quit()
    return sent_folder


def _tested(mailbox: Mailbox) -> str:
    try:
        return mailbox_test(mailbox)
    except MailboxError as exc:
        raise MailboxTestFailed(exc) from None


def mailbox_connect(*, actor: User, data: ConnectData) -> Mailbox:
    """Connect (or change) the actor's mailbox with a password or app password: checked,
    tested, then saved as connected."""
    _require_sender(actor)
    existing = Mailbox.objects.filter(user=actor).first()
    email = _clean_address(data.email)
    username = (data.username or "").strip() or email
    if len(username) > USERNAME_MAX or _has_control(username):
        raise Invalid(
            _("The username has at most %(max)d characters, on one line.") % {"max": USERNAME_MAX},
            field="username",
        )
    imap_host = hosts.clean_host(data.imap_host, field="imap_host")
    smtp_host = hosts.clean_host(data.smtp_host, field="smtp_host")
    hosts.check_server("imap", imap_host, data.imap_port, data.imap_security)
    hosts.check_server("smtp", smtp_host, data.smtp_port, data.smtp_security)
    secret = _password_secret(data, existing, username, imap_host, smtp_host)
    _check_address_free(actor, email)
    candidate = Mailbox(
        user=actor,
        team_id=actor.team_id,
        email=email,
        auth_kind=AuthKind.PASSWORD,
        username=username,
        imap_host=imap_host,
        imap_port=data.imap_port,
        imap_security=data.imap_security,
        smtp_host=smtp_host,
        smtp_port=data.smtp_port,
        smtp_security=data.smtp_security,
        secret=secret,
        access_token="",
        refresh_token="",
        token_expires_at=None,
        server_saves_sent=smtp_host in hosts.SAVES_SENT_HOSTS,
    )
    return _save_connected(actor, candidate, _tested(candidate))


def _password_secret(data, existing, username, imap_host, smtp_host) -> str:
    """The encrypted password to test and store: the one entered, or the stored one when the
    field was left empty and nothing it would be sent to changed (a password is never sent to
    a server it was not entered for)."""
    password = data.password or ""
    if password:
        if len(password) > PASSWORD_MAX or _has_control(password):
            raise Invalid(
                _("The password has at most %(max)d characters, on one line.")
                % {"max": PASSWORD_MAX},
                field="password",
            )
        return crypto.encrypt(password)
    same = (
        existing is not None
        and existing.auth_kind == AuthKind.PASSWORD
        and bool(existing.secret)
        and (existing.username, existing.imap_host, existing.smtp_host)
        == (username, imap_host, smtp_host)
    )
    if same:
        return existing.secret
    if existing is None or not existing.secret or existing.auth_kind != AuthKind.PASSWORD:
        raise Invalid(_("Enter the password (or app password)."), field="password")
    raise Invalid(
        _("Enter the password again: the servers or the username changed."), field="password"
    )


def mailbox_oauth_finish(*, actor: User, flow: oauth.Flow, code: str, redirect_uri: str) -> Mailbox:
    """Finish a Google or Microsoft sign-in: trade the code for tokens, read the address,
    test IMAP and SMTP with the token (XOAUTH2), then save the mailbox as connected."""
    _require_sender(actor)
    if not isinstance(code, str) or not code or len(code) > CODE_MAX or _has_control(code):
        raise Invalid(_("The sign-in answer holds no valid code. Nothing was saved."))
    client = OAuthClient.objects.filter(provider=flow.provider).first()
    provider = oauth.provider_for(flow.provider)
    if client is None:
        raise Invalid(
            _("Sign-in with %(provider)s is not set up on this site.") % {"provider": provider.name}
        )
    try:
        tokens = oauth.code_exchange(client, flow, code=code, redirect_uri=redirect_uri)
    except MailboxError as exc:
        raise MailboxTestFailed(exc) from None
    email = oauth.address_from(client, flow, tokens)
    _check_address_free(actor, email)
    (imap_host, imap_port, imap_security), (smtp_host, smtp_port, smtp_security) = (
        provider.imap,
        provider.smtp,
    )
    candidate = Mailbox(
        user=actor,
        team_id=actor.team_id,
        email=email,
        auth_kind=provider.kind,
        username=email,
        imap_host=imap_host,
        imap_port=imap_port,
        imap_security=imap_security,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_security=smtp_security,
        secret="",
        access_token=crypto.encrypt(tokens.access_token),
        refresh_token=crypto.encrypt(tokens.refresh_token),
        token_expires_at=tokens.expires_at,
        server_saves_sent=True,  # Gmail and Microsoft 365 file what is submitted in Sent
    )
    return _save_connected(actor, candidate, _tested(candidate))


def _save_connected(actor: User, candidate: Mailbox, sent_folder: str) -> Mailbox:
    now = timezone.now()
    try:
        with transaction.atomic():
            row = Mailbox.objects.select_for_update().filter(user=actor).first()
            if row is None:
                row = candidate
                row.connected_at = row.created_at = row.updated_at = now
                row.status = MailboxStatus.CONNECTED
                row.sent_folder = sent_folder
                row.save(force_insert=True)
            else:
                if row.email != candidate.email:
                    row.connected_at = now  # a new address ramps up from the start
                for name in CONNECTION_FIELDS:
                    setattr(row, name, getattr(candidate, name))
                row.team_id = actor.team_id
                row.status = MailboxStatus.CONNECTED
                row.last_error = ""
                row.last_error_at = None
                row.sent_folder = sent_folder
                row.updated_at = now
                row.save(
                    update_fields=[
                        *CONNECTION_FIELDS, "team", "status", "last_error", "last_error_at",
                        "sent_folder", "connected_at", "updated_at",
                    ]
                )  # fmt: skip
            # Sends held for this mailbox (it was failing, disconnected or not there yet) go
            # out now. robust: the mailbox is saved; a lost bell only delays the release.
            enqueue_on_commit("cadences.mailbox_resume_task", row.pk, robust=True)
    except IntegrityError:  # a second tab connected the first mailbox at the same moment
        raise Conflict(_("Your mailbox was connected meanwhile: reload the page.")) from None
    return row


def _own(actor: User, *, lock: bool = False) -> Mailbox:
    qs = Mailbox.objects.select_for_update() if lock else Mailbox.objects
    mailbox = qs.filter(user=actor).first()
    if mailbox is None:
        raise NotFound(_("You have no mailbox connected."))
    return mailbox


def mailbox_retest(*, actor: User) -> Mailbox:
    """ "Test again": test the actor's saved mailbox. Working: it is marked working (held sends
    go out). A failure the owner must fix (``permanent``) marks it failing; either way the
    test's message is raised (``MailboxTestFailed``)."""
    _require_sender(actor)
    mailbox = _own(actor)
    if mailbox.status == MailboxStatus.DISCONNECTED:
        raise Conflict(_("The mailbox is disconnected: connect it first."))
    try:
        sent_folder = mailbox_test(mailbox)
    except MailboxError as exc:
        if exc.permanent:
            mailbox_mark_failing(mailbox.pk, exc)
        raise MailboxTestFailed(exc) from None
    except crypto.SecretUnreadable as exc:
        mailbox_mark_failing(mailbox.pk, str(exc))
        raise
    mailbox_mark_working(mailbox.pk, sent_folder=sent_folder)
    mailbox.refresh_from_db()
    return mailbox


def mailbox_disconnect(*, actor: User) -> Mailbox:
    """Disconnect the actor's mailbox: its password and tokens are wiped at once; the row stays
    (its emails' history points at it), and nothing is sent or read through it any more."""
    _require_sender(actor)
    with transaction.atomic():
        mailbox = _own(actor, lock=True)
        if mailbox.status == MailboxStatus.DISCONNECTED and not (
            mailbox.secret or mailbox.access_token or mailbox.refresh_token
        ):
            return mailbox
        mailbox.status = MailboxStatus.DISCONNECTED
        mailbox.secret = mailbox.access_token = mailbox.refresh_token = ""
        mailbox.token_expires_at = None
        mailbox.last_error = ""
        mailbox.last_error_at = None
        mailbox.updated_at = timezone.now()
        mailbox.save(
            update_fields=[
                "status", "secret", "access_token", "refresh_token", "token_expires_at",
                "last_error", "last_error_at", "updated_at",
            ]
        )  # fmt: skip
    return mailbox


def mailbox_limits_set(*, actor: User, values: dict[str, int]) -> Mailbox:
    """Change the actor's mailbox's sending limits, within ``mailboxes.limits.RANGES``."""
    _require_sender(actor)
    errors = limits_errors(values)
    if errors:
        name, message = next(iter(errors.items()))
        raise Invalid(str(message), field=name)
    with transaction.atomic():
        mailbox = _own(actor, lock=True)
        for name in LIMIT_FIELDS:
            setattr(mailbox, name, values[name])
        mailbox.updated_at = timezone.now()
        mailbox.save(update_fields=[*LIMIT_FIELDS, "updated_at"])
    return mailbox
