from django.core.management.base import BaseCommand, CommandError

from dashboards.rollup import facts_backfill, facts_refresh


class Command(BaseCommand):
    help = "Read the lead timeline into the dashboards' facts (what the periodic task does)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Read the whole timeline again (nothing already counted is counted twice).",
        )
        parser.add_argument(
            "--backfill",
            action="store_true",
            help="Empty facts only: read the whole timeline set-based (a bulk load; one "
            "transaction).",
        )
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, rebuild=False, backfill=False, batch_size=None, **options):
        if backfill:
            try:
                added = facts_backfill(batch_size=batch_size)
            except ValueError as e:
                raise CommandError(str(e)) from None
        else:
            added = facts_refresh(rebuild=rebuild, batch_size=batch_size)
        self.stdout.write(f"{added} facts added")
