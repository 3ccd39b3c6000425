"""Reads. Every query starts from the user: out-of-scope leads are simply not there (404)."""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from sdrcrm.errors import NotFound

from .models import (
    DEFAULT_REASONS,
    EventKind,
    Lead,
    LeadEvent,
    LeadState,
    Prospect,
    Reason,
    ReasonKind,
    _works_lead,
)
from .search import SEARCH_ID_LIMIT, all_words, search_words


def lead_scope(user: User) -> QuerySet[Lead]:
    """The leads ``user`` may see. Deny by default: an unknown role sees nothing."""
    qs = Lead.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_admin_role:
        return qs
    if user.team_id is None:
        return qs.none()
    if user.is_manager:
        return qs.filter(team_id=user.team_id)
    if user.is_prospector:
        return qs.filter(team_id=user.team_id).filter(Q(owner_id=user.id) | Q(owner__isnull=True))
    if user.is_ae:
        return qs.filter(assigned_ae_id=user.id)
    return qs.none()  # marketing and anything else: no lead, no timeline


def lead_get_for_user(*, user: User, lead_id: int) -> Lead:
    try:
        return (
            lead_scope(user)
            .select_related("prospect__company", "owner", "assigned_ae", "team")
            .get(pk=lead_id)
        )
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such lead")) from None


# A touch (docs/metrics.md, "Words used below"): an email, a call, or a cadence step done (a
# LinkedIn step, a task); not a reminder or a skipped step. Speed to lead on the lead page
# (intake), the SDR's pace on Today (cadences.pace) and, in SQL, the dashboards' rollup
# (dashboards/rollup.py, _TOUCH) use this one definition.
TOUCH_EVENT_Q = Q(kind__in=[EventKind.EMAIL, EventKind.CALL]) | (
    Q(kind=EventKind.TASK, payload__has_key="touch_id") & ~Q(payload__has_key="skipped")
)


# The lead page shows the newest entries; "the whole timeline" asks for up to the long limit.
# Rendering is what a long timeline costs (~0.2 ms an entry): docs/performance.md.
TIMELINE_SHORT = 50
TIMELINE_LONG = 1000


# The entry's columns and of its author only the name: a user row is wide (password hash, roles,
# settings) and the page builds one per entry. (Also the AE queue's history of each hand-off.)
TIMELINE_FIELDS = (
    "id", "lead_id", "kind", "actor_id", "created_at", "from_state", "to_state", "body",
    "payload", "actor__id", "actor__first_name", "actor__last_name", "actor__username",
)  # fmt: skip


def lead_timeline(*, lead: Lead, limit: int = TIMELINE_SHORT) -> list[LeadEvent]:
    return list(
        lead.events.select_related("actor")
        .only(*TIMELINE_FIELDS)
        .order_by("-created_at", "-id")[:limit]
    )


# Forward moves first (the first is the primary button), then the exits.
TRANSITION_ORDER = [
    "start_research",
    "start_contacting",
    "engage",
    "qualify",
    "hand_off",
    "accept",
    "recycle",
    "reject",
    "nurture",
    "disqualify",
]


def lead_available_transitions(*, lead: Lead, user: User) -> list[dict]:
    """The transitions ``user`` may make on ``lead`` now, for buttons. No queries."""
    result = []
    available = sorted(
        lead.get_available_user_state_transitions(user),
        key=lambda t: TRANSITION_ORDER.index(t.name) if t.name in TRANSITION_ORDER else 99,
    )
    for t in available:
        result.append(
            {
                "name": t.name,
                "label": t.custom.get("label", t.name),
                "needs": t.custom.get("needs", ""),
                "target": t.target,
            }
        )
    return result


def team_prospectors(*, team_id: int | None) -> QuerySet[User]:
    return User.objects.filter(
        team_id=team_id, role__in=[Role.SDR, Role.BDR], is_active=True
    ).order_by("first_name", "last_name")


def team_aes(*, team_id: int | None) -> QuerySet[User]:
    return User.objects.filter(team_id=team_id, role=Role.AE, is_active=True).order_by(
        "first_name", "last_name"
    )


