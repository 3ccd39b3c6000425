"""Contact guards: what an app above leads knows that must stop automatic contact with a lead
(qualification: a hard disqualifier), read by another app that may not import it (cadences;
the independence contract in pyproject.toml). An app registers a guard in its ``ready()``;
the cadence dispatcher asks before each automatic email."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ContactBlock:
    code: str  # stable, e.g. "size": what an override names
    reason: str  # for the SDR, translated


Guard = Callable[[list[int]], dict[int, ContactBlock]]
_guards: list[Guard] = []


def contact_guard_register(guard: Guard) -> None:
    """``guard(lead_ids)`` returns the leads that must not be contacted automatically, each
    with why. One query per guard for the whole batch."""
    if guard not in _guards:
        _guards.append(guard)


def contact_blocks(lead_ids: Iterable[int]) -> dict[int, ContactBlock]:
    """The first block each lead has (by registration order); leads without one are absent."""
    ids = sorted(set(lead_ids))
    found: dict[int, ContactBlock] = {}
    if not ids:
        return found
    for guard in _guards:
        for lead_id, block in guard(ids).items():
            found.setdefault(lead_id, block)
    return found
