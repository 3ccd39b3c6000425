"""Ringing the dispatcher after a commit."""

import logging

from sdrcrm.tasks import enqueue

log = logging.getLogger(__name__)


def ring_dispatcher() -> None:
    """Ask a worker to look for due emails now rather than at the next tick."""
    try:
        enqueue("cadences.touch_dispatch_task")
    except Exception:  # noqa: BLE001 - the tick will find the work anyway
        log.warning("Could not reach the broker; the next tick dispatches", exc_info=True)
