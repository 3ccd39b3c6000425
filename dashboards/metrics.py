"""Every dashboard figure, defined once (docs/metrics.md says what each one means).

The dashboards, the commission report and its downloads, and any future API call these
functions; nothing else computes a figure. They read ``DayCount`` (facts summed per day) where
a sum is enough, ``WorkedCount`` for leads worked (distinct leads, as a sum), ``Fact`` where a
figure needs the rows (medians, an AE's own figures, the cadence filter, leads worked with the
source or cadence filter) and ``Lead`` for what is true now (stalled leads). Each function
runs a fixed number of queries whatever the size of the data.

Who sees what (``Scope``): an admin sees every team (or one), a manager their team, an SDR/BDR
their own figures, an AE their queue figures (hand-offs to them and their decisions), marketing
the team's pipeline funnel as aggregates only (no names, no lead lists). Anything else: nothing.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Aggregate, Count, DateField, F, FloatField, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import Role, Team, User
from cadences.models import Cadence, CadenceStep, Enrollment
from leads.models import STALL_STATES, DisqualifyReason, Lead, LeadState
from leads.selectors import lead_scope

from .models import DayCount, Fact

STAGES = ["new", "researching", "contacting", "engaged", "qualified", "handed_off", "accepted"]
TOUCH_METRICS = ("email", "call", "linkedin")
# Facts that mean the lead was touched (a cadence task done is one too): leads worked.
WORKED_METRICS = (*TOUCH_METRICS, "task_done")
CADENCE_METRICS = ("email", "cad_replied", "cad_bounced", "cad_unsubscribed", "cad_enrolled")
# The figures of the activity table, in order: (key, label).
ACTIVITY_COLUMNS = [
    ("email", "Emails"),
    ("call", "Calls"),
    ("linkedin", "LinkedIn"),
    ("task_on_time", "Tasks on time"),
    ("task_overdue", "Tasks overdue"),
    ("worked", "Leads worked"),
    ("speed_to_lead", "Speed to lead (median)"),
    ("qualified", "Qualified"),
    ("accepted", "Accepted by AEs"),
    ("rejected", "Rejected by AEs"),
    ("acceptance_rate", "Acceptance rate"),
]
AE_COLUMNS = [
    ("handed_off", "Handed to me"),
    ("accepted", "Accepted"),
    ("rejected", "Rejected"),
    ("acceptance_rate", "Acceptance rate"),
]
# Figures with a list of leads behind them (the drill-down): figure key -> (metric, dim).
DRILL = {
    "email": ("email", None),
    "call": ("call", None),
    "linkedin": ("linkedin", None),
    "task_on_time": ("task_done", "on_time"),
    "task_overdue": ("task_done", "overdue"),
    "worked": ("worked", None),
    "speed_to_lead": ("speed_to_lead", None),
    "qualified": ("qualified", None),
    "handed_off": ("handed_off", None),
    "accepted": ("accepted", None),
    "rejected": ("rejected", None),
}


# --- Scope -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose figures a user sees. ``kind``: all, team, sdr, ae or aggregate (marketing)."""

    kind: str
    team_id: int | None = None
    user_id: int | None = None
    time_zone: str = settings.TIME_ZONE

    @property
    def sees_people(self) -> bool:
        return self.kind in ("all", "team")

    @property
    def sees_leads(self) -> bool:
        return self.kind != "aggregate"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def dashboard_scope(user: User, *, team_id: int | None = None) -> Scope:
    """Deny by default: a user without a role the dashboards know gets PermissionDenied."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    if user.is_admin_role:
        if team_id:
            team = Team.objects.filter(pk=team_id).first()
            if team is not None:
                return Scope("team", team_id=team.pk, time_zone=team.time_zone)
        return Scope("all")
    team = user.team
    if team is None:
        raise PermissionDenied
    if user.is_manager:
        return Scope("team", team_id=team.pk, time_zone=team.time_zone)
    if user.is_prospector:
        return Scope("sdr", team_id=team.pk, user_id=user.pk, time_zone=team.time_zone)
    if user.is_ae:
        return Scope("ae", team_id=team.pk, user_id=user.pk, time_zone=team.time_zone)
    if user.is_marketing:
        return Scope("aggregate", team_id=team.pk, time_zone=team.time_zone)
    raise PermissionDenied


def scope_today(scope: Scope) -> date:
    return timezone.now().astimezone(scope.tz).date()


@dataclass
class Filters:
    start: date
    end: date
    sdr: int | None = None
    source: str = ""
    cadence: int | None = None


def _scoped(qs: QuerySet, scope: Scope, f: Filters, *, ae_field: str = "ae_id") -> QuerySet:
    if scope.kind in ("team", "aggregate"):
        qs = qs.filter(team_id=scope.team_id)
    elif scope.kind == "sdr":
        qs = qs.filter(team_id=scope.team_id, user_id=scope.user_id)
    elif scope.kind == "ae":
        qs = qs.filter(**{ae_field: scope.user_id})
    elif scope.kind != "all":
        return qs.none()
    if f.sdr and scope.sees_people:
        qs = qs.filter(user_id=f.sdr)
    if f.source:
        qs = qs.filter(source=f.source)
    return qs.filter(day__gte=f.start, day__lte=f.end)


def _grouped(scope: Scope, f: Filters, metrics, *keys) -> list[tuple]:
    """(keys..., count) of the facts of ``metrics`` in scope, grouped by ``keys``."""
    qs, agg = _counts(scope, f, metrics)
    return list(qs.order_by().values_list(*keys).annotate(k=agg).values_list(*keys, "k"))


def _counts(scope: Scope, f: Filters, metrics) -> tuple[QuerySet, object]:
    """Summed day counts, or fact rows when the figure needs them (an AE's own figures,
    the cadence filter), with the aggregate that counts them."""
    if scope.kind == "ae" or f.cadence:
        qs = Fact.objects.filter(metric__in=metrics)
        if f.cadence:
            qs = qs.filter(
                lead_id__in=Enrollment.objects.filter(cadence_id=f.cadence).values("lead_id")
            )
        return _scoped(qs, scope, f), Count("id")
    return _scoped(DayCount.objects.filter(metric__in=metrics), scope, f), Sum("n")


def _facts(scope: Scope, f: Filters, metrics) -> QuerySet:
    return _scoped(Fact.objects.filter(metric__in=metrics), scope, f)


class Percentile(Aggregate):
    """percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        filter_sql = ""
        params = []
        if self.filter is not None:
            where, params = compiler.compile(self.filter)
            filter_sql = f" FILTER (WHERE {where})"
        copy = self.copy()
        copy.filter = None
        sql, inner = super(Aggregate, copy).as_sql(
            compiler, connection, filter=filter_sql, **extra_context
        )
        return sql, (*inner, *params)

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _rate(num: int, den: int) -> float | None:
    return None if not den else num / den


