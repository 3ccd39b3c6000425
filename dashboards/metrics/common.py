"""What every figure starts from: who sees what (``Scope``), the filters, the grouped sums over
``DayCount`` and the rows of ``Fact``, the columns and drill-downs the pages show."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Aggregate, Count, FloatField, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from cadences.models import Enrollment
from sdrcrm.errors import NotAllowed

from ..models import DayCount, Fact

STAGES = ["new", "researching", "contacting", "engaged", "qualified", "handed_off", "accepted"]
TOUCH_METRICS = ("email", "call", "linkedin")
# Facts that mean the lead was touched (a cadence task done is one too): leads worked.
WORKED_METRICS = (*TOUCH_METRICS, "task_done")
CADENCE_METRICS = ("email", "cad_replied", "cad_bounced", "cad_unsubscribed", "cad_enrolled")
# The figures of the activity table, in order: (key, label).
ACTIVITY_COLUMNS = [
    ("email", _("Emails")),
    ("call", _("Calls")),
    ("linkedin", _("LinkedIn")),
    ("task_on_time", _("Tasks on time")),
    ("task_overdue", _("Tasks overdue")),
    ("worked", _("Leads worked")),
    ("speed_to_lead", _("Speed to lead (median)")),
    ("qualified", _("Qualified")),
    ("accepted", _("Accepted by AEs")),
    ("rejected", _("Rejected by AEs")),
    ("acceptance_rate", _("Acceptance rate")),
]
AE_COLUMNS = [
    ("handed_off", _("Handed to me")),
    ("accepted", _("Accepted")),
    ("rejected", _("Rejected")),
    ("acceptance_rate", _("Acceptance rate")),
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
    """Deny by default: a user without a role the dashboards know gets NotAllowed (403)."""
    if not user.is_authenticated or not user.is_active:
        raise NotAllowed
    if user.is_admin_role:
        if team_id:
            team = Team.objects.filter(pk=team_id).first()
            if team is not None:
                return Scope("team", team_id=team.pk, time_zone=team.time_zone)
        return Scope("all")
    team = user.team
    if team is None:
        raise NotAllowed
    if user.is_manager:
        return Scope("team", team_id=team.pk, time_zone=team.time_zone)
    if user.is_prospector:
        return Scope("sdr", team_id=team.pk, user_id=user.pk, time_zone=team.time_zone)
    if user.is_ae:
        return Scope("ae", team_id=team.pk, user_id=user.pk, time_zone=team.time_zone)
    if user.is_marketing:
        return Scope("aggregate", team_id=team.pk, time_zone=team.time_zone)
    raise NotAllowed


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


def _cadence_filter(qs, cadence_id):
    return qs.filter(lead_id__in=Enrollment.objects.filter(cadence_id=cadence_id).values("lead_id"))
