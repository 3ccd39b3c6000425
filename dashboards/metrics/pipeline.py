"""The pipeline: the funnel by stage with its conversions, and the stalled leads."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from leads.models import STALL_STATES, Lead, LeadState, ReasonKind
from leads.selectors import lead_scope, reason_labels

from .common import (
    STAGES,
    Filters,
    Scope,
    _grouped,
    _rate,
)

# --- Pipeline ----------------------------------------------------------------------------------


@dataclass
class Funnel:
    stages: list[dict]
    dropouts: list[dict]
    ae_view: bool = False
    # Hand-offs AEs sent back, by the team's rejection reason.
    rejections: list[dict] = field(default_factory=list)


def pipeline_funnel(scope: Scope, f: Filters) -> Funnel:
    """Leads that arrived in the period (cohort by the team's local day of creation) and how
    far they got: each stage reached at least once, conversion from the stage before, and the
    first disqualification of each lead by the state it left and the reason. One query.
    For an AE: hand-offs to them in the period and their decisions."""
    if scope.kind == "ae":
        rows: dict[str, int] = defaultdict(int)
        rejected: dict[str, int] = defaultdict(int)
        for metric, dim, k in _grouped(
            scope, f, ["handed_off", "accepted", "rejected"], "metric", "dim"
        ):
            rows[metric] += k
            if metric == "rejected":
                rejected[dim] += k
        stages = [
            {
                "stage": "handed_off",
                "label": gettext("Handed to me"),
                "count": rows.get("handed_off", 0),
            },
            {"stage": "accepted", "label": gettext("Accepted"), "count": rows.get("accepted", 0)},
        ]
        _conversions(stages)
        dropouts = (
            [
                {
                    "from": "handed_off",
                    "reason": "rejected",
                    "label": gettext("Rejected by me"),
                    "count": rows.get("rejected", 0),
                }
            ]
            if rows.get("rejected")
            else []
        )
        return Funnel(
            stages=stages, dropouts=dropouts, ae_view=True, rejections=_rejections(scope, rejected)
        )
    reached: dict[str, int] = defaultdict(int)
    dropped: dict[str, int] = defaultdict(int)
    rejected = defaultdict(int)
    counts = {"reached": reached, "dropped": dropped, "rejected": rejected}
    for metric, dim, k in _grouped(scope, f, list(counts), "metric", "dim"):
        counts[metric][dim] += k
    stages = [{"stage": s, "label": LeadState(s).label, "count": reached.get(s, 0)} for s in STAGES]
    _conversions(stages)
    dropouts = []
    labels = reason_labels(
        kind=ReasonKind.DISQUALIFY,
        codes=[key.partition(":")[2] for key in dropped],
        team_id=scope.team_id,
    )
    for key, n in sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])):
        from_state, _, reason = key.partition(":")
        dropouts.append(
            {
                "from": from_state,
                "from_label": LeadState(from_state).label
                if from_state in LeadState.values
                else from_state,
                "reason": reason,
                "label": labels.get(reason) or gettext("No reason"),
                "count": n,
            }
        )
    return Funnel(stages=stages, dropouts=dropouts, rejections=_rejections(scope, rejected))


def _rejections(scope: Scope, counts: dict[str, int]) -> list[dict]:
    """Hand-offs sent back by AEs in the period (``counts``: by the code of the team's
    rejection reason), labelled as the team names the reason now; rejections made before
    reasons existed count as "not classified". One query for the labels, when there are any."""
    labels = reason_labels(
        kind=ReasonKind.REJECT,
        codes=list(counts),
        team_id=scope.team_id,
    )
    return [
        {"reason": code, "label": labels.get(code) or gettext("Not classified"), "count": n}
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if n
    ]


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
