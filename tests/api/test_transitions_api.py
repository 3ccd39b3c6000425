"""Transitions and the timeline through the API; bad input (4xx, nothing changed)."""

# ruff: noqa: E501  (the tables of bad input and their messages read best one case a line)

import pytest

from leads.models import Lead
from tests.fixtures import walk

from .helpers import lead_state as _lead_state

# --- Transitions ------------------------------------------------------------------------------


def test_a_transition_moves_the_lead(crew, api):
    lead = crew.lead()

    response = api(crew.sdr).post(
        f"/api/leads/{lead.pk}/transitions/start_research/",
        {"expected_state": "new"},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["version"]) == ("researching", 2)
    event = lead.events.get()
    assert (event.kind, event.actor_id, event.from_state, event.to_state) == (
        "transition",
        crew.sdr.pk,
        "new",
        "researching",
    )


def test_a_transition_not_possible_now_is_409_with_the_current_state(crew, api):
    lead = crew.lead()
    before = _lead_state(lead.pk)

    response = api(crew.sdr).post(f"/api/leads/{lead.pk}/transitions/qualify/", {}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This action is not possible while the lead is New.",
        "state": "new",
        "version": 1,
    }
    assert _lead_state(lead.pk) == before


def test_a_lead_moved_meanwhile_is_409(crew, api):
    lead = walk(crew.lead(), "researching")
    before = _lead_state(lead.pk)

    response = api(crew.manager).post(
        f"/api/leads/{lead.pk}/transitions/start_contacting/",
        {"expected_state": "new"},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert (body["state"], body["version"]) == ("researching", 2)
    assert body["detail"].startswith("This lead was moved from New to Researching by ")
    assert _lead_state(lead.pk) == before


def test_an_unknown_transition_is_404(crew, api):
    lead = crew.lead()
    response = api(crew.sdr).post(f"/api/leads/{lead.pk}/transitions/teleport/", {}, format="json")
    assert (response.status_code, response.json()) == (404, {"detail": "No transition 'teleport'."})


@pytest.mark.parametrize(
    ("name", "body", "errors"),
    [
        ("disqualify", {}, {"reason": ["Choose a reason for disqualifying."]}),
        ("disqualify", {"reason": "other"}, {"note": ["Describe the reason when you choose 'Other'."]}),
        ("nurture", {"recycle_on": "2001-01-01"}, {"recycle_on": ["Choose a recycle date in the future."]}),
        ("nurture", {"recycle_on": "soon"}, {"recycle_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ("start_research", {"expected_state": "sideways"}, {"expected_state": ['"sideways" is not a valid choice.']}),
        ("start_research", {"force": True}, {"force": ["Unknown field."]}),
    ],
)  # fmt: skip
def test_a_transition_with_bad_parameters_is_400(crew, api, name, body, errors):
    lead = crew.lead()
    before = _lead_state(lead.pk)

    response = api(crew.sdr).post(f"/api/leads/{lead.pk}/transitions/{name}/", body, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert _lead_state(lead.pk) == before


def test_hand_off_through_the_api(crew, api):
    lead = walk(crew.lead(), "qualified")

    response = api(crew.sdr).post(
        f"/api/leads/{lead.pk}/transitions/hand_off/",
        {"ae_id": crew.ae.pk, "brief": "Wants a demo."},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["assigned_ae_id"]) == (
        "handed_off",
        crew.ae.pk,
    )
    assert response.json()["handoff_brief"] == "Wants a demo."


def test_session_auth_needs_the_csrf_token(crew):
    from rest_framework.test import APIClient

    lead = crew.lead()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(crew.sdr)

    assert client.get(f"/api/leads/{lead.pk}/").status_code == 200
    response = client.post(f"/api/leads/{lead.pk}/transitions/start_research/", {}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Lead.objects.get(pk=lead.pk).state == "new"


# --- Timeline ---------------------------------------------------------------------------------


def test_timeline_pages_newest_first(crew, api):
    lead = walk(crew.lead(), "engaged")
    client = api(crew.sdr)

    first = client.get(f"/api/leads/{lead.pk}/timeline/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert [e["to_state"] for e in first["results"]] == ["engaged", "contacting"]
    assert [e["to_state"] for e in second["results"]] == ["researching"]
    assert second["next"] is None


def test_a_forged_timeline_cursor_is_400_not_500(crew, api):
    lead = crew.lead()
    response = api(crew.sdr).get(f"/api/leads/{lead.pk}/timeline/?cursor=garbage")
    assert (response.status_code, response.json()) == (400, {"cursor": ["Invalid cursor."]})
