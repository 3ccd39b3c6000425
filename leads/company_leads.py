"""Reads for the lead page's panel "Other leads at <company>": the team's other leads at the
lead's company, whoever owns them (a team is a workspace), never another team's
(docs/design.md, "Two SDRs at one company")."""

from django.db.models import Count, Exists, OuterRef, Window

from accounts.models import User

from .models import Lead
from .selectors import lead_scope

PANEL_LIMIT = 10


def company_other_leads(*, user: User, lead: Lead, limit: int = PANEL_LIMIT) -> tuple[list, int]:
    """The first ``limit`` other leads at ``lead``'s company, newest first, each with its
    prospect and owner and ``visible`` (whether ``user`` may open it: an SDR sees the pool and
    their own), and how many there are in all. One query (the total is a window over the
    same rows); none when the lead has no company. ``lead`` comes with its prospect."""
    company_id = lead.prospect.company_id
    if company_id is None:
        return [], 0
    rows = list(
        Lead.objects.filter(team_id=lead.team_id, prospect__company_id=company_id)
        .exclude(pk=lead.pk)
        .select_related("prospect", "owner")
        .annotate(
            total=Window(Count("id")),
            visible=Exists(lead_scope(user).filter(pk=OuterRef("pk"))),
        )
        .order_by("-created_at", "-id")[:limit]
    )
    return rows, (rows[0].total if rows else 0)
