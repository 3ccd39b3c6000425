"""Celery tasks: thin and idempotent."""

from celery import shared_task

from . import rollup


@shared_task(name="dashboards.facts_refresh_task", acks_late=True)
def facts_refresh_task() -> int:
    """Periodic: read new timeline entries into the dashboards' facts. Safe to run twice or
    at the same time (the second run skips; re-reading an event counts nothing twice)."""
    return rollup.facts_refresh()
