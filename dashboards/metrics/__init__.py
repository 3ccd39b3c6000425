"""Every dashboard figure, defined once (docs/metrics.md says what each one means).

The dashboards, the commission report and its downloads, and any future API call these
functions; nothing else computes a figure. They read ``DayCount`` (facts summed per day) where
a sum is enough, ``WorkedCount`` for leads worked (distinct leads, as a sum), ``Fact`` where a
figure needs the rows (medians, an AE's own figures, the cadence filter, leads worked with the
source or cadence filter) and ``Lead`` for what is true now (stalled leads). Each function
runs a fixed number of queries whatever the size of the data.

Who sees what (``Scope``): an admin sees every team (or one), a manager their team, an SDR/BDR
their own figures, an AE their queue figures (hand-offs to them and their decisions), marketing
the team's pipeline funnel as aggregates only (no names, no lead lists). Anything else: nothing
(``NotAllowed``).

By figure: ``pipeline``, ``activity``, ``commission``, ``cadences``, ``stages``; ``common`` holds
the scope, the filters and the shared queries, ``text`` the formatting. The public names are
re-exported here.
"""

from .activity import Activity, figure_leads, sdr_activity
from .cadences import cadence_choices, cadence_performance, people_choices
from .commission import CommissionRow, commission_report
from .common import (
    ACTIVITY_COLUMNS,
    AE_COLUMNS,
    CADENCE_METRICS,
    DRILL,
    STAGES,
    TOUCH_METRICS,
    WORKED_METRICS,
    Filters,
    Scope,
    dashboard_scope,
    scope_today,
)
from .pipeline import Funnel, pipeline_funnel, stalled_leads
from .stages import time_in_stage
from .text import duration_text, rate_text

__all__ = [
    "ACTIVITY_COLUMNS",
    "AE_COLUMNS",
    "CADENCE_METRICS",
    "DRILL",
    "STAGES",
    "TOUCH_METRICS",
    "WORKED_METRICS",
    "Activity",
    "CommissionRow",
    "Filters",
    "Funnel",
    "Scope",
    "cadence_choices",
    "cadence_performance",
    "commission_report",
    "dashboard_scope",
    "duration_text",
    "figure_leads",
    "people_choices",
    "pipeline_funnel",
    "rate_text",
    "scope_today",
    "sdr_activity",
    "stalled_leads",
    "time_in_stage",
]
