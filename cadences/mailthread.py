"""A step sent "in the same thread": the headers that make it a reply to the enrollment's
previous email, so the prospect's mail client and the SDR's own show one conversation
(RFC 5322 section 3.6.4: ``In-Reply-To`` the parent's Message-ID, ``References`` the parent's
References followed by the parent's Message-ID; the subject the parent's with ``Re: ``).

Pure functions: the enrollment's earlier sent emails in, the headers out.
"""

import re
from dataclasses import dataclass

_RE = re.compile(r"^\s*re\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class SentEmail:
    """An email of the enrollment that went out (a touch ``sent``, in step order)."""

    position: int
    message_id: str
    subject: str
    reply_in_thread: bool


@dataclass(frozen=True)
class Thread:
    subject: str
    in_reply_to: str
    references: tuple[str, ...]


def reply_subject(subject: str) -> str:
    """``Re: `` and the parent's subject, unless it is already a reply."""
    subject = subject.strip()
    return subject if _RE.match(subject) else f"Re: {subject}"


def thread_of(earlier: list[SentEmail], position: int) -> Thread | None:
    """The headers of the email at ``position`` as a reply to the last email sent before it;
    None when none was sent (it then starts its own thread). ``References``: the chain of the
    thread that email belongs to (an email sent in the same thread continues its parent's
    chain; any other starts a new one)."""
    chain: list[str] = []
    parent: SentEmail | None = None
    for sent in sorted(earlier, key=lambda s: s.position):
        if sent.position >= position or not sent.message_id:
            continue
        if not (sent.reply_in_thread and parent is not None):
            chain = []
        chain.append(sent.message_id)
        parent = sent
    if parent is None:
        return None
    return Thread(
        subject=reply_subject(parent.subject),
        in_reply_to=parent.message_id,
        references=tuple(chain),
    )
