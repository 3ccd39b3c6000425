"""Demo data for cadences (called by ``seed_demo``): the standard cadence and a snippet
library for each team, the demo's contacting leads enrolled, and a few reminders due today.
Idempotent."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Team
from cadences.models import Enrollment, Reminder, Snippet
from cadences.services import cadence_ensure_standard, enrollment_create
from leads.models import Lead, LeadState

SNIPPETS = [
    (
        "Pricing",
        "Plans start at NOK 490 per user per month, billed yearly; a 30-day trial is free.",
    ),
    (
        "Integrations",
        "We integrate with Outlook, Gmail, LinkedIn and the common ERP systems; "
        "the API is open and documented.",
    ),
    ("Security", "Data is stored in the EU, encrypted at rest and in transit; we sign a DPA."),
    ("Onboarding", "A typical team is live in two weeks, with a named onboarding manager."),
]


class Command(BaseCommand):
    help = "Seed cadence demo data (idempotent)."

    def handle(self, *args, **options):
        enrolled = 0
        with transaction.atomic():
            for team in Team.objects.all():
                cadence = cadence_ensure_standard(team_id=team.pk)
                for title, body in SNIPPETS:
                    Snippet.objects.get_or_create(team=team, title=title, defaults={"body": body})
                leads = Lead.objects.filter(
                    team=team, state=LeadState.CONTACTING, owner__isnull=False
                ).select_related("owner")
                for lead in leads:
                    if Enrollment.objects.filter(lead=lead).exists():
                        continue
                    # The demo's leads are laid out (seed_demo): no one is there to be asked
                    # whether to enroll beside another SDR (tests/leads/test_seed_demo.py
                    # checks the demo has that once, on purpose, on a lead left to enroll).
                    enrollment_create(
                        actor=lead.owner, lead_id=lead.pk, cadence_id=cadence.pk, confirm=True
                    )
                    enrolled += 1
                    if not Reminder.objects.filter(lead=lead).exists():
                        Reminder.objects.create(
                            lead=lead,
                            owner=lead.owner,
                            due_at=timezone.now() + timedelta(hours=1),
                            note="Check their LinkedIn activity before the call",
                        )
        self.stdout.write(f"Cadences ready ({enrolled} leads enrolled).")
