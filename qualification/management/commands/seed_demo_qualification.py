"""Demo data for qualification, on top of ``seed_demo``: the demo team's scoring model (a CRM
seller: a sole proprietor with no employees is scrapped), AE capacities, what the SDRs found
out about their engaged and later leads, and every demo lead scored.

Idempotent: the model is created only if the team has none, profiles and answers only where
missing; scoring and counting outcomes again change nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Role, Team, User
from leads.models import OPEN_STATES, Lead, LeadState
from qualification import rescore, services
from qualification.models import AEProfile, LeadAnswers, ScoringModel
from qualification.scoring import DEFAULT_CONFIG

TEAM = "Nordlys Sales"
CAPACITY = {"anders": 8, "ingrid": 5}
# Cycled over the demo's leads from engaged on: (budget, timeline, authority, need, fit).
ANSWERS = [
    (150_000, "this_quarter", "decision_maker", "confirmed", "yes"),
    (90_000, "this_year", "influencer", "possible", "partly"),
    (200_000, "this_month", "decision_maker", "confirmed", "yes"),
    (25_000, "none", "influencer", "possible", "partly"),
]
ANSWERED_STATES = (
    LeadState.ENGAGED,
    LeadState.QUALIFIED,
    LeadState.HANDED_OFF,
    LeadState.ACCEPTED,
)


class Command(BaseCommand):
    help = "Qualification demo data for the demo team (called by seed_demo; idempotent)."

    def handle(self, *args, **options):
        team = Team.objects.filter(name=TEAM).first()
        if team is None:
            self.stdout.write("No demo team: run seed_demo first. Nothing done.")
            return
        with transaction.atomic():
            model = ScoringModel.objects.filter(team=team).order_by("-version").first()
            if model is None:
                manager = User.objects.filter(team=team, role=Role.MANAGER).first()
                model = ScoringModel.objects.create(
                    team=team,
                    version=1,
                    config=DEFAULT_CONFIG,
                    created_by=manager,
                    note="CRM seller: scrap sole proprietors with no employees",
                )
            for username, capacity in CAPACITY.items():
                ae = User.objects.filter(username=username, team=team, role=Role.AE).first()
                if ae is not None:
                    AEProfile.objects.get_or_create(user=ae, defaults={"capacity": capacity})
            answered = 0
            leads = Lead.objects.filter(team=team, state__in=ANSWERED_STATES).order_by("pk")
            for i, lead in enumerate(leads):
                if LeadAnswers.objects.filter(lead=lead).exists():
                    continue
                budget, timeline, authority, need, fit = ANSWERS[i % len(ANSWERS)]
                LeadAnswers.objects.create(
                    lead=lead,
                    budget=budget,
                    timeline=timeline,
                    authority=authority,
                    need=need,
                    fit=fit,
                    updated_by=lead.owner,
                )
                answered += 1
        # Score every demo lead: the open ones under the current model, and the ones past
        # hand-off as they stood (the demo walked them there before any model existed).
        result = rescore.rescore_team(model, mode=rescore.FULL)
        frozen = 0
        for lead in Lead.objects.filter(team=team, score__isnull=True).exclude(
            state__in=OPEN_STATES
        ):
            frozen += services.lead_score_backfill(lead_id=lead.pk, model_id=model.pk)
        outcomes = services.outcome_model_rebuild(team_id=team.pk)
        notified = services.notifications_sweep()
        self.stdout.write(
            self.style.SUCCESS(
                f"Qualification demo ready: model v{model.version}, {answered} leads answered, "
                f"{result.scanned + frozen} scored, {outcomes.positives + outcomes.negatives} "
                f"outcomes counted, {notified} notifications."
            )
        )
