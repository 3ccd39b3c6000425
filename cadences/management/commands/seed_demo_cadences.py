"""Demo data for cadences (called by ``seed_demo``): the standard cadence and the product
answers in English and bokmål (``cadences.standard``) for each team, the demo's contacting
leads enrolled, and a few reminders due today. Idempotent."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Team
from cadences.models import Enrollment, Reminder
from cadences.services import (
    cadence_ensure_standard,
    enrollment_create,
    snippets_ensure_standard,
)
from leads.models import Lead, LeadState

# The demo's team sells from Oslo: its cadences are in bokmål (its members' pages follow the
# team's or their own language; docs/i18n.md). Other teams get theirs in the team's language.
NORWEGIAN_TEAM = "Nordlys Sales"


class Command(BaseCommand):
    help = "Seed cadence demo data (idempotent)."

    def handle(self, *args, **options):
        enrolled = 0
        with transaction.atomic():
            for team in Team.objects.all():
                language = "nb" if team.name == NORWEGIAN_TEAM else ""
                cadence = cadence_ensure_standard(team_id=team.pk, language=language)
                snippets_ensure_standard(team_id=team.pk)
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
