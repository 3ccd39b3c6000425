"""Time in stage: how long leads stay in each state."""

from django.db.models import Count

from leads.models import LeadState
from sdrcrm.errors import NotAllowed

from .common import (
    STAGES,
    Filters,
    Percentile,
    Scope,
    _cadence_filter,
    _facts,
)

# --- Time in stage ------------------------------------------------------------------------------


def time_in_stage(scope: Scope, f: Filters) -> list[dict]:
    """Median and 90th percentile of the time leads spent in each state, over the stays that
    ended in the period (a stay ends with the next transition). One query."""
    if scope.kind == "aggregate":
        raise NotAllowed
    qs = _facts(scope, f, ["stage_time"])
    if f.cadence:
        qs = _cadence_filter(qs, f.cadence)
    rows = {
        dim: (n, med, p90)
        for dim, n, med, p90 in qs.order_by()
        .values_list("dim")
        .annotate(
            n=Count("seconds"),  # (every stay has its seconds; counted from the index)
            med=Percentile("seconds", 0.5),
            p90=Percentile("seconds", 0.9),
        )
        .values_list("dim", "n", "med", "p90")
    }
    out = []
    for state in [*STAGES, LeadState.NURTURE.value, LeadState.DISQUALIFIED.value]:
        if state in rows:
            n, med, p90 = rows[state]
            out.append(
                {
                    "state": state,
                    "label": LeadState(state).label,
                    "stays": n,
                    "median": med,
                    "p90": p90,
                }
            )
    return out
