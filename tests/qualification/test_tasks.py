"""The Celery tasks: each runs its service (called here in-process), and every beat entry of
qualification names a registered task."""

from django.conf import settings
from django.core import mail
from django.db import OperationalError

from leads.models import Lead
from notifications import tasks as notification_tasks
from notifications.models import Notification
from qualification import tasks
from qualification.models import OutcomeModel
from qualification.scoring import DEFAULT_CONFIG
from qualification.services import scoring_model_save
from sdrcrm.celery import app


def test_every_qualification_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    entries = {k: v for k, v in settings.CELERY_BEAT_SCHEDULE.items() if k.startswith("qual")}

    assert sorted(e["task"] for e in entries.values()) == sorted([
        "qualification.lead_scores_sweep_task",
        "qualification.lead_scores_sweep_task",
        "qualification.notifications_sweep_task",
        "qualification.handoff_escalate_overdue_task",
        "qualification.outcome_models_refresh_task",
        "qualification.outcome_models_refresh_task",
    ])  # fmt: skip
    for entry in entries.values():
        assert entry["task"] in app.tasks


def test_tasks_run_their_services(crew, make_lead):
    lead = make_lead("accepted")  # a hand-off and an accept nobody was told about
    fresh = make_lead("engaged")
    model, _ = scoring_model_save(
        actor=crew.manager, team_id=crew.team.pk, config=DEFAULT_CONFIG, based_on_version=0
    )

    assert tasks.scoring_model_rescore_task(model.pk) == 1
    assert Lead.objects.get(pk=fresh.pk).score == 30
    assert tasks.lead_scores_sweep_task() == 0
    assert tasks.lead_scores_sweep_task(full=True) == 1
    assert tasks.notifications_sweep_task() == 2
    note = Notification.objects.get(user=crew.ae)
    assert notification_tasks.notification_email_task(note.pk) is True
    assert [m.to for m in mail.outbox] == [[crew.ae.email]]
    assert tasks.outcome_model_rebuild_task(crew.team.pk) == 1
    assert tasks.outcome_models_refresh_task() == 0
    assert tasks.outcome_models_refresh_task(all_teams=True) == 1
    assert OutcomeModel.objects.get(team=crew.team).positives == 1
    assert tasks.handoff_escalate_overdue_task() == 0
    assert Lead.objects.get(pk=lead.pk).state == "accepted"


def test_the_email_task_retries_only_transient_errors_with_a_cap():
    task = notification_tasks.notification_email_task
    assert task.autoretry_for == (OSError, OperationalError)
    assert (task.max_retries, task.retry_backoff_max) == (5, 600)
