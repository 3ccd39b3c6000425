"""Qualification: the team's scoring model (versioned), each lead's rule score and answers, the
SDR's recorded judgement, AE capacity for routing, escalations and the learned
(naive-Bayes) outcome model.

``Lead.score`` (in leads) mirrors ``LeadScore.score`` so that the lead list can filter and sort
on it; the version the score came from is here.
"""

from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scoring import Authority, Fit, Need, ScoringConfig, Timeline


class ScoringModel(models.Model):
    """One version of a team's qualification model. A version never changes: saving the model
    in the editor creates the next version and rescores the team's open leads."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    config = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True, help_text="What changed, for the history")
    # Rescore bookkeeping: the only fields that change after the version is created.
    rescore_started_at = models.DateTimeField(null=True, blank=True)
    rescore_finished_at = models.DateTimeField(null=True, blank=True)
    rescored_leads = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "version"], name="scoringmodel_team_version")
        ]
        ordering = ["team", "-version"]

    def __str__(self) -> str:
        return f"Scoring model v{self.version} of team {self.team_id}"

    @cached_property
    def scoring(self) -> ScoringConfig:
        return ScoringConfig.from_dict(self.config)


class LeadScore(models.Model):
    """A lead's current rule score, the model version it came from, and the inputs it was
    computed from.

    Written set-based by ``qualification.rescore`` and for one lead by the qualification
    services. Keeping the inputs here lets a model change rescore every open lead from this
    one narrow table, without joining prospects, companies and answers again; leads changed
    since their inputs were read are read afresh (the periodic sweep, and each rescore, do
    that)."""

    lead = models.OneToOneField(
        "leads.Lead", on_delete=models.CASCADE, primary_key=True, related_name="rule_score"
    )
    # No index: nothing looks scores up by model, and an unindexed column keeps the rescore's
    # updates HOT (heap-only) on PostgreSQL. No database constraint either: a deferred foreign
    # key check per rescored lead cost 0.4 s at each commit of 100,000. Versions are never
    # deleted (PROTECT elsewhere, no code path deletes one), so the reference always holds.
    model = models.ForeignKey(
        ScoringModel,
        on_delete=models.DO_NOTHING,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
    score = models.SmallIntegerField()
    points = models.SmallIntegerField()
    disqualifier = models.CharField(max_length=20, blank=True)
    # The inputs (see scoring.LeadFacts): industry lower-cased, authority as in effect.
    employee_count = models.IntegerField(null=True, blank=True)
    industry = models.CharField(max_length=120, blank=True)
    budget = models.BigIntegerField(null=True, blank=True)
    timeline = models.CharField(max_length=20, blank=True)
    authority = models.CharField(max_length=20, blank=True)
    need = models.CharField(max_length=20, blank=True)
    fit = models.CharField(max_length=20, blank=True)
    # The lead's updated_at when its inputs were read: the inputs are current while the lead
    # still has this value (an edit, or a change of state, moves it).
    lead_updated_at = models.DateTimeField()
    # The version of the answers read: a background rescore that read older answers does not
    # overwrite a score an SDR just saved.
    answers_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Score {self.score} of lead {self.lead_id}"


class LeadAnswers(models.Model):
    """What the SDR found out (BANT and fit). Size and industry come from the company."""

    lead = models.OneToOneField(
        "leads.Lead", on_delete=models.CASCADE, primary_key=True, related_name="qualification"
    )
    budget = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The prospect's stated budget a year"
    )
    timeline = models.CharField(max_length=20, choices=Timeline.choices, blank=True)
    authority = models.CharField(max_length=20, choices=Authority.choices, blank=True)
    need = models.CharField(max_length=20, choices=Need.choices, blank=True)
    fit = models.CharField(max_length=20, choices=Fit.choices, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_decision = models.ForeignKey(
        "QualificationDecision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"Answers for lead {self.lead_id}"


class Decision(models.TextChoices):
    QUALIFY = "qualify", _("Qualified and handed off")
    HAND_OFF = "hand_off", _("Handed off")
    DISQUALIFY = "disqualify", _("Disqualified")
    NURTURE = "nurture", _("Nurture")


class Override(models.TextChoices):
    NONE = "", _("None")
    UP = "up", _("Qualified below the threshold")
    DOWN = "down", _("Scrapped or nurtured above the threshold")
    HARD = "hard", _("Qualified despite a hard disqualifier")


class QualificationDecision(models.Model):
    """The SDR's judgement, append-only: one row each time a lead is qualified, scrapped or
    nurtured through the qualification form, with the score it had and any override."""

    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.PROTECT, related_name="qualification_decisions"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField()
    points = models.SmallIntegerField()
    verdict = models.CharField(max_length=20)
    override = models.CharField(max_length=10, choices=Override.choices, blank=True)
    override_reason = models.TextField(blank=True)
    breakdown = models.JSONField(default=dict)
    brief = models.JSONField(default=dict, blank=True)
    ae = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    routed = models.BooleanField(default=False)
    disqualify_reason = models.CharField(max_length=20, blank=True)
    recycle_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["lead", "-created_at"], name="qualdecision_lead_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(override="") | ~Q(override_reason=""),
                name="qualdecision_override_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} lead {self.lead_id}"


class AEProfile(models.Model):
    """Routing data for an account executive."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ae_profile",
    )
    capacity = models.PositiveSmallIntegerField(
        default=10,
        help_text="How many hand-offs can wait for this AE's decision at once; "
        "also the AE's weight in the round-robin.",
    )
    is_away = models.BooleanField(default=False, help_text="Away: routing skips this AE")
    # Smooth weighted round-robin state (see qualification.routing).
    rr_credit = models.IntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"AE profile of user {self.user_id}"


class Escalation(models.Model):
    """A hand-off the AE left undecided too long, escalated to the team's managers once."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="+")
    handed_off_at = models.DateTimeField(help_text="Which hand-off of the lead")
    ae = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    escalated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "handed_off_at"], name="escalation_once_per_handoff"
            )
        ]

    def __str__(self) -> str:
        return f"Escalation of lead {self.lead_id}"


class OutcomeModel(models.Model):
    """The learned estimate's counts for a team: how often each factor value was seen among
    accepted leads and among scrapped or rejected ones (see qualification.bayes)."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    built_at = models.DateTimeField(default=timezone.now)
    positives = models.PositiveIntegerField(default=0)
    negatives = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Outcome model of team {self.team_id}"
