"""Cadence performance, and the choices of cadences and people the filters offer."""

from collections import defaultdict

from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import Role, User
from cadences.models import Cadence, CadenceStep
from sdrcrm.errors import NotAllowed

from ..models import DayCount
from .common import (
    CADENCE_METRICS,
    Filters,
    Scope,
    _rate,
    _scoped,
)

# --- Cadence performance ------------------------------------------------------------------------


def cadence_performance(scope: Scope, f: Filters, *, cadence_ids: list[int]) -> list[dict]:
    """Per cadence and email step: sent, replied, bounced, unsubscribed (each enrolment end
    counted at the last email step sent before it) and the reply rate; the step with most
    replies is marked best (ties: the earlier step). Two queries."""
    if scope.kind not in ("all", "team", "sdr"):
        raise NotAllowed
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
                    "channel": step.get_channel_display() if step else _("(removed step)"),
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
