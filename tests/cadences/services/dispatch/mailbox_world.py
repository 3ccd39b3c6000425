"""What the tests of sending through a mailbox share: a team that sends through its SDRs'
mailboxes, the SDR's mailbox on the test mail servers (tests/mail/), prospects who are users
there too, so that what reached them is read back from their INBOX over IMAP."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from mailboxes.models import Mailbox
from tests.cadences.helpers import enroll
from tests.mail.servers import MailServers


@dataclass
class World:
    crew: object
    servers: MailServers
    mailbox: Mailbox

    def lead(self, cadence, owner="sdr", **kwargs):
        """A lead whose prospect is a fresh user of the test servers, enrolled in
        ``cadence``: (lead, enrollment, the prospect's address)."""
        address = self.servers.add_user().email
        lead = self.crew.lead(owner=owner, prospect__email=address, **kwargs)
        return lead, enroll(getattr(self.crew, owner), lead, cadence), address

    def inbox(self, address: str) -> list:
        return self.servers.messages(address, "INBOX")

    def sent_folder(self) -> list:
        return self.servers.messages(self.mailbox.email, "Sent")


@pytest.fixture
def world(crew, mail_servers, make_mailbox, now) -> World:
    """The SDR's mailbox: connected a month ago (no ramp-up), no gap between sends unless a
    test sets one, its server filing no Sent copy (the dispatcher files one)."""
    crew.team.email_via = "mailbox"
    crew.team.save(update_fields=["email_via"])
    mailbox = make_mailbox(
        crew.sdr,
        connected_at=now - timedelta(days=30),
        min_gap_seconds=0,
        jitter_seconds=0,
        server_saves_sent=False,
    )
    return World(crew=crew, servers=mail_servers, mailbox=mailbox)


def message_id(touch, mailbox: Mailbox) -> str:
    """The Message-ID ``touch`` goes out with from ``mailbox``: its key at the mailbox's
    domain."""
    return f"<{touch.idempotency_key}@{mailbox.email.rpartition('@')[2]}>"