# --- Pipeline ----------------------------------------------------------------------------------


@dataclass
class Funnel:
    stages: list[dict]
    dropouts: list[dict]
    ae_view: bool = False


def pipeline_funnel(scope: Scope, f: Filters) -> Funnel:
    """Leads that arrived in the period (cohort by the team's local day of creation) and how
    far they got: each stage reached at least once, conversion from the stage before, and the
    first disqualification of each lead by the state it left and the reason. One query.
    For an AE: hand-offs to them in the period and their decisions."""
    if scope.kind == "ae":
        rows = dict(_grouped(scope, f, ["handed_off", "accepted", "rejected"], "metric"))
        stages = [
            {"stage": "handed_off", "label": "Handed to me", "count": rows.get("handed_off", 0)},
            {"stage": "accepted", "label": "Accepted", "count": rows.get("accepted", 0)},
        ]
        _conversions(stages)
        dropouts = (
            [
                {
                    "from": "handed_off",
                    "reason": "rejected",
                    "label": "Rejected by me",
                    "count": rows.get("rejected", 0),
                }
            ]
            if rows.get("rejected")
            else []
        )
        return Funnel(stages=stages, dropouts=dropouts, ae_view=True)
    reached: dict[str, int] = defaultdict(int)
    dropped: dict[str, int] = defaultdict(int)
    for metric, dim, k in _grouped(scope, f, ["reached", "dropped"], "metric", "dim"):
        (reached if metric == "reached" else dropped)[dim] += k
    stages = [{"stage": s, "label": LeadState(s).label, "count": reached.get(s, 0)} for s in STAGES]
    _conversions(stages)
    dropouts = []
    for key, n in sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])):
        from_state, _, reason = key.partition(":")
        dropouts.append(
            {
                "from": from_state,
                "from_label": LeadState(from_state).label
                if from_state in LeadState.values
                else from_state,
                "reason": reason,
                "label": DisqualifyReason(reason).label
                if reason in DisqualifyReason.values
                else reason,
                "count": n,
            }
        )
    return Funnel(stages=stages, dropouts=dropouts)


