"""Services send tasks by name (sdrcrm/tasks.py): every name they use is a registered task, and
a task goes out only after the transaction that asked for it commits."""

import ast
from pathlib import Path
from unittest import mock

import pytest
from django.db import transaction

from cadences.tasks import touch_dispatch_task
from intake.tasks import import_run_task
from sdrcrm.celery import app
from sdrcrm.tasks import enqueue, enqueue_on_commit

ROOT = Path(__file__).resolve().parent.parent
HELPERS = {"enqueue", "enqueue_on_commit"}


def _names_sent_by_name() -> dict[str, list[str]]:
    """Every first argument of a call of the helpers in the project's code (not tests, not
    migrations), with where it is; a first argument that is not a string literal is an error,
    since then no test could know the name."""
    found: dict[str, list[str]] = {}
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {"tests", "scripts", ".venv", "var", "node_modules"}:
            continue
        if "migrations" in rel.parts or rel == Path("sdrcrm/tasks.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(rel))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called not in HELPERS:
                continue
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"{rel}:{node.lineno}: {called} needs the task's name as a string literal"
            )
            found.setdefault(first.value, []).append(f"{rel}:{node.lineno}")
    return found


def test_every_task_name_sent_by_name_is_registered():
    found = _names_sent_by_name()
    app.loader.import_default_modules()

    assert sorted(found) == [
        "api.webhook_delivery_send_task",
        "api.webhook_outbox_task",
        "cadences.mailbox_resume_task",
        "cadences.touch_dispatch_task",
        "intake.import_run_task",
        "notifications.notification_email_task",
        "qualification.lead_scores_sweep_task",
        "qualification.outcome_model_rebuild_task",
        "qualification.scoring_model_rescore_task",
    ]
    assert [name for name in found if name not in app.tasks] == []


@pytest.mark.django_db
def test_enqueue_on_commit_sends_after_commit_only(django_capture_on_commit_callbacks):
    with mock.patch.object(touch_dispatch_task, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                enqueue_on_commit("cadences.touch_dispatch_task")
                assert delay.call_count == 0
        assert len(callbacks) == 1
        delay.assert_called_once_with()


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_sends_nothing_when_rolled_back():
    with mock.patch.object(import_run_task, "delay") as delay:
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_on_commit("intake.import_run_task", 7)
            raise RuntimeError("rolled back")
        assert delay.call_count == 0
        with transaction.atomic():
            enqueue_on_commit("intake.import_run_task", 8)
        delay.assert_called_once_with(8)


def test_an_unknown_name_is_refused():
    with pytest.raises(KeyError):
        enqueue("cadences.no_such_task")
