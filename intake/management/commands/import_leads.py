"""python manage.py import_leads FILE [--team T] [--source S] [--owner USER | --round-robin U,U]
[--duplicates skip|update_empty] [--all-or-nothing] [--dry-run]

The same engine as the browser import, run in this process. Prints the counts and the rejected
rows; exits 1 when nothing could be imported (or the file was refused), 0 otherwise.
"""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Team, User
from intake import services
from intake.models import AssignmentRule, DuplicatePolicy, ImportStatus, IssueKind
from intake.reader import FileRejected
from intake.selectors import import_issues
from leads.models import LeadSource


class DryRunDone(Exception):
    pass


class Command(BaseCommand):
    help = "Import a CSV or XLSX list of leads (the same engine as the browser import)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--team", help="Team name (default: the owner's team)")
        parser.add_argument("--source", default=LeadSource.MARKETING_LIST,
                            choices=LeadSource.values)  # fmt: skip
        who = parser.add_mutually_exclusive_group()
        who.add_argument("--owner", help="Username of the SDR who gets every lead")
        who.add_argument("--round-robin", help="Comma-separated usernames of SDRs")
        parser.add_argument("--duplicates", default=DuplicatePolicy.SKIP,
                            choices=DuplicatePolicy.values)  # fmt: skip
        parser.add_argument("--all-or-nothing", action="store_true")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check and count everything, store nothing")  # fmt: skip

    def handle(self, *args, **o):
        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        users = []
        names = [o["owner"]] if o["owner"] else (o["round_robin"] or "").split(",")
        for name in filter(None, (n.strip() for n in names)):
            user = User.objects.filter(username=name).first()
            if user is None:
                raise CommandError(f"No user {name!r}")
            users.append(user)
        team = None
        if o["team"]:
            team = Team.objects.filter(name=o["team"]).first()
            if team is None:
                raise CommandError(f"No team {o['team']!r}")
        elif users:
            team = users[0].team
        if team is None:
            raise CommandError("Give --team, or --owner/--round-robin SDRs of a team.")
        options = services.ImportOptions(
            mapping={},
            source=o["source"],
            assignment=(
                AssignmentRule.ONE if o["owner"]
                else AssignmentRule.ROUND_ROBIN if users else AssignmentRule.UNASSIGNED
            ),
            assignees=[u.pk for u in users],
            duplicates=o["duplicates"],
            all_or_nothing=o["all_or_nothing"],
        )  # fmt: skip
        started = time.monotonic()
        try:
            if o["dry_run"]:  # everything in one transaction, rolled back at the end
                with transaction.atomic():
                    job = self._run(path, team, options)
                    self._report(job, time.monotonic() - started, dry=True)
                    raise DryRunDone
            job = self._run(path, team, options)
            self._report(job, time.monotonic() - started, dry=False)
        except DryRunDone:
            self.stdout.write("Dry run: nothing was stored.")
        except FileRejected as exc:
            self.stderr.write(f"{path.name}: {exc}")
            sys.exit(1)
        except services.IntakeError as exc:
            self.stderr.write(str(exc))
            sys.exit(1)
        if job.status != ImportStatus.DONE or job.created_count + job.updated_count == 0:
            sys.exit(1)

    def _run(self, path, team, options):
        def chunks():
            with path.open("rb") as f:
                while piece := f.read(1 << 20):
                    yield piece

        job = services.import_upload(
            actor=None, team=team, name=path.name, chunks=chunks(), size=path.stat().st_size
        )
        options.mapping = job.mapping
        options.header_row = job.header_row
        services.import_start(actor=None, job_id=job.pk, options=options)
        return services.import_run(job.pk)

    def _report(self, job, seconds, *, dry):
        cols = ", ".join(
            f"{job.columns[int(i)]!r}->{f}"
            for i, f in sorted(job.mapping.items(), key=lambda x: int(x[0]))
        )
        self.stdout.write(f"{job.file_name}: {job.total_rows or 0:,} rows; columns {cols}")
        verb = "would be " if dry else ""
        self.stdout.write(
            f"{verb}created {job.created_count:,}, {verb}updated {job.updated_count:,}, "
            f"duplicates {job.duplicate_count:,}, rejected {job.rejected_count:,} "
            f"in {seconds:.1f} s ({(job.total_rows or 0) / max(seconds, 1e-9):,.0f} rows/s)"
        )
        if job.status == ImportStatus.FAILED:
            self.stderr.write(job.message)
        for issue in import_issues(job=job, kind=IssueKind.REJECTED, limit=None):
            self.stdout.write(f"  line {issue.line}: {issue.reason}")