# --- The lead list: filters, sorting and keyset pagination ------------------------------------

SORTS = {
    # name: (label, [(expression name, descending)])
    "-created": (gettext_lazy("Newest first"), [("created_at", True), ("id", True)]),
    "created": (gettext_lazy("Oldest first"), [("created_at", False), ("id", False)]),
    "-updated": (gettext_lazy("Recently changed"), [("updated_at", True), ("id", True)]),
    "-score": (gettext_lazy("Highest score"), [("score_key", True), ("id", True)]),
    "score": (gettext_lazy("Lowest score"), [("score_key", False), ("id", False)]),
}
DEFAULT_SORT = "-created"


@dataclass
class LeadFilters:
    q: str = ""
    states: list[str] = field(default_factory=list)
    source: str = ""
    owner: str = ""  # "", "me", "unassigned" or a user id
    industry: str = ""
    score_min: int | None = None
    score_max: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    sort: str = DEFAULT_SORT


def lead_search(*, user: User, q: str) -> Q:
    """The condition on leads of the search ``q`` (leads/search.py), found with one query of
    the prospects: when at most ``SEARCH_ID_LIMIT`` of the user's team match, their ids (the
    lead list and its count then look up those leads and nothing else); when more match, the
    words are common and the condition is the words themselves, for PostgreSQL to test lead
    by lead, newest first, until it has a page. With the ids, a search costs what its matches
    cost whichever the scope: without them, PostgreSQL chose between walking all of an SDR's
    leads and starting from the matches, and misjudged how many matches the SDR has
    (docs/performance.md, "Search", also for what a common word still costs an SDR). The lead
    list asks once and hands the condition to ``lead_list`` and ``lead_count_parts``
    (``search=``)."""
    words = search_words(q)
    if not words:
        return Q()
    people = Prospect.objects.filter(*all_words("search", words))
    if not user.is_admin_role:  # a team is a workspace: lead_scope says the same of leads
        people = people.filter(team_id=user.team_id)
    ids = list(people.values_list("id", flat=True)[: SEARCH_ID_LIMIT + 1])
    if len(ids) <= SEARCH_ID_LIMIT:
        return Q(prospect_id__in=ids)
    return Q(*all_words("prospect__search", words))


def lead_list(*, user: User, filters: LeadFilters, search: Q | None = None) -> QuerySet[Lead]:
    """The leads of ``user`` that pass ``filters``; ``search``: ``lead_search`` of its ``q``
    when the caller has it already."""
    qs = lead_scope(user).select_related("prospect__company", "owner", "assigned_ae")
    return _lead_filter(qs, user, filters, search)


def _lead_filter(
    qs: QuerySet[Lead], user: User, f: LeadFilters, search: Q | None
) -> QuerySet[Lead]:
    if f.q:  # name, email or company (leads/search.py)
        qs = qs.filter(lead_search(user=user, q=f.q) if search is None else search)
    if f.states:
        qs = qs.filter(state__in=f.states)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.owner == "me":
        qs = qs.filter(owner_id=user.id)
    elif f.owner == "unassigned":
        qs = qs.filter(owner__isnull=True)
    elif f.owner.isdigit():
        qs = qs.filter(owner_id=int(f.owner))
    if f.industry:
        qs = qs.filter(prospect__company__industry__iexact=f.industry)
    if f.score_min is not None:
        qs = qs.filter(score__gte=f.score_min)
    if f.score_max is not None:
        qs = qs.filter(score__lte=f.score_max)
    if f.created_from:
        qs = qs.filter(created_at__date__gte=f.created_from)
    if f.created_to:
        qs = qs.filter(created_at__date__lte=f.created_to)
    if f.sort in ("-score", "score"):
        qs = qs.annotate(score_key=Coalesce("score", -1))
    return qs


# What a row of the lead list shows (templates/leads/_lead_rows.html, ``lead_rows``): the page
# reads these as dicts (``lead_paginate(fields=…)``); 50 leads with their prospect, company and
# owner as model instances cost more than the queries (204 objects, every column of four tables).
LIST_ROW_FIELDS = (
    "id", "state", "source", "score", "created_at", "updated_at",
    "prospect__first_name", "prospect__last_name", "prospect__title", "prospect__phone",
    "prospect__company__name", "prospect__company__industry",
    "owner__first_name", "owner__last_name", "owner__username",
)  # fmt: skip


