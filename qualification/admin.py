"""Read-mostly: the scoring model is edited on its own page (which versions it), decisions are
append-only, and scores are written by the rescore."""

from django.contrib import admin

from audit.admin import AuditedAdmin, ReadOnlyAdmin

from .models import (
    AEProfile,
    Escalation,
    LeadScore,
    OutcomeModel,
    QualificationDecision,
    ScoringModel,
)


@admin.register(ScoringModel)
class ScoringModelAdmin(ReadOnlyAdmin):
    list_display = ["team", "version", "created_at", "created_by", "note", "rescored_leads"]
    list_filter = ["team"]
    list_select_related = ["team", "created_by"]


@admin.register(LeadScore)
class LeadScoreAdmin(ReadOnlyAdmin):
    list_display = ["lead", "score", "points", "disqualifier", "model", "lead_updated_at"]
    raw_id_fields = ["lead", "model"]
    show_full_result_count = False


@admin.register(QualificationDecision)
class QualificationDecisionAdmin(ReadOnlyAdmin):
    list_display = ["lead", "decision", "score", "verdict", "override", "actor", "ae", "created_at"]
    list_filter = ["decision", "override"]
    raw_id_fields = ["lead", "actor", "ae", "model"]
    show_full_result_count = False


@admin.register(AEProfile)
class AEProfileAdmin(AuditedAdmin):
    list_display = ["user", "capacity", "is_away", "updated_at"]
    fields = ["user", "capacity", "is_away"]
    raw_id_fields = ["user"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["lead", "ae", "handed_off_at", "due_at", "escalated_at"]
    raw_id_fields = ["lead", "ae"]


@admin.register(OutcomeModel)
class OutcomeModelAdmin(ReadOnlyAdmin):
    list_display = ["team", "positives", "negatives", "built_at"]
