"""The sync process (``manage.py mailbox_sync``): holds up to ``SDRCRM_SYNC_MAILBOXES``
mailboxes under leases and keeps each synced.

- The main thread claims free mailboxes (``lease_claim``), renews the leases every third of
  ``SDRCRM_SYNC_LEASE_SECONDS`` and lets go of those it lost (another process took over after
  this one was too slow, or the mailbox was disconnected).
- Each mailbox held has a watcher thread and one IMAP connection. The watcher asks for a pass,
  then waits on the connection in IDLE on INBOX (where the server offers it) until the server
  reports news or ``SDRCRM_SYNC_IDLE_SECONDS`` pass; without IDLE it waits
  ``SDRCRM_SYNC_POLL_SECONDS``. A watcher holds no database connection.
- ``SDRCRM_SYNC_THREADS`` sync threads run the passes, one mailbox at a time each, over the
  mailbox's connection (its watcher waits meanwhile): the database connections of the process
  are these and the main thread's.
- A failure: a permanent one (a refused password, a revoked token) marks the mailbox failing at
  once (its owner is told, its sends wait); a passing one (a timeout, a dropped connection) is
  tried again with a growing pause, and marks it failing after ``FAILURES_BEFORE_FAILING`` in a
  row. A pass that works again marks it working.
- SIGTERM or SIGINT: the passes stop between two messages (each message is applied with its
  cursor, so nothing is half done), the connections close, the leases are given back so that
  another process takes the mailboxes at once, and the process exits.
"""

import imaplib
import logging
import os
import queue
import select
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils.translation import gettext as _

from mailboxes.transport import MailboxError, imap_connect

from ..services import LeaseLost, lease_claim, lease_release, lease_renew, mailbox_sync_failed
from . import imap as protocol
from .mailbox import INBOX, PassResult, load_mailbox, mailbox_sync_pass

log = logging.getLogger(__name__)

FAILURES_BEFORE_FAILING = 5
MAX_BACKOFF_SECONDS = 900


