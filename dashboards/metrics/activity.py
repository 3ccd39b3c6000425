"""SDR activity: touches, leads worked and the speed figures per person and period, and the leads
behind a figure (the drill-down)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import DateField, F
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext as _

from accounts.models import User
from leads.models import Lead
from leads.selectors import lead_scope
from sdrcrm.errors import NotAllowed

from .common import (
    ACTIVITY_COLUMNS,
    AE_COLUMNS,
    DRILL,
    TOUCH_METRICS,
    WORKED_METRICS,
    Filters,
    Scope,
    _cadence_filter,
    _facts,
    _grouped,
    _rate,
)

# --- SDR activity -----------------------------------------------------------------------------


@dataclass
class Activity:
    columns: list[tuple[str, str]]
    rows: list[dict]  # one per period (day or week) for everyone in scope (or the SDR chosen)
    totals: list[dict]  # one per person over the whole range
    series: list[tuple[date, int]]  # touches per day, for the chart
    people: dict[int, str] = field(default_factory=dict)


def _period(day: date, by: str) -> date:
    return day - timedelta(days=day.weekday()) if by == "week" else day


def sdr_activity(scope: Scope, f: Filters, *, by: str = "day") -> Activity:
    """Touches (emails, calls by outcome, LinkedIn), tasks on time and overdue, leads worked,
    speed to lead, qualified, accepted and rejected by AEs, acceptance rate: per person over
    the range, and per day (or ISO week, Monday first) for everyone in scope or the SDR
    chosen. Four queries plus one for names, whatever the range or the team's size.
    For an AE: hand-offs to them and their decisions."""
    if scope.kind == "aggregate":
        raise NotAllowed
    ae = scope.kind == "ae"
    columns = AE_COLUMNS if ae else ACTIVITY_COLUMNS
    metrics = (
        ["handed_off", "accepted", "rejected"]
        if ae
        else [*TOUCH_METRICS, "task_done", "qualified", "accepted", "rejected"]
    )
    who = "ae_id" if ae else "user_id"
    periods: dict[date, dict] = defaultdict(lambda: defaultdict(int))
    totals: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    per_day: dict[date, int] = defaultdict(int)
    calls: dict[str, int] = defaultdict(int)
    for uid, day, metric, dim, k in _grouped(scope, f, metrics, who, "day", "metric", "dim"):
        key = f"task_{dim}" if metric == "task_done" else metric
        periods[_period(day, by)][key] += k
        totals[uid][key] += k
        if metric in TOUCH_METRICS:
            per_day[day] += k
        if metric == "call":
            calls[dim] += k
    if not ae:
        _per_lead_figures(scope, f, by, periods, totals)
    people = dict(
        (u.pk, str(u))
        for u in User.objects.filter(pk__in=[i for i in totals if i]).only(
            "pk", "first_name", "last_name", "username"
        )
    )
    people[0] = _("Unassigned")

    def finish(figures: dict) -> dict:
        out = {k: figures.get(k, 0) for k, _ in columns}
        if "speed_to_lead" in out:
            out["speed_to_lead"] = figures.get("speed_to_lead")
        decided = figures.get("accepted", 0) + figures.get("rejected", 0)
        out["acceptance_rate"] = _rate(figures.get("accepted", 0), decided)
        return out

    table = [{"period": p, **finish(fig)} for p, fig in sorted(periods.items())]
    total_rows = [
        {"user_id": uid, "name": people.get(uid, f"#{uid}"), **finish(fig)}
        for uid, fig in sorted(
            totals.items(), key=lambda kv: (people.get(kv[0], "").lower(), kv[0])
        )
    ]
    span = (f.end - f.start).days + 1
    series = [
        (f.start + timedelta(days=i), per_day.get(f.start + timedelta(days=i), 0))
        for i in range(max(0, min(span, 366)))
    ]
    activity = Activity(
        columns=columns, rows=table, totals=total_rows, series=series, people=people
    )
    activity.calls_by_outcome = sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))
    return activity


def _per_lead_figures(scope, f, by, periods, totals) -> None:
    """Leads worked (distinct leads touched) and speed to lead (median seconds from an
    inbound lead's creation to its first touch, for leads that arrived in the period): per
    period for everyone in scope (or the SDR chosen), and per person over the range. One query.

    Leads worked are counted from ``WorkedCount`` (``WorkedDay`` rows, a lead's touch days with
    the touch day before each, counted per day and previous day): the leads touched from D1 to
    D2 are the rows of those days whose previous touch day is before D1, so a sum of counts
    gives the distinct count. The source and cadence filters
    need the facts themselves (a lead's source may change between its facts; the cadence is a
    filter on leads): they count distinct leads over the facts, as the definition says."""
    if f.cadence or f.source:
        rows = _per_lead_rows_from_facts(scope, f, by)
    else:
        rows = _per_lead_rows(scope, f, by)
    for part, by_user, p, uid, worked, speed_s in rows:
        figures = totals[uid] if by_user else periods[_as_date(p)]
        if part in ("w", "ws"):
            figures["worked"] = worked
        if part in ("s", "ws"):
            figures["speed_to_lead"] = speed_s


def _as_date(p):
    return p.date() if isinstance(p, datetime) else p


def _speed_sql(scope, f, by) -> tuple[str, list]:
    """(sql, params) of the inner rows of speed to lead: period, SDR, seconds."""
    period = TruncWeek("day", output_field=DateField()) if by == "week" else F("day")
    base = _facts(scope, f, ["speed_to_lead"])
    if f.cadence:
        base = _cadence_filter(base, f.cadence)
    return (
        base.order_by().annotate(p=period).values("p", "user_id", "seconds").query.sql_with_params()
    )


def _per_lead_rows(scope, f, by) -> list[tuple]:
    """(part, by_user, period, user, worked, speed) rows: leads worked from WorkedCount, speed
    to lead from its facts (one per inbound lead's first touch: few rows)."""
    team_sql, team_params = "", []
    if scope.kind in ("team", "sdr"):
        team_sql, team_params = " AND team_id = %s", [scope.team_id]
    elif scope.kind != "all":
        return []
    if scope.kind == "sdr":
        who_p = who_t = ("user_id = %s", [scope.user_id])
    elif f.sdr:
        who_p = who_t = ("user_id = %s", [f.sdr])
    else:  # everyone in scope per period; each person over the range
        who_p, who_t = ("user_id IS NULL", []), ("user_id IS NOT NULL", [])
    if by == "week":
        period = "date_trunc('week', day)::date"
        # A lead counts once in a week: on its first touch day of the week (within the range).
        first = f"(prev_day IS NULL OR prev_day < GREATEST(%s::date, {period}))"
        first_params = [f.start]
    else:
        period, first, first_params = "day", "TRUE", []
    speed_sql, speed_params = _speed_sql(scope, f, by)
    sql = (
        f"SELECT 'w', 0, {period}, NULL::bigint, SUM(n)::bigint, NULL::float8 "
        f"FROM dashboards_workedcount WHERE {who_p[0]}{team_sql} "
        f"AND day >= %s AND day <= %s AND {first} GROUP BY 3 HAVING SUM(n) > 0 "
        "UNION ALL "
        "SELECT 'w', 1, NULL::date, user_id, SUM(n)::bigint, NULL::float8 "
        f"FROM dashboards_workedcount WHERE {who_t[0]}{team_sql} "
        "AND day >= %s AND day <= %s AND (prev_day IS NULL OR prev_day < %s) "
        "GROUP BY user_id HAVING SUM(n) > 0 "
        "UNION ALL "
        "SELECT 's', GROUPING(s.p), s.p::date, s.user_id, NULL::bigint, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY s.seconds) "
        f"FROM ({speed_sql}) s GROUP BY GROUPING SETS ((s.p), (s.user_id))"
    )
    params = [
        *who_p[1], *team_params, f.start, f.end, *first_params,
        *who_t[1], *team_params, f.start, f.end, f.start,
        *speed_params,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _per_lead_rows_from_facts(scope, f, by) -> list[tuple]:
    """The same rows from the facts: distinct leads over the facts that pass the filters."""
    period = TruncWeek("day", output_field=DateField()) if by == "week" else F("day")
    base = _facts(scope, f, [*WORKED_METRICS, "speed_to_lead"])
    if f.cadence:
        base = _cadence_filter(base, f.cadence)
    # One scan, two groupings: per period (everyone in scope) and per person.
    inner, params = (
        base.order_by()
        .annotate(p=period)
        .values("p", "user_id", "lead_id", "metric", "seconds")
        .query.sql_with_params()
    )
    touch = ", ".join(["%s"] * len(WORKED_METRICS))
    sql = (
        "SELECT 'ws', GROUPING(s.p), s.p, s.user_id, "
        f"COUNT(DISTINCT s.lead_id) FILTER (WHERE s.metric IN ({touch})), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY s.seconds) "
        "FILTER (WHERE s.metric = 'speed_to_lead') "
        f"FROM ({inner}) s GROUP BY GROUPING SETS ((s.p), (s.user_id))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*WORKED_METRICS, *params])
        return cursor.fetchall()


def figure_leads(
    user: User, scope: Scope, f: Filters, *, figure: str, dim: str = "", limit: int = 200
) -> list[Lead]:
    """The leads behind one figure of the activity table (what the figure counted), newest
    first, at most ``limit``. Two queries. Only leads the user may see."""
    if figure not in DRILL or not scope.sees_leads:
        raise NotAllowed
    metric, fixed_dim = DRILL[figure]
    metrics = WORKED_METRICS if metric == "worked" else [metric]
    qs = _facts(scope, f, metrics)
    if fixed_dim:
        qs = qs.filter(dim=fixed_dim)
    elif dim:
        qs = qs.filter(dim=dim)
    if f.cadence:
        qs = _cadence_filter(qs, f.cadence)
    ids = list(qs.order_by("-day", "-at").values_list("lead_id", flat=True)[: limit * 4])
    ordered = list(dict.fromkeys(ids))[:limit]
    leads = {
        lead.pk: lead
        for lead in lead_scope(user)
        .filter(pk__in=ordered)
        .select_related("prospect__company", "owner", "assigned_ae")
    }
    return [leads[i] for i in ordered if i in leads]
