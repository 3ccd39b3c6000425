"""Who may open which page and make which change: the whole policy in one place.

Columns are the people of team Alpha (``crew``) plus a manager and an SDR of team Beta
(``other_crew``). Rows are pages, or an action on one of four leads:

    sdr_lead    new, owned by Alpha's sdr      (for sdr2 and bdr: a team-mate's lead)
    pool        new, in Alpha's unassigned pool
    handed      handed off by Alpha's sdr to Alpha's ae
    other_team  new, owned by Beta's sdr

Cells:
    LOGIN   302 to /login/?next=<the path>       (anonymous)
    200     the page
    403     the lead is visible but this person may not do this
    404     the lead is out of this person's scope: it does not exist for them
    DONE    302 back, and the change was made
    SAME    302 back with a message, and nothing changed
    a path  302 to that path

Every refused POST (anything but DONE) must leave the lead, its prospect and the timeline
exactly as they were.
"""

# ruff: noqa: E501  (the policy tables below are wider than 100 columns, one role a column)

from dataclasses import dataclass

import pytest

from leads.models import EventKind, Lead, LeadEvent, LeadState
from tests.fixtures import api_token_for, walk

ROLES = (
    "anon", "sdr", "sdr2", "bdr", "ae", "ae2", "manager", "marketing", "admin",
    "o_manager", "o_sdr", "privacy",
)  # fmt: skip

LOGIN = "LOGIN"
DONE = "DONE"
SAME = "SAME"
ADMIN_LOGIN = "/admin/login/?next=/admin/"
LIST = "/leads/"
OVERVIEW = "/leads/overview/"
TODAY = "/today/"
AE_QUEUE = "/qualification/queue/"
PIPELINE = "/dashboards/"
IMPORTS = "/imports/"

# --- Pages that are not about one lead (GET) ------------------------------------------------

PAGES = {
    #                    anon   sdr   sdr2  bdr   ae    ae2   manager mkting admin o_mgr o_sdr privacy
    "/":                (LOGIN, TODAY, TODAY, TODAY, AE_QUEUE, AE_QUEUE, PIPELINE, IMPORTS, LIST, PIPELINE, TODAY, "/privacy/"),
    "/leads/":          (LOGIN, 200,  200,  200,  200,  200,  200,  403,  200,  200,  200, 403),
    "/leads/new/":      (LOGIN, 200,  200,  200,  403,  403,  200,  403,  403,  200,  200, 403),
    "/leads/overview/": (LOGIN, 403,  403,  403,  403,  403,  200,  200,  200,  200,  403, 403),
    "/leads/export/":   (LOGIN, 200,  200,  200,  200,  200,  200,  403,  200,  200,  200, 403),
    # The team's scrap and rejection reasons: its manager only (an admin belongs to no team).
    "/leads/reasons/":  (LOGIN, 403,  403,  403,  403,  403,  200,  403,  403,  200,  403, 403),
    "/imports/":        (LOGIN, 200,  200,  200,  403,  403,  200,  200,  200,  200,  200, 403),
    "/imports/web-forms/": (LOGIN, 403, 403, 403, 403, 403, 200,  200,  403,  200,  403, 403),
    "/password/":       (LOGIN, 200,  200,  200,  200,  200,  200,  200,  200,  200,  200, 200),
    "/account/two-factor/": (LOGIN, 403, 403, 403, 403, 403,  200,  403,  200,  200,  403, 200),
    "/admin/":          (ADMIN_LOGIN,) + (ADMIN_LOGIN,) * 7 + (200, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN),
    "/settings/api-tokens/": (LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403),
    "/settings/webhooks/":   (LOGIN, 403, 403, 403, 403, 403, 200, 403, 200, 200, 403, 403),
    # Mailboxes: the senders connect their own; managers see their team's, admins every team's.
    "/mailboxes/":           (LOGIN, 200, 200, 200, 200, 200, 403, 403, 403, 403, 200, 403),
    "/mailboxes/team/":      (LOGIN, 403, 403, 403, 403, 403, 200, 403, 200, 200, 403, 403),
    # The team calendar: everyone of a team reads their own (its managers change it).
    "/team/calendar/":       (LOGIN, 200, 200, 200, 200, 200, 200, 200, 403, 200, 200, 403),
    # Dashboards: everyone sees their own scope; AEs their queue; marketing the funnel only.
    "/dashboards/":               (LOGIN, 200,  200,  200,  200,  200,  200,  200,  200,  200,  200, 403),
    "/dashboards/activity/":      (LOGIN, 200,  200,  200,  200,  200,  200,  403,  200,  200,  200, 403),
    "/dashboards/commission/":    (LOGIN, 200,  200,  200,  403,  403,  200,  403,  200,  200,  200, 403),
    "/dashboards/commission/export/xlsx/": (LOGIN, 200, 200, 200, 403, 403, 200, 403, 200, 200, 200, 403),
    "/dashboards/cadences/":      (LOGIN, 200,  200,  200,  403,  403,  200,  403,  200,  200,  200, 403),
    "/dashboards/time-in-stage/": (LOGIN, 200,  200,  200,  200,  200,  200,  403,  200,  200,  200, 403),
    "/dashboards/leads/":         (LOGIN, 404,  404,  404,  404,  404,  404,  403,  404,  404,  404, 403),  # 404: no figure
    # Coaching feedback: SDRs/BDRs read theirs, managers their team's; nobody else.
    # The data-subject page: admins and privacy officers for every team, managers for theirs.
    "/privacy/":                  (LOGIN, 403,  403,  403,  403,  403,  200,  403,  200,  200,  403,  200),
    "/coaching/":                 (LOGIN, 200,  200,  200,  403,  403,  200,  403,  200,  200,  200, 403),
}  # fmt: skip