def holder_name() -> str:
    """Who holds a lease: this machine and process, told apart from a restarted one."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:200]


@dataclass
class Settings:
    mailboxes: int = 200
    threads: int = 4
    lease_seconds: int = 90
    poll_seconds: float = 60
    idle_seconds: float = 300

    @classmethod
    def from_django(cls, **overrides) -> "Settings":
        values = {
            "mailboxes": settings.SDRCRM_SYNC_MAILBOXES,
            "threads": settings.SDRCRM_SYNC_THREADS,
            "lease_seconds": settings.SDRCRM_SYNC_LEASE_SECONDS,
            "poll_seconds": settings.SDRCRM_SYNC_POLL_SECONDS,
            "idle_seconds": settings.SDRCRM_SYNC_IDLE_SECONDS,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass
class Stats:
    passes: int = 0
    applied: int = 0
    failures: int = 0
    lost: int = 0
    results: list[PassResult] = field(default_factory=list)


def _transient(exc: BaseException) -> MailboxError:
    return MailboxError(
        "connect", _("The connection to the mailbox's server failed: %(error)s") % {"error": exc}
    )


class Session:
    """A mailbox held by this process: its IMAP connection and its watcher."""

    def __init__(self, runner: "Runner", mailbox_id: int):
        self.runner, self.mailbox_id = runner, mailbox_id
        self.imap: imaplib.IMAP4 | None = None
        self.failures = 0
        self.stopped = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.watch, name=f"mailbox-{mailbox_id}", daemon=True)

    @property
    def stopping(self) -> bool:
        return self.stopped.is_set() or self.runner.stopping

    def drop(self) -> None:
        imap, self.imap = self.imap, None
        if imap is not None:
            try:
                imap.logout()
            except (imaplib.IMAP4.error, OSError, EOFError):
                pass

    def watch(self) -> None:
        try:
            while not self.stopping:
                self.done.clear()
                self.runner.jobs.put(self)
                self.done.wait()
                if self.stopping:
                    break
                self._wait()
        finally:
            self.drop()

    def _wait(self) -> None:
        """Until the next pass: IDLE on INBOX, or a plain wait (a poll, a back-off)."""
        cfg = self.runner.cfg
        if self.failures:
            delay = min(cfg.poll_seconds * 2 ** min(self.failures, 10), MAX_BACKOFF_SECONDS)
        elif self.imap is not None and protocol.supports_idle(self.imap):
            try:
                protocol.idle(self.imap, cfg.idle_seconds, self.runner.wake_fd)
            except protocol.IMAP_ERRORS as exc:
                log.info("IDLE on mailbox %s ended: %s", self.mailbox_id, exc)
                self.drop()
            return
        else:
            delay = cfg.poll_seconds
        select.select([self.runner.wake_fd], [], [], delay)


class Runner:
    def __init__(self, cfg: Settings | None = None, *, holder: str | None = None):
        self.cfg = cfg or Settings.from_django()
        self.holder = holder or holder_name()
        self.stats = Stats()
        self.sessions: dict[int, Session] = {}
        self.jobs: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self.wake_fd, self._wake_w = os.pipe()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self, *_args) -> None:
        """Stop soon (a signal handler): every wait ends, every pass stops between messages."""
        if not self._stop.is_set():
            self._stop.set()
            os.write(self._wake_w, b"x")  # stays readable: wakes every select on it

    # --- one pass over every free mailbox (``--once``) -------------------------------------
    def run_once(self) -> Stats:
        """Claim the free mailboxes (up to the limit), sync each once in this thread, give
        them back."""
        ids = lease_claim(
            holder=self.holder, limit=self.cfg.mailboxes, seconds=self.cfg.lease_seconds
        )
        renewed = [time.monotonic()]

        def renew() -> None:  # the leases of the mailboxes still to do, while one is read
            if time.monotonic() - renewed[0] > self.cfg.lease_seconds / 3:
                lease_renew(holder=self.holder, mailbox_ids=ids, seconds=self.cfg.lease_seconds)
                renewed[0] = time.monotonic()

        try:
            for mailbox_id in ids:
                if self.stopping:
                    break
                session = Session(self, mailbox_id)
                try:
                    self.sync(session, between=renew)
                finally:
                    session.drop()
        finally:
            lease_release(holder=self.holder, mailbox_ids=ids)
        return self.stats

    # --- the long-running process ----------------------------------------------------------
    def run(self) -> Stats:
        workers = [
            threading.Thread(target=self._work, name=f"sync-{i}", daemon=True)
            for i in range(max(self.cfg.threads, 1))
        ]
        for worker in workers:
            worker.start()
        try:
            while not self.stopping:
                try:
                    self.balance()
                except DatabaseError:  # PostgreSQL away: the leases are renewed next round
                    log.exception("The leases could not be renewed")
                self._stop.wait(max(self.cfg.lease_seconds / 3, 1))
        finally:
            self.stop()
            for session in self.sessions.values():
                session.stopped.set()
            for _worker in workers:
                self.jobs.put(None)
            for worker in workers:
                worker.join(timeout=60)
            for session in self.sessions.values():
                session.done.set()
                session.thread.join(timeout=10)
            lease_release(holder=self.holder)
            connection.close()
        return self.stats

    def balance(self) -> None:
        """Renew the leases held, let go of the lost, claim free mailboxes up to the limit."""
        close_old_connections()
        held = lease_renew(
            holder=self.holder, mailbox_ids=list(self.sessions), seconds=self.cfg.lease_seconds
        )
        for mailbox_id in set(self.sessions) - set(held):
            log.info("Mailbox %s: lease lost or disconnected; letting go", mailbox_id)
            self.sessions.pop(mailbox_id).stopped.set()
            self.stats.lost += 1
        for mailbox_id, session in list(self.sessions.items()):
            if not session.thread.is_alive():  # ended by a lost lease found during a pass
                self.sessions.pop(mailbox_id)
                lease_release(holder=self.holder, mailbox_ids=[mailbox_id])
        room = self.cfg.mailboxes - len(self.sessions)
        for mailbox_id in lease_claim(
            holder=self.holder, limit=room, seconds=self.cfg.lease_seconds
        ):
            session = self.sessions[mailbox_id] = Session(self, mailbox_id)
            session.thread.start()

    def _work(self) -> None:
        while True:
            session = self.jobs.get()
            if session is None:
                break
            try:
                if not session.stopping:
                    self.sync(session)
            finally:
                session.done.set()
                close_old_connections()
        connection.close()

    def sync(self, session: Session, between=None) -> PassResult | None:
        """One pass over the session's mailbox; failures handled here (module docstring).
        ``between`` is called between two messages."""

        def stop() -> bool:
            if between is not None:
                between()
            return session.stopping

        mailbox = load_mailbox(session.mailbox_id)
        if mailbox is None:
            session.stopped.set()
            return None
        try:
            if session.imap is None:
                session.imap = imap_connect(mailbox)
            result = mailbox_sync_pass(mailbox, session.imap, holder=self.holder, stop=stop)
            if not session.stopping:
                protocol.examine(session.imap, INBOX)  # IDLE watches INBOX
        except LeaseLost:
            log.info("Mailbox %s: another process holds it now", session.mailbox_id)
            session.stopped.set()
            return None
        except MailboxError as exc:
            self._failed(session, exc)
            return None
        except protocol.IMAP_ERRORS as exc:
            self._failed(session, _transient(exc))
            return None
        except Exception:  # noqa: BLE001 - one mailbox's fault must not end the process
            log.exception("Mailbox %s: the pass failed", session.mailbox_id)
            session.drop()
            session.failures += 1
            self.stats.failures += 1
            return None
        session.failures = 0
        self.stats.passes += 1
        self.stats.applied += len(result.applied)
        self.stats.results.append(result)
        del self.stats.results[:-100]
        return result

    def _failed(self, session: Session, error: MailboxError) -> None:
        session.drop()
        session.failures += 1
        self.stats.failures += 1
        log.warning("Mailbox %s: %s (%s)", session.mailbox_id, error.message, error.kind)
        if error.permanent or session.failures >= FAILURES_BEFORE_FAILING:
            mailbox_sync_failed(mailbox_id=session.mailbox_id, error=error)
