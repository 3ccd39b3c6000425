"""``manage.py mailbox_sync``: the process that reads SDRs' mailboxes (inbox/sync/runner.py).
Run it beside the web and worker processes; run more of them (on more machines) to hold more
mailboxes: they share the mailboxes by leases in PostgreSQL (docs/operations.md)."""

import logging
import signal

from django.core.management.base import BaseCommand

from inbox.sync.runner import Runner, Settings


class Command(BaseCommand):
    help = (
        "Sync the connected mailboxes' INBOX and Sent folders (IDLE, else polling) until "
        "SIGTERM; with --once, one pass over every free mailbox."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--mailboxes",
            type=int,
            help="Most mailboxes this process holds (SDRCRM_SYNC_MAILBOXES).",
        )
        parser.add_argument("--threads", type=int, help="Passes run at once (SDRCRM_SYNC_THREADS).")
        parser.add_argument(
            "--poll",
            type=float,
            help="Seconds between passes without IDLE (SDRCRM_SYNC_POLL_SECONDS).",
        )

    def handle(self, *args, once=False, mailboxes=None, threads=None, poll=None, **options):
        if options["verbosity"] > 1:
            logging.getLogger("inbox").setLevel(logging.DEBUG)
        runner = Runner(
            Settings.from_django(mailboxes=mailboxes, threads=threads, poll_seconds=poll)
        )
        signal.signal(signal.SIGTERM, runner.stop)
        signal.signal(signal.SIGINT, runner.stop)
        if once:
            stats = runner.run_once()
        else:
            self.stdout.write(f"mailbox_sync {runner.holder}: started")
            self.stdout.flush()
            stats = runner.run()
        self.stdout.write(
            f"mailbox_sync {runner.holder}: {stats.passes} passes, {stats.applied} messages "
            f"applied, {stats.failures} failures"
        )
