"""Hand-off routing: smooth weighted round-robin over the team's AEs. Pure.

Each eligible AE's credit grows by their weight (their capacity) at every pick; the AE with
the most credit gets the lead and gives back the total weight. Over time each AE receives leads
in proportion to their capacity, interleaved (capacities 2 and 1 give A, B, A, A, B, A, …)
rather than in runs. AEs who are away, have no capacity or whose queue is full are skipped and
keep their credit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    ae_id: int
    capacity: int
    load: int  # hand-offs waiting for this AE's decision now
    away: bool
    credit: int

    @property
    def eligible(self) -> bool:
        return not self.away and self.capacity > 0 and self.load < self.capacity


def pick(candidates: list[Candidate]) -> tuple[int | None, dict[int, int]]:
    """(the AE to route to, or None if nobody is eligible; the new credit of every AE)."""
    credits = {c.ae_id: c.credit for c in candidates}
    eligible = sorted((c for c in candidates if c.eligible), key=lambda c: c.ae_id)
    if not eligible:
        return None, credits
    total = sum(c.capacity for c in eligible)
    for c in eligible:
        credits[c.ae_id] += c.capacity
    chosen = max(eligible, key=lambda c: (credits[c.ae_id], -c.ae_id)).ae_id
    credits[chosen] -= total
    return chosen, credits
