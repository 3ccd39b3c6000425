"""The bulk path (``facts_backfill``) makes exactly the rows the incremental rollup makes."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dashboards.models import DayCount, Fact, RollupCursor, WorkedCount, WorkedDay
from dashboards.rollup import facts_backfill, facts_refresh
from leads.models import EventKind, LeadEvent
from leads.services import lead_event_record
from tests.dashboards.helpers import build_beta, build_week, oslo

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def _snapshot() -> dict:
    def rows(model, *exclude, **filters):
        fields = [f.attname for f in model._meta.fields if f.attname not in ("id", *exclude)]
        return sorted(model.objects.filter(**filters).values_list(*fields), key=repr)

    return {
        "facts": rows(Fact),
        "day_counts": rows(DayCount),
        "worked_days": rows(WorkedDay),
        # a count can be left at 0 when a late touch moved its rows elsewhere
        "worked_counts": rows(WorkedCount, n__gt=0),
    }


def test_backfill_makes_the_rows_the_rollup_makes(crew, other_crew, time_machine):
    week = build_week(crew, time_machine)
    build_beta(other_crew, time_machine)
    time_machine.move_to(oslo(14, 9), tick=False)
    # The incremental path, in small batches, then a touch dated earlier read later.
    facts_refresh(batch_size=7)
    lead_event_record(
        lead=week["a"],
        kind=EventKind.CALL,
        actor=crew.sdr,
        at=datetime(2027, 1, 10, 10, tzinfo=NY),
        payload={"outcome": "connected"},
    )
    facts_refresh(batch_size=7)
    incremental = _snapshot()
    assert len(incremental["facts"]) == 58
    # Per SDR and for everyone: A (sdr) on the 10th and Monday: 2 + 2; D on Monday by sdr and
    # sdr2: 2 + 1; B Tuesday: 1 + 1. Beta: E and F Monday and Tuesday: 4 + 4; G Tuesday: 1 + 1.
    assert len(incremental["worked_days"]) == 19

    for model in (Fact, DayCount, WorkedDay, WorkedCount, RollupCursor):
        model.objects.all().delete()
    assert facts_backfill(batch_size=5) == 58
    assert _snapshot() == incremental
    top = LeadEvent.objects.order_by("-id").values_list("id", flat=True).first()
    assert RollupCursor.objects.get().last_event_id == top
    # The periodic rollup after it finds nothing new.
    assert facts_refresh() == 0
    assert _snapshot() == incremental


def test_backfill_refuses_facts_already_there(crew, time_machine):
    build_week(crew, time_machine)
    facts_refresh()
    before = _snapshot()
    with pytest.raises(ValueError, match="Fact is not empty"):
        facts_backfill()
    assert _snapshot() == before
