"""Celery tasks: each takes ids, calls one service, and is idempotent (safe to run twice)."""

from celery import shared_task

from . import services


@shared_task(name="qualification.scoring_model_rescore_task", acks_late=True)
def scoring_model_rescore_task(model_id: int) -> int:
    """After a model change: rescore the team's open leads, set-based, in batches."""
    return services.scoring_model_rescore(model_id=model_id).scanned


@shared_task(name="qualification.lead_scores_sweep_task", acks_late=True)
def lead_scores_sweep_task(full: bool = False) -> int:
    """Periodic: score new leads and leads changed since their score; nightly with
    full=True, read every open lead afresh."""
    return services.lead_scores_sweep(full=full)


@shared_task(name="qualification.outcome_model_rebuild_task", acks_late=True)
def outcome_model_rebuild_task(team_id: int) -> int:
    """An outcome arrived (or the model changed): recount the team's outcomes."""
    row = services.outcome_model_rebuild(team_id=team_id)
    return row.positives + row.negatives


@shared_task(name="qualification.outcome_models_refresh_task", acks_late=True)
def outcome_models_refresh_task(all_teams: bool = False) -> int:
    """Periodic: rebuild the teams whose outcomes changed; nightly with all_teams=True."""
    return services.outcome_models_refresh(all_teams=all_teams)


@shared_task(name="qualification.handoff_escalate_overdue_task", acks_late=True)
def handoff_escalate_overdue_task() -> int:
    """Periodic: escalate hand-offs left undecided too long to the managers, once each."""
    return services.handoff_escalate_overdue()


@shared_task(name="qualification.notifications_sweep_task", acks_late=True)
def notifications_sweep_task() -> int:
    """Periodic: notify about hand-offs, accepts and rejects made from any page."""
    return services.notifications_sweep()
