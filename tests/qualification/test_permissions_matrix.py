"""Who may open which qualification page and make which change, in the style of
tests/test_permissions_matrix.py: the people of team Alpha (``crew``) plus Beta's manager and
SDR, against four leads (sdr_lead: engaged, owned by Alpha's sdr; pool: new, unassigned;
handed: handed off by Alpha's sdr to Alpha's ae; other_team: engaged, owned by Beta's sdr).

Cells: LOGIN (302 to the login page), 200, 403, 404, DONE (302 and the change was made), or a
path (302 there). A refused POST leaves the lead and every qualification row as they were."""

# ruff: noqa: E501  (the policy tables are wider than 100 columns, one role a column)

import pytest

from leads.models import Lead, LeadState
from tests.qualification.conftest import BRIEF, company_lead, qualification_snapshot

ROLES = (
    "anon", "sdr", "sdr2", "bdr", "ae", "ae2", "manager", "marketing", "admin",
    "o_manager", "o_sdr", "privacy",
)  # fmt: skip
LOGIN, DONE = "LOGIN", "DONE"

PAGES = {
    #                                      anon   sdr  sdr2 bdr  ae   ae2  mgr  mkt  admin o_mgr o_sdr privacy
    "/qualification/model/":              (LOGIN, 403, 403, 403, 403, 403, 200, 403, 403, 200, 403, 403),
    "/qualification/queue/":              (LOGIN, 403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403),
    "/qualification/handoffs/":           (LOGIN, 200, 200, 200, 403, 403, 200, 403, 403, 200, 200, 403),
    # Notifications: every role of the sales work; a privacy officer has none.
    "/qualification/notifications/":      (LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403),
    "/qualification/notifications/badge/": (LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403),
}  # fmt: skip

LEAD = "LEAD"  # 302 to the lead's own page
QUEUE = "/qualification/queue/"
# (method, path template, lead): cells
LEAD_MATRIX = {
    #                                                   anon   sdr   sdr2  bdr   ae    ae2   mgr   mkt   admin o_mgr o_sdr privacy
    ("GET", "/qualification/leads/{}/", "sdr_lead"):    (LOGIN, 200,  404,  404,  404,  404,  200,  404,  200,  404,  404, 404),
    ("GET", "/qualification/leads/{}/", "pool"):        (LOGIN, 403,  403,  403,  404,  404,  200,  404,  200,  404,  404, 404),
    ("GET", "/qualification/leads/{}/", "handed"):      (LOGIN, LEAD, 404,  404,  403,  404,  LEAD, 404,  LEAD, 404,  404, 404),
    ("GET", "/qualification/leads/{}/", "other_team"):  (LOGIN, 404,  404,  404,  404,  404,  404,  404,  200,  200,  200, 404),
    ("GET", "/qualification/leads/{}/preview/", "sdr_lead"): (LOGIN, 200, 404, 404, 404, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "/qualification/leads/{}/", "sdr_lead"):   (LOGIN, DONE, 404,  404,  404,  404,  DONE, 404,  DONE, 404,  404, 404),
    ("POST", "/qualification/leads/{}/", "pool"):       (LOGIN, 403,  403,  403,  404,  404,  400,  404,  400,  404,  404, 404),
    ("POST", "/qualification/leads/{}/accept/", "handed"): (LOGIN, 403, 404, 404, DONE, 404, 403,  404,  DONE, 404,  404, 404),
    ("POST", "/qualification/leads/{}/reject/", "handed"): (LOGIN, 403, 404, 404, DONE, 404, 403,  404,  DONE, 404,  404, 404),
}  # fmt: skip

QUALIFY = {
    "action": "decide", "decision": "qualify", "budget": "150000", "timeline": "this_quarter",
    "authority": "decision_maker", "need": "confirmed", "fit": "yes", "ae": "route",
    "brief_need": BRIEF.need, "brief_budget": BRIEF.budget, "brief_timeline": BRIEF.timeline,
    "brief_decision_maker": BRIEF.decision_maker, "brief_next_step": BRIEF.next_step,
    "reason": "Not for us", "reason_code": "not_qualified",
}  # fmt: skip


def _user(crew, other_crew, role):
    if role == "anon":
        return None
    if role.startswith("o_"):
        return getattr(other_crew, role[2:])
    return getattr(crew, role)


@pytest.fixture
def leads(crew, other_crew, model):
    from qualification.models import ScoringModel
    from qualification.scoring import DEFAULT_CONFIG

    ScoringModel.objects.create(team=other_crew.team, version=1, config=DEFAULT_CONFIG)
    return {
        "sdr_lead": company_lead(crew, "engaged"),
        "pool": company_lead(crew, "new", owner=None),
        "handed": company_lead(crew, "handed_off"),
        "other_team": company_lead(other_crew, "engaged"),
    }


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_pages(crew, other_crew, client, path, role):
    expected = PAGES[path][ROLES.index(role)]
    user = _user(crew, other_crew, role)
    if user is not None:
        client.force_login(user)

    response = client.get(path)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("row", LEAD_MATRIX, ids=lambda r: f"{r[0]} {r[1]} {r[2]}")
@pytest.mark.parametrize("role", ROLES)
def test_lead_pages_and_actions(crew, other_crew, leads, client, row, role):
    method, template, which = row
    expected = LEAD_MATRIX[row][ROLES.index(role)]
    lead = leads[which]
    path = template.format(lead.pk)
    user = _user(crew, other_crew, role)
    if user is not None:
        client.force_login(user)
    before = qualification_snapshot(lead.pk)

    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, {**QUALIFY, "expected_state": lead.state})

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    elif expected == LEAD:
        assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    elif expected == DONE:
        assert response.status_code == 302
        state = Lead.objects.get(pk=lead.pk).state
        assert (
            state
            == {
                "/qualification/leads/{}/": LeadState.HANDED_OFF,
                "/qualification/leads/{}/accept/": LeadState.ACCEPTED,
                "/qualification/leads/{}/reject/": LeadState.ENGAGED,
            }[template]
        )
        return
    else:
        assert response.status_code == expected
    if method == "POST":
        assert qualification_snapshot(lead.pk) == before