def _conversions(stages: list[dict]) -> None:
    previous = None
    for s in stages:
        s["conversion"] = _rate(s["count"], previous["count"]) if previous else None
        previous = s


def stalled_leads(
    user: User, scope: Scope, *, days: int, sdr: int | None = None, limit: int = 50
) -> dict:
    """Leads that have been in a working state (or waiting for an AE) for more than ``days``
    days, now: the count per state (capped) and the oldest ``limit``. Two queries.
    Starts from ``lead_scope(user)``; an SDR sees their own leads, an AE their pending
    hand-offs, marketing nothing."""
    if not scope.sees_leads:
        return {"by_state": [], "leads": [], "total": 0, "days": days}
    cutoff = timezone.now() - timedelta(days=days)
    if scope.kind == "sdr":
        # Their own leads: a subset of lead_scope(user) (their team's leads owned by them or
        # in the pool), written without its OR so that the owner's index answers in order.
        base = Lead.objects.filter(team_id=user.team_id, owner_id=user.pk)
    else:
        base = lead_scope(user)
    qs = base.filter(state__in=STALL_STATES, state_changed_at__lt=cutoff)
    if scope.kind == "team":
        qs = qs.filter(team_id=scope.team_id)
    if scope.kind == "ae":
        qs = qs.filter(state=LeadState.HANDED_OFF)
    if sdr and scope.sees_people:
        qs = qs.filter(owner_id=sdr)
    # Counted up to the list cap, like the lead list: a count of every stalled lead of a big
    # team would cost more than the page.
    cap = settings.SDRCRM_LIST_COUNT_CAP
    by_state = Counter(qs.order_by().values_list("state", flat=True)[: cap + 1])
    leads = list(
        qs.select_related("prospect__company", "owner", "assigned_ae").order_by(
            "state_changed_at", "id"
        )[:limit]
    )
    return {
        "by_state": [
            {"state": s, "label": LeadState(s).label, "count": by_state.get(s, 0)}
            for s in STALL_STATES
            if by_state.get(s)
        ],
        "leads": leads,
        "total": min(sum(by_state.values()), cap),
        "capped": sum(by_state.values()) > cap,
        "days": days,
    }


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
        raise PermissionDenied
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
    people[0] = "Unassigned"

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


def _cadence_filter(qs, cadence_id):
    return qs.filter(lead_id__in=Enrollment.objects.filter(cadence_id=cadence_id).values("lead_id"))


