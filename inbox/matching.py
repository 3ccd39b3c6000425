"""Which lead a message read from a mailbox concerns, in the issue's order:

1. its thread: ``In-Reply-To``/``References`` name a Message-ID the product sent (a touch's
   ``message_id``, or its idempotency key as ``<key@domain>``) or a message stored before for
   this mailbox; a delivery report also by the ids it quotes of the message it returns;
2. its sender: a prospect of the owner's team (a delivery report: the failed recipient);
3. its sender's domain, for a human reply: a colleague of a prospect the owner is working in
   a cadence with the exit rule "someone else at the company replied".

A batch of messages is looked up in a few queries (``Batch``), from their headers alone, to
decide which bodies to fetch at all; the match itself comes after the body is read.

The Sent folder matches only by thread: the SDR's own email in a conversation the product
started. Its ``live`` flag says whether it answers someone else's message (the conversation is
live) or follows up the SDR's own (the product's email, or the SDR's earlier one).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from . import selectors
from .envelope import Envelope
from .models import MessageKind
from .selectors import Scope, email_domain


@dataclass(frozen=True)
class Match:
    lead_id: int
    matched_by: str  # "thread", "sender", "recipient" (a report's), "domain"
    touch_id: int | None = None
    live: bool = False  # the Sent folder: answers someone else's message


class Batch:
    """The lookups of one batch of messages of one folder."""

    def __init__(self, scope: Scope, envelopes: Iterable[Envelope], *, sent: bool):
        envelopes = list(envelopes)
        self.scope, self.sent = scope, sent
        ids = {i for e in envelopes for i in e.thread_ids}
        if sent:
            ids |= {e.message_id for e in envelopes if e.message_id}
        self.touches = selectors.product_touches(scope, ids)
        self.stored = selectors.stored_messages(scope, ids)
        self.senders: dict[str, int] = {}
        self.colleagues: dict[str, int] = {}
        if not sent:
            senders = {e.from_email for e in envelopes if e.from_email != scope.email}
            self.senders = selectors.prospect_leads(scope, senders)
            self.colleagues = selectors.colleague_leads(
                scope, {email_domain(s) for s in senders if s not in self.senders}
            )

    def own_copy(self, env: Envelope) -> bool:
        """A product email filed in the Sent folder (by the server or the product)."""
        return bool(env.message_id) and env.message_id in self.touches

    def may_concern(self, env: Envelope) -> bool:
        """Whether to fetch the body: the headers point at a lead, or it may be a delivery
        report (which says in its body which message it returns)."""
        if self.sent:
            return not self.own_copy(env) and self._thread(env) is not None
        if env.from_email and env.from_email == self.scope.email:
            return False
        return (
            self._thread(env) is not None
            or env.from_email in self.senders
            or email_domain(env.from_email) in self.colleagues
            or env.maybe_report
        )

    def _thread(self, env: Envelope, extra: Iterable[str] = ()) -> Match | None:
        for message_id in (*env.thread_ids, *extra):
            if message_id in self.touches:
                touch_id, lead_id = self.touches[message_id]
                return Match(lead_id, "thread", touch_id)
            if message_id in self.stored:
                return Match(self.stored[message_id][0], "thread")
        return None

    def match(
        self,
        env: Envelope,
        kind: str,
        *,
        returned: Iterable[str] = (),
        recipients: Iterable[str] = (),
    ) -> Match | None:
        """The lead ``env`` concerns once its body was classified (``kind``, a
        ``MessageKind``); a delivery report's ``returned`` ids and failed ``recipients``."""
        if self.sent:
            if self.own_copy(env):
                return None
            found = self._thread(env)
            if found is None:
                return None
            return Match(found.lead_id, "thread", found.touch_id, live=self._live(env))
        if env.from_email and env.from_email == self.scope.email:
            return None
        returned = tuple(i for i in returned if i not in self.touches and i not in self.stored)
        if returned:
            self.touches.update(selectors.product_touches(self.scope, returned))
        found = self._thread(env, returned)
        if found is not None:
            return found
        if kind == MessageKind.BOUNCE:
            by_recipient = selectors.prospect_leads(self.scope, recipients)
            for address in recipients:
                if address in by_recipient:
                    return Match(by_recipient[address], "recipient")
            return None
        if env.from_email in self.senders:
            return Match(self.senders[env.from_email], "sender")
        domain = email_domain(env.from_email)
        if kind == MessageKind.REPLY and domain in self.colleagues:
            return Match(self.colleagues[domain], "domain")
        return None

    def _live(self, env: Envelope) -> bool:
        """The SDR's email answers someone else's message: its parent is neither a product
        email nor the SDR's own earlier one."""
        parent = env.parent_id
        if not parent or parent in self.touches:
            return False
        stored = self.stored.get(parent)
        return stored is None or stored[1] != MessageKind.SDR_REPLY