def lead_count_parts(
    *, user: User, filters: LeadFilters, search: Q | None = None
) -> list[QuerySet[Lead]]:
    """``lead_list(user, filters)`` in disjoint parts that count cheaply. An SDR's scope is
    "mine or the pool": counting an OR takes a bitmap scan that reads every counted row from
    the table (4–6 ms for the capped 1,001 of a million-lead team); "mine" and "the pool" apart
    are two index-only scans of ``lead_owner_team`` (0.2 ms together). Each half is made
    afresh rather than as the list with an owner added: the OR and the half's own owner in one
    query make PostgreSQL expect a fiftieth of the SDR's leads, and a search then walks all of
    them instead of starting from the few prospects that match (docs/performance.md)."""
    scope = lead_scope(user)
    if user.is_prospector and not user.is_admin_role and not scope.query.is_empty():
        team = Lead.objects.filter(team_id=user.team_id)  # lead_scope's two halves
        halves = (team.filter(owner_id=user.id), team.filter(owner__isnull=True))
        return [_lead_filter(half, user, filters, search) for half in halves]
    return [_lead_filter(scope, user, filters, search)]


@dataclass
class Page:
    items: list
    next_cursor: str | None
    prev_cursor: str | None
    count: int
    count_capped: bool


def _encode_cursor(direction: str, values: list) -> str:
    raw = json.dumps([direction, [v.isoformat() if isinstance(v, datetime) else v for v in values]])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, keys: list[tuple[str, bool]]) -> tuple[str, list] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        direction, values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if direction not in ("after", "before") or len(values) != len(keys):
            return None
        parsed = []
        for (name, _desc), value in zip(keys, values, strict=True):
            if name.endswith("_at"):
                value = datetime.fromisoformat(value)
            elif not isinstance(value, int):
                return None
            parsed.append(value)
        return direction, parsed
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        return None


def _keyset_q(keys: list[tuple[str, bool]], values: list, forward: bool) -> Q:
    """Rows strictly after (or before) ``values`` in the order ``keys``.

    The OR of the expansion is not an index condition; the redundant bound on the first key
    (``created_at <= X AND (created_at < X OR (created_at = X AND id < Y))``) is, so a deep
    page starts its index scan at the cursor instead of filtering every row before it (0.2 s
    at row 500,000 of a million; docs/performance.md)."""
    q = Q()
    for i, (name, desc) in enumerate(keys):
        go_down = desc if forward else not desc
        cond = Q(**{f"{name}__lt" if go_down else f"{name}__gt": values[i]})
        for j in range(i):
            cond &= Q(**{keys[j][0]: values[j]})
        q |= cond
    first, desc = keys[0]
    go_down = desc if forward else not desc
    return Q(**{f"{first}__lte" if go_down else f"{first}__gte": values[0]}) & q


