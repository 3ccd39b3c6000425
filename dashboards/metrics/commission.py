"""The commission report: hand-offs, acceptances and rejections per SDR."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.models import Team, User
from leads.models import Lead
from sdrcrm.errors import NotAllowed

from .common import (
    Filters,
    Scope,
    _facts,
)

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
        raise NotAllowed
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
                sdr=people.get(r["user_id"], _("Unassigned")),
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
            {"sdr_id": uid, "sdr": people.get(uid, _("Unassigned")), "accepted": n}
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