def figure_leads(
    user: User, scope: Scope, f: Filters, *, figure: str, dim: str = "", limit: int = 200
) -> list[Lead]:
    """The leads behind one figure of the activity table (what the figure counted), newest
    first, at most ``limit``. Two queries. Only leads the user may see."""
    if figure not in DRILL or not scope.sees_leads:
        raise PermissionDenied
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


# --- Commission ---------------------------------------------------------------------------------


@dataclass
class CommissionRow:
    sdr_id: int
    sdr: str
    lead_id: int
    prospect: str
    company: str
    ae: str
    accepted_at: datetime
    day: date  # the team's local day of accepted_at
    time_zone: str  # the lead's team's


def commission_report(scope: Scope, f: Filters, *, limit: int | None = None) -> dict:
    """Each SDR's qualified leads that an AE accepted in the period (the team's local days):
    the commission basis. From facts written when the AE accepted (credited to the lead's SDR
    at that moment), so later edits, reassignments or state changes do not change it. Three
    queries: the facts, their leads, the people (and the teams' zones for all teams)."""
    if scope.kind not in ("all", "team", "sdr"):
        raise PermissionDenied
    qs = _facts(scope, f, ["accepted"]).order_by("user_id", "at", "event_id")
    facts = list(
        qs.values("user_id", "ae_id", "lead_id", "team_id", "at", "day")[
            : limit + 1 if limit else None
        ]
    )
    truncated = bool(limit and len(facts) > limit)
    facts = facts[:limit] if limit else facts
    summary = dict(
        _facts(scope, f, ["accepted"])
        .order_by()
        .values_list("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    leads = {
        lead.pk: lead
        for lead in Lead.objects.filter(pk__in=[r["lead_id"] for r in facts]).select_related(
            "prospect__company"
        )
    }
    ids = {r["user_id"] for r in facts} | {r["ae_id"] for r in facts} | set(summary)
    people = {
        u.pk: str(u)
        for u in User.objects.filter(pk__in=[i for i in ids if i]).only(
            "pk", "first_name", "last_name", "username"
        )
    }
    zones = {}  # all teams: each row in its own team's zone (one more query)
    if scope.kind == "all" and facts:
        zones = dict(
            Team.objects.filter(pk__in={r["team_id"] for r in facts}).values_list("pk", "time_zone")
        )
    rows = []
    for r in facts:
        lead = leads.get(r["lead_id"])
        prospect = lead.prospect if lead else None
        rows.append(
            CommissionRow(
                sdr_id=r["user_id"],
                sdr=people.get(r["user_id"], "Unassigned"),
                lead_id=r["lead_id"],
                prospect=prospect.full_name if prospect else "",
                company=prospect.company.name if prospect and prospect.company else "",
                ae=people.get(r["ae_id"], ""),
                accepted_at=r["at"],
                day=r["day"],
                time_zone=zones.get(r["team_id"], scope.time_zone),
            )
        )
    per_sdr = sorted(
        (
            {"sdr_id": uid, "sdr": people.get(uid, "Unassigned"), "accepted": n}
            for uid, n in summary.items()
        ),
        key=lambda d: d["sdr"].lower(),
    )
    return {
        "rows": rows,
        "per_sdr": per_sdr,
        "total": sum(summary.values()),
        "truncated": truncated,
    }


# --- Cadence performance ------------------------------------------------------------------------


def cadence_performance(scope: Scope, f: Filters, *, cadence_ids: list[int]) -> list[dict]:
    """Per cadence and email step: sent, replied, bounced, unsubscribed (each enrolment end
    counted at the last email step sent before it) and the reply rate; the step with most
    replies is marked best (ties: the earlier step). Two queries."""
    if scope.kind not in ("all", "team", "sdr"):
        raise PermissionDenied
    cadences = {c.pk: c for c in _cadences(scope).filter(pk__in=cadence_ids)}
    if not cadences:
        return []
    rows = (
        _scoped(DayCount.objects.filter(metric__in=CADENCE_METRICS), scope, f)
        .filter(cadence_id__in=list(cadences))
        .order_by()
        .values_list("cadence_id", "step", "metric")
        .annotate(k=Sum("n"))
        .values_list("cadence_id", "step", "metric", "k")
    )
    figures: dict[int, dict[int, dict]] = {
        cid: defaultdict(lambda: defaultdict(int)) for cid in cadences
    }
    for cid, step, metric, k in rows:
        figures[cid][step][metric] += k
    steps = defaultdict(dict)
    for s in CadenceStep.objects.filter(cadence_id__in=list(cadences)).only(
        "cadence_id", "position", "channel"
    ):
        steps[s.cadence_id][s.position] = s
    out = []
    for cid in cadence_ids:
        cadence: Cadence | None = cadences.get(cid)
        if cadence is None:
            continue
        per_step = []
        positions = sorted(
            {p for p, s in steps[cid].items() if s.is_email} | {p for p in figures[cid] if p}
        )
        for p in positions:
            fig = figures[cid].get(p, {})
            step = steps[cid].get(p)
            per_step.append(
                {
                    "step": p,
                    "channel": step.get_channel_display() if step else "(removed step)",
                    "sent": fig.get("email", 0),
                    "replied": fig.get("cad_replied", 0),
                    "bounced": fig.get("cad_bounced", 0),
                    "unsubscribed": fig.get("cad_unsubscribed", 0),
                    "reply_rate": _rate(fig.get("cad_replied", 0), fig.get("email", 0)),
                    "best": False,
                }
            )
        before = figures[cid].get(0, {})
        best = max(per_step, key=lambda s: (s["replied"], -s["step"]), default=None)
        if best and best["replied"]:
            best["best"] = True
        total = {
            k: sum(s[k] for s in per_step) + before.get(m, 0)
            for k, m in (
                ("sent", "email"),
                ("replied", "cad_replied"),
                ("bounced", "cad_bounced"),
                ("unsubscribed", "cad_unsubscribed"),
            )
        }
        total["reply_rate"] = _rate(total["replied"], total["sent"])
        total["enrolled"] = sum(v.get("cad_enrolled", 0) for v in figures[cid].values())
        out.append(
            {
                "cadence": cadence,
                "steps": per_step,
                "total": total,
                "before_first_email": {
                    k: before.get(m, 0)
                    for k, m in (
                        ("replied", "cad_replied"),
                        ("bounced", "cad_bounced"),
                        ("unsubscribed", "cad_unsubscribed"),
                    )
                },
            }
        )
    return out


def _cadences(scope: Scope):
    qs = Cadence.objects.all()
    if scope.kind == "all":
        return qs
    return qs.filter(team_id=scope.team_id)


def cadence_choices(scope: Scope) -> list:
    if scope.kind not in ("all", "team", "sdr", "aggregate"):
        return []
    return list(_cadences(scope).only("pk", "name", "team_id").order_by("name", "pk"))


def people_choices(scope: Scope) -> list[User]:
    """The SDRs and BDRs whose figures the scope may filter on: those of the team (of every
    team for an admin), active or not, since a departed SDR's figures and commission stay
    reachable for any period. Active ones first. One query."""
    if scope.kind not in ("all", "team"):
        return []
    qs = User.objects.filter(role__in=[Role.SDR, Role.BDR])
    if scope.kind == "team":
        qs = qs.filter(team_id=scope.team_id)
    else:
        qs = qs.select_related("team")
    return list(qs.order_by("-is_active", "first_name", "last_name", "pk"))


# --- Time in stage ------------------------------------------------------------------------------


def time_in_stage(scope: Scope, f: Filters) -> list[dict]:
    """Median and 90th percentile of the time leads spent in each state, over the stays that
    ended in the period (a stay ends with the next transition). One query."""
    if scope.kind == "aggregate":
        raise PermissionDenied
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


# --- Formatting helpers shared by pages and exports ----------------------------------------------


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"
