"""Sending a Celery task by its name, after the transaction that asked for it commits.

A service does not import a tasks module: its own app's tasks import the service (a cycle),
and another app's tasks may sit above it in the layers (pyproject.toml). It names the task
instead (every task has an explicit ``name=``); tests/test_task_names.py checks that each name
given to these helpers anywhere in the code is a registered task.
"""

from django.db import transaction

from .celery import app


def enqueue(name: str, *args) -> None:
    """Send the task called ``name`` with ``args`` now.

    Through the task object registered in this process, so that ``task_always_eager`` and a
    test that replaces the task's ``.delay`` behave exactly as a call of ``.delay`` would. A
    process that has not imported the tasks modules yet (a web process) runs Celery's
    autodiscovery first, as a worker does when it starts. An unknown name raises ``KeyError``.
    """
    if name not in app.tasks:
        app.autodiscover_tasks(force=True)
    app.tasks[name].delay(*args)


def enqueue_on_commit(name: str, *args, robust: bool = False) -> None:
    """Send the task called ``name`` once the current transaction commits (now, outside one);
    nothing is sent if it rolls back. ``robust``: a failure to send is logged by Django
    instead of raised to the code that committed."""
    transaction.on_commit(lambda: enqueue(name, *args), robust=robust)