def lead_paginate(
    qs: QuerySet[Lead],
    *,
    sort: str,
    cursor: str = "",
    size: int | None = None,
    fields: tuple[str, ...] | None = None,
    count_parts: list[QuerySet[Lead]] | None = None,
    count_cap: int | None = None,
) -> Page:
    """Keyset pagination: constant time at any depth; the count is capped. With ``fields``
    the items are dicts of those values (and the sort keys) instead of model instances.
    ``count_parts`` (``lead_count_parts``): disjoint querysets whose counts add up to qs's;
    ``count_cap``: count up to this many (default ``SDRCRM_LIST_COUNT_CAP``)."""
    size = size or settings.SDRCRM_LEAD_PAGE_SIZE
    keys = SORTS.get(sort, SORTS[DEFAULT_SORT])[1]
    order = [f"-{n}" if d else n for n, d in keys]
    reverse_order = [n if d else f"-{n}" for n, d in keys]
    cap = count_cap or settings.SDRCRM_LIST_COUNT_CAP
    # Capped counts of each part, before values() (its joins would stay). They select team_id,
    # which every scope index holds, so a count can be an index-only scan (the id would send
    # it to the table for every counted row).
    count = sum(
        part.order_by().values("team_id")[: cap + 1].count() for part in (count_parts or [qs])
    )
    if fields is not None:
        qs = qs.values(*fields, *(n for n, _ in keys if n not in fields))

    decoded = _decode_cursor(cursor, keys) if cursor else None
    direction, values = decoded if decoded else ("after", None)
    if values is None:
        rows = list(qs.order_by(*order)[: size + 1])
        has_more, has_prev = len(rows) > size, False
        rows = rows[:size]
    elif direction == "after":
        rows = list(qs.filter(_keyset_q(keys, values, True)).order_by(*order)[: size + 1])
        has_more, has_prev = len(rows) > size, True
        rows = rows[:size]
    else:
        rows = list(qs.filter(_keyset_q(keys, values, False)).order_by(*reverse_order)[: size + 1])
        has_prev = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_more = True

    def key_of(lead):
        if isinstance(lead, dict):  # fields=…
            return [lead[n] for n, _ in keys]
        return [getattr(lead, n) for n, _ in keys]

    return Page(
        items=rows,
        next_cursor=_encode_cursor("after", key_of(rows[-1])) if rows and has_more else None,
        prev_cursor=_encode_cursor("before", key_of(rows[0])) if rows and has_prev else None,
        count=min(count, cap),
        count_capped=count > cap,
    )


def team_state_counts(*, user: User) -> list[dict]:
    """Lead counts per state for the user's team (all teams for an admin), in lifecycle order.
    Aggregates only: marketing may read these but no lead. One query."""
    qs = Lead.objects.all()
    if not user.is_admin_role:
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.none()
    by_state = dict(qs.values_list("state").annotate(n=Count("id")).order_by())
    return [
        {"state": s.value, "label": s.label, "count": by_state.get(s.value, 0)} for s in LeadState
    ]


def user_works_lead(user: User, lead: Lead) -> bool:
    """May ``user`` work this lead (notes, calls, research, edits)? No queries."""
    return _works_lead(lead, user)


# --- A team's reasons for scrapping a lead or rejecting a hand-off ----------------------------


def reason_list(*, team_id: int | None, kind: str, active_only: bool = False) -> list[Reason]:
    """The team's reasons of ``kind`` in the manager's order (one query); none without a team."""
    if team_id is None:
        return []
    qs = Reason.objects.filter(team_id=team_id, kind=kind)
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("position", "id"))


def reason_form_choices(*, team_id: int | None, kind: str) -> list[tuple[str, str]]:
    """A form's select of the team's active reasons of ``kind`` (one query). A team made after
    the seeding migration has no list until its first scrap or rejection, or its manager's
    page, writes the starting one (leads.services.reasons_ensure): until then it is offered
    the starting list, whose codes that write keeps."""
    rows = reason_list(team_id=team_id, kind=kind)
    choices = [(r.code, r.label) for r in rows if r.is_active]
    if not rows:
        choices = [(c.value, str(c.label)) for c in DEFAULT_REASONS[ReasonKind(kind)]]
    return [("", _("Choose a reason")), *choices]


def reason_labels(*, kind: str, codes, team_id: int | None = None) -> dict[str, str]:
    """Label of each code (active or not) for a page that counts or shows reasons: the team's
    own when given, else any team's (the default codes read the same everywhere). A code no
    list knows (old data) falls back to the default choices, then to the code itself."""
    codes = {c for c in codes if c}
    labels = {
        c: str(DEFAULT_REASONS[ReasonKind(kind)](c).label)
        for c in codes
        if c in DEFAULT_REASONS[ReasonKind(kind)].values
    }
    if codes:
        qs = Reason.objects.filter(kind=kind, code__in=codes)
        if team_id is not None:
            qs = qs.filter(team_id=team_id)
        for code, label in qs.order_by("-team_id").values_list("code", "label"):
            labels[code] = label
    return {c: labels.get(c, c) for c in codes}