# --- Pages and actions on one lead ----------------------------------------------------------

LEAD_MATRIX = {
    #                                 anon   sdr   sdr2  bdr   ae    ae2   mgr   mkt   admin o_mgr o_sdr privacy
    ("view", "sdr_lead"):            (LOGIN, 200,  404,  404,  404,  404,  200,  404,  200,  404,  404, 404),
    ("view", "pool"):                (LOGIN, 200,  200,  200,  404,  404,  200,  404,  200,  404,  404, 404),
    ("view", "handed"):              (LOGIN, 200,  404,  404,  200,  404,  200,  404,  200,  404,  404, 404),
    ("view", "other_team"):          (LOGIN, 404,  404,  404,  404,  404,  404,  404,  200,  200,  200, 404),

    ("edit_page", "sdr_lead"):       (LOGIN, 200,  404,  404,  404,  404,  200,  404,  200,  404,  404, 404),
    ("edit_page", "pool"):           (LOGIN, 403,  403,  403,  404,  404,  200,  404,  200,  404,  404, 404),
    ("edit_page", "handed"):         (LOGIN, 200,  404,  404,  403,  404,  200,  404,  200,  404,  404, 404),
    ("edit_page", "other_team"):     (LOGIN, 404,  404,  404,  404,  404,  404,  404,  200,  200,  200, 404),

    ("edit", "sdr_lead"):            (LOGIN, DONE, 404,  404,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("edit", "pool"):                (LOGIN, 403,  403,  403,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("edit", "handed"):              (LOGIN, DONE, 404,  404,  403,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("edit", "other_team"):          (LOGIN, 404,  404,  404,  404,  404,  404,  404,  DONE, DONE, DONE, 404),

    ("start_research", "sdr_lead"):  (LOGIN, DONE, 404,  404,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("start_research", "pool"):      (LOGIN, 403,  403,  403,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("accept", "handed"):            (LOGIN, 403,  404,  404,  DONE, 404,  403,  404,  DONE, 404,  404, 404),
    ("start_research", "other_team"):(LOGIN, 404,  404,  404,  404,  404,  404,  404,  DONE, DONE, DONE, 404),

    ("note", "sdr_lead"):            (LOGIN, DONE, 404,  404,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("note", "pool"):                (LOGIN, 403,  403,  403,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("note", "handed"):              (LOGIN, DONE, 404,  404,  DONE, 404,  DONE, 404,  DONE, 404,  404, 404),
    ("note", "other_team"):          (LOGIN, 404,  404,  404,  404,  404,  404,  404,  DONE, DONE, DONE, 404),

    ("call", "sdr_lead"):            (LOGIN, DONE, 404,  404,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("call", "pool"):                (LOGIN, 403,  403,  403,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("call", "handed"):              (LOGIN, DONE, 404,  404,  403,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("call", "other_team"):          (LOGIN, 404,  404,  404,  404,  404,  404,  404,  DONE, DONE, DONE, 404),

    ("checklist", "sdr_lead"):       (LOGIN, DONE, 404,  404,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("checklist", "pool"):           (LOGIN, 403,  403,  403,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("checklist", "handed"):         (LOGIN, DONE, 404,  404,  403,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("checklist", "other_team"):     (LOGIN, 404,  404,  404,  404,  404,  404,  404,  DONE, DONE, DONE, 404),

    # Claiming your own lead again is a harmless no-op; only SDRs and BDRs claim.
    # A team-mate's lead: the claimer hears who was first (the loser of a claim race).
    ("claim", "sdr_lead"):           (LOGIN, SAME, LIST, LIST, 404,  404,  403,  404,  403,  404,  404, 404),
    ("claim", "pool"):               (LOGIN, DONE, DONE, DONE, 404,  404,  403,  404,  403,  404,  404, 404),
    ("claim", "handed"):             (LOGIN, SAME, LIST, LIST,  403,  404,  403,  404,  403,  404,  404, 404),
    ("claim", "other_team"):         (LOGIN, 404,  404,  404,  404,  404,  404,  404,  403,  403,  SAME, 404),

    # Bulk assign to Alpha's sdr2. Only managers (and admins) may; leads out of the manager's
    # scope are ignored, an owner outside the manager's team is refused. The admin has no
    # team, so no SDR to choose from: refused with a message.
    ("bulk_assign", "sdr_lead"):     (LOGIN, 403,  403,  403,  403,  403,  DONE, 403,  SAME, SAME, 403, 403),
    ("bulk_assign", "pool"):         (LOGIN, 403,  403,  403,  403,  403,  DONE, 403,  SAME, SAME, 403, 403),
    ("bulk_assign", "handed"):       (LOGIN, 403,  403,  403,  403,  403,  DONE, 403,  SAME, SAME, 403, 403),
    ("bulk_assign", "other_team"):   (LOGIN, 403,  403,  403,  403,  403,  SAME, 403,  SAME, SAME, 403, 403),
}  # fmt: skip

# The REST API with a personal token of each role: the same scopes as the pages. DONE is a 200
# with the change made; anonymous is 401 (no login redirect). ("api_list", None) is the list.
API_MATRIX = {
    #                                 anon  sdr   sdr2  bdr   ae    ae2   mgr   mkt   admin o_mgr o_sdr privacy
    ("api_list", None):              (401,  200,  200,  200,  200,  200,  200,  403,  200,  200,  200, 403),
    ("api_view", "sdr_lead"):        (401,  200,  404,  404,  404,  404,  200,  404,  200,  404,  404, 403),
    ("api_view", "pool"):            (401,  200,  200,  200,  404,  404,  200,  404,  200,  404,  404, 403),
    ("api_view", "handed"):          (401,  200,  404,  404,  200,  404,  200,  404,  200,  404,  404, 403),
    ("api_view", "other_team"):      (401,  404,  404,  404,  404,  404,  404,  404,  200,  200,  200, 403),
    ("api_timeline", "handed"):      (401,  200,  404,  404,  200,  404,  200,  404,  200,  404,  404, 403),
    ("api_qualification", "pool"):   (401,  200,  200,  200,  404,  404,  200,  404,  200,  404,  404, 403),
    ("api_edit", "sdr_lead"):        (401,  DONE, 404,  404,  404,  404,  DONE, 404,  DONE, 404,  404, 403),
    ("api_edit", "pool"):            (401,  403,  403,  403,  404,  404,  DONE, 404,  DONE, 404,  404, 403),
    ("api_edit", "handed"):          (401,  DONE, 404,  404,  403,  404,  DONE, 404,  DONE, 404,  404, 403),
    ("api_edit", "other_team"):      (401,  404,  404,  404,  404,  404,  404,  404,  DONE, DONE, DONE, 403),
    ("api_start_research", "sdr_lead"): (401, DONE, 404, 404, 404,  404,  DONE, 404,  DONE, 404,  404, 403),
    ("api_start_research", "pool"):  (401,  403,  403,  403,  404,  404,  DONE, 404,  DONE, 404,  404, 403),
    ("api_start_research", "other_team"): (401, 404, 404, 404, 404, 404,  404,  404,  DONE, DONE, DONE, 403),
    ("api_accept", "handed"):        (401,  403,  404,  404,  DONE, 404,  403,  404,  DONE, 404,  404, 403),
}  # fmt: skip

# Creating a lead (POST /leads/new/).
CREATE = (LOGIN, DONE, DONE, DONE, 403, 403, DONE, 403, 403, DONE, DONE, 403)

# URLs that only take POST answer GET with 405 (and pages that only take GET answer POST so).
POST_ONLY = [
    "/leads/{id}/transition/start_research/",
    "/leads/{id}/notes/",
    "/cadences/leads/{id}/calls/",
    "/leads/{id}/checklist/",
    "/leads/{id}/claim/",
    "/leads/bulk-assign/",
    "/logout/",
    "/coaching/leads/{id}/",
]
GET_ONLY = [
    "/leads/",
    "/leads/{id}/",
    "/leads/overview/",
    "/dashboards/",
    "/dashboards/commission/export/csv/",
    "/coaching/",
]

assert all(
    len(row) == len(ROLES)
    for row in [*PAGES.values(), *LEAD_MATRIX.values(), *API_MATRIX.values(), CREATE]
)


@dataclass
class World:
    crew: object
    other_crew: object
    leads: dict

    def user(self, role):
        if role == "anon":
            return None
        if role.startswith("o_"):
            return getattr(self.other_crew, role.removeprefix("o_"))
        return getattr(self.crew, role)


@pytest.fixture
def world(crew, other_crew):
    handed = walk(crew.lead(owner="sdr"), "handed_off", ae=crew.ae)
    return World(
        crew=crew,
        other_crew=other_crew,
        leads={
            "sdr_lead": crew.lead(owner="sdr"),
            "pool": crew.lead(owner=None),
            "handed": handed,
            "other_team": other_crew.lead(owner="sdr"),
        },
    )


def _client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


def _snapshot(lead_id: int) -> dict:
    lead = Lead.objects.select_related("prospect").get(pk=lead_id)
    return {
        "state": lead.state,
        "owner": lead.owner_id,
        "ae": lead.assigned_ae_id,
        "version": lead.version,
        "updated_at": lead.updated_at,
        "role_known": lead.role_known,
        "first_name": lead.prospect.first_name,
        "lead_events": LeadEvent.objects.filter(lead_id=lead_id).count(),
        "all_events": LeadEvent.objects.count(),
        "leads": Lead.objects.count(),
    }


def _request(world: World, action: str, lead: Lead):
    """(method, path, data) for an action on a lead."""
    base = f"/leads/{lead.pk}/"
    if action == "view":
        return "get", base, None
    if action == "edit_page":
        return "get", base + "edit/", None
    if action == "edit":
        p = lead.prospect
        return "post", base + "edit/", {
            "first_name": "Edited", "last_name": p.last_name, "email": p.email,
            "title": p.title, "source": lead.source, "version": lead.version,
            "company_name": p.company.name, "company_website": p.company.website,
            "company_industry": p.company.industry, "company_country": p.company.country,
            "company_employee_count": p.company.employee_count,
        }  # fmt: skip
    if action in ("start_research", "accept"):
        return "post", f"{base}transition/{action}/", {"expected_state": lead.state}
    if action == "note":
        return "post", base + "notes/", {"body": "Called the switchboard."}
    if action == "call":
        # The lead page's call form posts to cadences: one path for a call, whichever page.
        path = f"/cadences/leads/{lead.pk}/calls/"
        return "post", path, {"outcome": "no_answer", "notes": "Rang twice."}
    if action == "checklist":
        return "post", base + "checklist/", {"item": "role_known", "done": "1"}
    if action == "claim":
        return "post", base + "claim/", {}
    if action == "bulk_assign":
        return "post", "/leads/bulk-assign/", {"lead": [lead.pk], "owner": world.crew.sdr2.pk}
    raise AssertionError(action)


def _assert_done(action: str, before: dict, after: dict, lead_id: int, user, world: World):
    """Exactly the one change the action makes, and its timeline entry."""
    last = LeadEvent.objects.filter(lead_id=lead_id).order_by("-id").first()
    assert last.actor_id == user.pk
    expected = dict(
        before, lead_events=before["lead_events"] + 1, all_events=before["all_events"] + 1
    )
    if action not in ("note", "call"):  # these only add to the timeline
        assert after["updated_at"] > before["updated_at"]
        expected.update(version=before["version"] + 1, updated_at=after["updated_at"])
    if action == "edit":
        expected.update(first_name="Edited")
        assert (last.kind, last.body) == (EventKind.EDIT, "Edited first name")
    elif action == "start_research":
        expected.update(state=LeadState.RESEARCHING)
        assert (last.kind, last.from_state, last.to_state) == ("transition", "new", "researching")
    elif action == "accept":
        expected.update(state=LeadState.ACCEPTED)
        assert (last.from_state, last.to_state) == ("handed_off", "accepted")
    elif action == "note":
        assert (last.kind, last.body) == (EventKind.NOTE, "Called the switchboard.")
    elif action == "call":
        assert (last.kind, last.payload["outcome"]) == (EventKind.CALL, "no_answer")
    elif action == "checklist":
        expected.update(role_known=True)
        assert last.kind == EventKind.CHECKLIST
        assert last.payload == {"item": "role_known", "done": True}
    elif action == "claim":
        expected.update(owner=user.pk)
        assert (last.kind, last.payload["to_owner_id"]) == (EventKind.ASSIGNMENT, user.pk)
    elif action == "bulk_assign":
        expected.update(owner=world.crew.sdr2.pk)
        assert last.kind == EventKind.ASSIGNMENT
        assert last.payload["to_owner_id"] == world.crew.sdr2.pk
    else:
        raise AssertionError(action)
    assert after == expected


def _cells(matrix):
    for key, row in matrix.items():
        for role, expected in zip(ROLES, row, strict=True):
            yield pytest.param(key, role, expected, id=f"{key}-{role}-{expected}")


@pytest.mark.parametrize(("path", "role", "expected"), _cells(PAGES))
def test_page(world, client, path, role, expected):
    response = _client_for(client, world.user(role)).get(path)

    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={path}")
    elif isinstance(expected, str):
        assert (response.status_code, response["Location"]) == (302, expected)
    else:
        assert response.status_code == expected


@pytest.mark.parametrize(
    ("key", "role", "expected"),
    [
        pytest.param(key, role, expected, id=f"{key[0]}-{key[1]}-{role}-{expected}")
        for key, row in LEAD_MATRIX.items()
        for role, expected in zip(ROLES, row, strict=True)
    ],
)
def test_lead_action(world, client, key, role, expected):
    action, lead_key = key
    lead = world.leads[lead_key]
    user = world.user(role)
    method, path, data = _request(world, action, lead)
    before = _snapshot(lead.pk)

    response = getattr(_client_for(client, user), method)(path, data or {})

    after = _snapshot(lead.pk)
    back = "/leads/" if action == "bulk_assign" else f"/leads/{lead.pk}/"
    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={path}")
    elif expected in (DONE, SAME):
        assert (response.status_code, response["Location"]) == (302, back)
    elif isinstance(expected, str):
        assert (response.status_code, response["Location"]) == (302, expected)
    else:
        assert response.status_code == expected
    if expected == DONE:
        _assert_done(action, before, after, lead.pk, user, world)
    else:
        assert after == before


@pytest.mark.parametrize(
    ("role", "expected"),
    [pytest.param(r, e, id=f"{r}-{e}") for r, e in zip(ROLES, CREATE, strict=True)],
)
def test_create_lead(world, client, role, expected):
    user = world.user(role)
    leads_before = set(Lead.objects.values_list("pk", flat=True))
    events_before = LeadEvent.objects.count()

    response = _client_for(client, user).post(
        "/leads/new/",
        {
            "first_name": "Nina",
            "last_name": "Ny",
            "email": "nina@ny.example",
            "source": "inbound",
            "company_name": "Ny AS",
        },
    )

    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (302, "/login/?next=/leads/new/")
    elif expected == DONE:
        (new,) = Lead.objects.exclude(pk__in=leads_before)
        assert (response.status_code, response["Location"]) == (302, f"/leads/{new.pk}/")
        team = user.team_id
        owner = user.pk if user.is_prospector else None
        assert (new.team_id, new.owner_id, new.state, new.source) == (team, owner, "new", "inbound")
        assert LeadEvent.objects.count() == events_before + 1
        return
    else:
        assert response.status_code == expected
    assert set(Lead.objects.values_list("pk", flat=True)) == leads_before
    assert LeadEvent.objects.count() == events_before


@pytest.mark.parametrize("path", POST_ONLY)
def test_get_on_post_only_url_is_405_and_changes_nothing(world, client, path):
    lead = world.leads["sdr_lead"]
    before = _snapshot(lead.pk)
    client.force_login(world.crew.sdr)

    response = client.get(path.format(id=lead.pk))

    assert response.status_code == 405
    assert _snapshot(lead.pk) == before


@pytest.mark.parametrize("path", GET_ONLY)
def test_post_on_get_only_page_is_405_and_changes_nothing(world, client, path):
    lead = world.leads["sdr_lead"]
    before = _snapshot(lead.pk)
    client.force_login(world.crew.manager)

    response = client.post(path.format(id=lead.pk), {"lead": [lead.pk], "owner": "pool"})

    assert response.status_code == 405
    assert _snapshot(lead.pk) == before


def _api_request(world: World, action: str, lead: Lead | None):
    if action == "api_list":
        return "get", "/api/leads/", None
    base = f"/api/leads/{lead.pk}/"
    if action == "api_view":
        return "get", base, None
    if action == "api_timeline":
        return "get", base + "timeline/", None
    if action == "api_qualification":
        return "get", base + "qualification/", None
    if action == "api_edit":
        return "patch", base, {"first_name": "Edited", "version": lead.version}
    name = action.removeprefix("api_")
    return "post", f"{base}transitions/{name}/", {"expected_state": lead.state}


@pytest.mark.parametrize(
    ("key", "role", "expected"),
    [
        pytest.param(key, role, expected, id=f"{key[0]}-{key[1]}-{role}-{expected}")
        for key, row in API_MATRIX.items()
        for role, expected in zip(ROLES, row, strict=True)
    ],
)
def test_api_action(world, key, role, expected):
    from rest_framework.test import APIClient

    action, lead_key = key
    lead = world.leads[lead_key] if lead_key else None
    user = world.user(role)
    client = APIClient()
    if user is not None:
        raw = api_token_for(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    method, path, data = _api_request(world, action, lead)
    before = _snapshot(lead.pk) if lead else None

    response = getattr(client, method)(path, data or {}, format="json")

    after = _snapshot(lead.pk) if lead else None
    assert response.status_code == (200 if expected == DONE else expected), response.content
    if expected == DONE:
        _assert_done(action.removeprefix("api_"), before, after, lead.pk, user, world)
        assert response.json()["id"] == lead.pk
    else:
        assert after == before


# --- The data-subject page (/privacy/): one person held by both teams ------------------------
# Cells: the teams whose row the request reaches ("A" Alpha, "B" Beta, "AB" both): the search
# lists them, the export holds them, the erasure erases them and leaves the other team's row
# exactly as it was; 403 and LOGIN change nothing.
SUBJECT_MATRIX = {
    #           anon   sdr  sdr2 bdr  ae   ae2  mgr  mkt  admin o_mgr o_sdr privacy
    "search":  (LOGIN, 403, 403, 403, 403, 403, "A", 403, "AB", "B", 403,  "AB"),
    "export":  (LOGIN, 403, 403, 403, 403, 403, "A", 403, "AB", "B", 403,  "AB"),
    "erase":   (LOGIN, 403, 403, 403, 403, 403, "A", 403, "AB", "B", 403,  "AB"),
}  # fmt: skip
SUBJECT_PATHS = {"search": "/privacy/", "export": "/privacy/export/", "erase": "/privacy/erase/"}
SUBJECT_EMAIL = "solveig.subject@shared.example"

assert all(len(row) == len(ROLES) for row in SUBJECT_MATRIX.values())


def _subject_rows(prospect_id: int) -> dict:
    from audit.models import AuditEntry
    from leads.models import Prospect

    p = Prospect.objects.get(pk=prospect_id)
    return {
        "name": (p.first_name, p.last_name, p.email, p.phone, p.title),
        "events": list(LeadEvent.objects.filter(lead__prospect=p).order_by("pk").values()),
        "audit": AuditEntry.objects.filter(target_id=str(p.pk)).count(),
    }


@pytest.mark.parametrize(
    ("action", "role", "expected"),
    [
        pytest.param(action, role, expected, id=f"{action}-{role}-{expected}")
        for action, row in SUBJECT_MATRIX.items()
        for role, expected in zip(ROLES, row, strict=True)
    ],
)
def test_data_subject_page(world, client, action, role, expected):
    import json

    from leads.models import Prospect
    from privacy.registry import ERASED_NAME

    held = {
        "A": world.crew.lead(owner="sdr", prospect__email=SUBJECT_EMAIL).prospect_id,
        "B": world.other_crew.lead(owner="sdr", prospect__email=SUBJECT_EMAIL).prospect_id,
    }
    before = {team: _subject_rows(pk) for team, pk in held.items()}
    path = SUBJECT_PATHS[action]
    data = {"email": SUBJECT_EMAIL.upper()}
    if action == "erase":
        data.update(confirm="erase", reason="DSR-17")

    response = _client_for(client, world.user(role)).post(path, data)

    reached = set(expected) if expected not in (LOGIN, 403) else set()
    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={path}")
    elif expected == 403:
        assert response.status_code == 403
    elif action == "search":
        assert response.status_code == 200
        assert sorted(p.pk for p in response.context["people"]) == sorted(held[t] for t in reached)
    elif action == "export":
        assert response.status_code == 200
        assert json.loads(response.content)["prospect_ids"] == sorted(held[t] for t in reached)
    else:
        assert (response.status_code, response["Location"]) == (302, "/privacy/")
    for team, pk in held.items():
        after = _subject_rows(pk)
        if action == "erase" and team in reached:
            assert after["name"] == (ERASED_NAME, "", None, "", "")
            assert after["audit"] == before[team]["audit"] + 1
        elif action == "export" and team in reached:
            assert after == dict(before[team], audit=before[team]["audit"] + 1)
        else:
            assert after == before[team]
    assert Prospect.objects.filter(email=SUBJECT_EMAIL).count() == 2 - (
        len(reached) if action == "erase" else 0
    )
