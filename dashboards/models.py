"""Facts derived from the lead timeline, for the dashboards.

``Fact`` holds one row per counted timeline event (and per metric it feeds): who it counts for,
on which of the team's local days, for which cadence step. It is written once by
``dashboards.rollup`` (a periodic task reading ``leads.LeadEvent`` after a cursor) and never
changed, so a figure computed from it does not move when a lead is edited later.
``DayCount`` sums facts per (team, day, SDR, metric, dimension, source, cadence, step): the
pages read it so their cost does not grow with the timeline. ``WorkedDay`` keeps the days each
lead was touched (per credited SDR, and for everyone) with the day before it, so that "leads
worked" (distinct leads) is a count of rows rather than a distinct count over facts. All three are
rebuilt from the timeline by ``manage.py dashboards_rollup --rebuild``. The definitions are in
docs/metrics.md.
"""

from django.db import models
from django.db.models import Q


class Fact(models.Model):
    id = models.BigAutoField(primary_key=True)
    event_id = models.BigIntegerField(help_text="The leads.LeadEvent the fact comes from")
    metric = models.CharField(max_length=24)
    dim = models.CharField(max_length=64, blank=True, default="")
    lead_id = models.BigIntegerField()
    team_id = models.BigIntegerField()
    user_id = models.BigIntegerField(default=0, help_text="The credited SDR/BDR; 0 for nobody")
    ae_id = models.BigIntegerField(default=0, help_text="The AE concerned; 0 for none")
    source = models.CharField(max_length=20, blank=True, default="")
    cadence_id = models.BigIntegerField(default=0)
    step = models.SmallIntegerField(default=0)
    day = models.DateField(help_text="The team's local day the fact counts on")
    at = models.DateTimeField()
    seconds = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "metric", "dim"], name="dashboards_fact_once"
            )
        ]
        indexes = [
            # Covering: the pages' distinct counts and medians are index-only scans.
            models.Index(
                fields=["team_id", "metric", "day", "at"],
                include=["lead_id", "user_id", "dim", "seconds", "source"],
                name="fact_team_metric_day",
            ),
            models.Index(
                fields=["user_id", "metric", "day", "at"],
                include=["lead_id", "team_id", "dim", "seconds", "source"],
                name="fact_user_metric_day",
            ),
            models.Index(
                fields=["ae_id", "metric", "day"],
                name="fact_ae_metric_day",
                condition=Q(ae_id__gt=0),
            ),
            # Admins across every team: the same covering columns, index-only as well.
            models.Index(
                fields=["metric", "day", "at"],
                include=["lead_id", "team_id", "user_id", "dim", "seconds", "source"],
                name="fact_metric_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}({self.dim}) of event {self.event_id}"


class DayCount(models.Model):
    """Facts counted per day and key. Maintained only by the rollup, in the statement that
    inserts the facts (so a fact is counted exactly once)."""

    id = models.BigAutoField(primary_key=True)
    team_id = models.BigIntegerField()
    day = models.DateField()
    user_id = models.BigIntegerField(default=0)
    metric = models.CharField(max_length=24)
    dim = models.CharField(max_length=64, blank=True, default="")
    source = models.CharField(max_length=20, blank=True, default="")
    cadence_id = models.BigIntegerField(default=0)
    step = models.SmallIntegerField(default=0)
    n = models.IntegerField(default=0)
    seconds_sum = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "team_id",
                    "day",
                    "user_id",
                    "metric",
                    "dim",
                    "source",
                    "cadence_id",
                    "step",
                ],
                name="dashboards_daycount_key",
            )
        ]
        indexes = [
            models.Index(fields=["user_id", "day"], name="daycount_user_day"),
            models.Index(fields=["day"], name="daycount_day"),
        ]

    def __str__(self) -> str:
        return f"{self.metric}({self.dim}) on {self.day}: {self.n}"


class WorkedDay(models.Model):
    """A day on which a lead was touched (a fact of a "worked" metric: email, call, LinkedIn,
    task done): one row per (team, credited SDR, lead, day), and one per (team, lead, day) with
    ``user_id`` NULL for everyone. ``prev_day`` is the previous day of the same (team, user,
    lead) with a touch (NULL for the first), so the distinct leads touched from D1 to D2 are the
    rows of those days whose ``prev_day`` is NULL or before D1: a count, no distinct. The pages
    read those counts from ``WorkedCount``.

    Derived from the facts by the rollup (in the batch's transaction, after the facts), never
    written elsewhere; re-deriving is harmless (unique key; ``prev_day`` is recomputed for the
    leads of the batch)."""

    id = models.BigAutoField(primary_key=True)
    team_id = models.BigIntegerField()
    user_id = models.BigIntegerField(
        null=True, blank=True, help_text="The credited SDR/BDR (0: nobody); NULL: everyone"
    )
    lead_id = models.BigIntegerField()
    day = models.DateField()
    prev_day = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead_id", "user_id", "team_id", "day"],
                name="dashboards_workedday_once",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id} worked on {self.day} by {self.user_id}"


class WorkedCount(models.Model):
    """``WorkedDay`` rows counted per (team, user or NULL for everyone, day, prev_day): what the
    pages read. Maintained only by the rollup, in the statements that insert WorkedDay rows or
    change their ``prev_day`` (a row moved from one ``prev_day`` to another is -1 and +1)."""

    id = models.BigAutoField(primary_key=True)
    team_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    day = models.DateField()
    prev_day = models.DateField(null=True, blank=True)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team_id", "user_id", "day", "prev_day"],
                name="dashboards_workedcount_key",
                nulls_distinct=False,
            )
        ]
        indexes = [
            # Admins across every team: index-only.
            models.Index(
                fields=["day"],
                include=["team_id", "user_id", "prev_day", "n"],
                name="workedcount_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.n} leads worked on {self.day} by {self.user_id} (before: {self.prev_day})"


class RollupCursor(models.Model):
    """How far the rollup has read the timeline (the highest LeadEvent id processed)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at event {self.last_event_id}"
