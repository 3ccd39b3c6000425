from django.core.management.base import BaseCommand

from dashboards.rollup import facts_refresh


class Command(BaseCommand):
    help = "Read the lead timeline into the dashboards' facts (what the periodic task does)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Read the whole timeline again (nothing already counted is counted twice).",
        )
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, rebuild=False, batch_size=None, **options):
        added = facts_refresh(rebuild=rebuild, batch_size=batch_size)
        self.stdout.write(f"{added} facts added")
