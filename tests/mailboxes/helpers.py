"""Mailboxes for tests that do not talk to a server (pacing, holds): the rows only."""

from mailboxes.models import AuthKind, Mailbox, MailboxStatus, TransportSecurity


def mailbox_row(user, **fields) -> Mailbox:
    """``user``'s mailbox at ``<username>@mail.example`` on a local server, connected, with
    the product's default limits unless ``fields`` say otherwise."""
    values = {
        "email": f"{user.username}@mail.example",
        "auth_kind": AuthKind.PASSWORD,
        "username": user.username,
        "imap_host": "127.0.0.1",
        "imap_port": 143,
        "imap_security": TransportSecurity.NONE,
        "smtp_host": "127.0.0.1",
        "smtp_port": 587,
        "smtp_security": TransportSecurity.NONE,
        "status": MailboxStatus.CONNECTED,
    }
    values.update(fields)
    return Mailbox.objects.create(user=user, team_id=user.team_id, **values)
