"""The REST resources: what they answer, what they change, and bad input (4xx, nothing changed)."""

# ruff: noqa: E501  (the tables of bad input and their messages read best one case a line)

import pytest

from cadences.models import Enrollment, Touch
from leads.models import Lead, LeadEvent, Prospect
from qualification.models import LeadAnswers
from tests.cadences.helpers import at, email, make_cadence, task
from tests.fixtures import walk


def _lead_state(lead_id):
    row = Lead.objects.filter(pk=lead_id).values("state", "version", "owner_id").get()
    return {**row, "events": LeadEvent.objects.filter(lead_id=lead_id).count()}


# --- Leads ------------------------------------------------------------------------------------


def test_lead_list_filters_like_the_page_and_pages_with_a_cursor(crew, api, other_crew):
    mine = [crew.lead() for _ in range(3)]
    walk(mine[0], "researching")
    crew.lead(owner="sdr2")  # a team-mate's: not visible
    other_crew.lead()  # another team's
    client = api(crew.sdr)

    everything = client.get("/api/leads/").json()
    researching = client.get("/api/leads/?state=researching").json()

    assert everything["count"] == 3
    assert [r["id"] for r in everything["results"]] == [m.pk for m in reversed(mine)]
    assert [r["id"] for r in researching["results"]] == [mine[0].pk]
    first = client.get("/api/leads/?page_size=2&sort=created").json()
    assert first["next"] is None  # page_size is not a lead list parameter: 50 a page
    assert first["count"] == 3


def test_lead_list_cursor_walks_every_row_once(crew, api, settings):
    settings.SDRCRM_LEAD_PAGE_SIZE = 2
    leads = [crew.lead() for _ in range(5)]
    client = api(crew.sdr)

    seen, url = [], "/api/leads/?sort=created"
    while url:
        page = client.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]

    assert seen == [lead.pk for lead in leads]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=flying", "state"),
        ("score_min=abc", "score_min"),
        ("score_max=101", "score_max"),
        ("created_from=yesterday", "created_from"),
        ("sort=random", "sort"),
        ("owner=somebody", "owner"),
    ],
)
def test_lead_list_refuses_a_bad_filter(crew, api, query, field):
    response = api(crew.sdr).get(f"/api/leads/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_forged_cursor_gives_the_first_page(crew, api):
    lead = crew.lead()
    response = api(crew.sdr).get("/api/leads/?cursor=!!not-base64!!")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [lead.pk]


def test_create_a_lead(crew, api):
    response = api(crew.sdr).post(
        "/api/leads/",
        {
            "first_name": "Nina",
            "last_name": "Ny",
            "email": "Nina@NY.example",
            "source": "inbound",
            "company_name": "Ny AS",
            "company_website": "https://www.ny.example/",
            "company_employee_count": 40,
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert (lead.owner_id, lead.state, lead.source) == (crew.sdr.pk, "new", "inbound")
    assert body["prospect"]["email"] == "nina@ny.example"
    assert body["prospect"]["company"]["domain"] == "ny.example"
    assert list(lead.events.values_list("kind", flat=True)) == ["created"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"first_name": ["This field is required."]}),
        ({"first_name": "A", "shoe_size": 44}, {"shoe_size": ["Unknown field."]}),
        ({"first_name": ["A"]}, {"first_name": ["Not a valid string."]}),
        ({"first_name": "A", "email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"first_name": "A", "source": "carrier pigeon"}, {"source": ['"carrier pigeon" is not a valid choice.']}),
        ({"first_name": "A", "company_employee_count": "many"}, {"company_employee_count": ["A valid integer is required."]}),
        ({"first_name": "A", "time_zone": "Mars/Olympus"}, {"time_zone": ["Time zone 'Mars/Olympus' is not a known time zone; use a name like Europe/Oslo."]}),
        ({"first_name": "A", "company_website": "not a domain"}, {"company_website": ["Website 'not a domain' is not a web address."]}),
    ],
)  # fmt: skip
def test_create_refuses_bad_input_and_changes_nothing(crew, api, body, errors):
    response = api(crew.sdr).post("/api/leads/", body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert Lead.objects.count() == 0
    assert Prospect.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"first_name": "A",', "The body is not valid JSON"),
        (b"[1, 2]", "The body must be a JSON object."),
        (b'"just a string"', "The body must be a JSON object."),
        (b"\xff\xfe", "The body is not valid JSON"),
    ],
)
def test_malformed_json_is_400(crew, api, raw, message):
    response = api(crew.sdr).post("/api/leads/", raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert Lead.objects.count() == 0


def test_a_body_over_the_limit_is_413(crew, api, settings):
    settings.SDRCRM_API_MAX_BODY = 1000
    body = b'{"first_name": "' + b"A" * 1000 + b'"}'

    response = api(crew.sdr).post("/api/leads/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "The body is larger than the limit of 1000 bytes."}
    assert Lead.objects.count() == 0


def test_other_content_types_are_415(crew, api):
    response = api(crew.sdr).post("/api/leads/", "first_name=A", content_type="text/plain")
    assert response.status_code == 415
    assert Lead.objects.count() == 0


def test_duplicate_email_is_a_clear_400(crew, api):
    lead = crew.lead()
    response = api(crew.sdr).post(
        "/api/leads/", {"first_name": "Again", "email": lead.prospect.email}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "email": [f"A lead for this email already exists (lead #{lead.pk})."]
    }


def test_partial_update_keeps_what_is_not_sent(crew, api):
    lead = crew.lead()
    prospect = lead.prospect

    response = api(crew.sdr).patch(
        f"/api/leads/{lead.pk}/", {"title": "CTO", "version": 1}, format="json"
    )

    assert response.status_code == 200
    prospect.refresh_from_db()
    assert (prospect.title, prospect.first_name, prospect.email) == (
        "CTO",
        lead.prospect.first_name,
        lead.prospect.email,
    )
    assert prospect.company.domain == lead.prospect.company.domain
    assert response.json()["version"] == 2
    event = lead.events.get()
    assert (event.kind, event.body) == ("edit", "Edited title")


def test_update_with_an_old_version_is_409_and_changes_nothing(crew, api):
    lead = walk(crew.lead(), "researching")
    before = _lead_state(lead.pk)

    response = api(crew.sdr).patch(
        f"/api/leads/{lead.pk}/", {"title": "CTO", "version": 1}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert (body["state"], body["version"]) == ("researching", 2)
    assert body["detail"].startswith("This lead was changed by ")
    assert _lead_state(lead.pk) == before
    assert Prospect.objects.get(pk=lead.prospect_id).title == "CEO"


def test_update_needs_the_version(crew, api):
    lead = crew.lead()
    response = api(crew.sdr).patch(f"/api/leads/{lead.pk}/", {"title": "CTO"}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"version": ["This field is required."]},
    )


def test_put_and_delete_are_405(crew, api):
    lead = crew.lead()
    client = api(crew.sdr)
    assert client.put(f"/api/leads/{lead.pk}/", {}, format="json").status_code == 405
    assert client.delete(f"/api/leads/{lead.pk}/").status_code == 405
    assert Lead.objects.filter(pk=lead.pk).exists()


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


# --- Qualification ----------------------------------------------------------------------------


def test_qualification_answers_are_saved_and_scored(crew, api):
    lead = walk(crew.lead(), "engaged")
    client = api(crew.sdr)

    response = client.post(
        f"/api/leads/{lead.pk}/qualification/",
        {"budget": 50000, "timeline": "this_quarter", "need": "confirmed", "fit": "yes"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    answers = LeadAnswers.objects.get(lead=lead)
    assert (answers.budget, answers.timeline, answers.need, answers.fit) == (
        50000,
        "this_quarter",
        "confirmed",
        "yes",
    )
    assert body["answers"]["budget"] == 50000
    assert body["score"] == Lead.objects.get(pk=lead.pk).score
    assert {f["factor"] for f in body["factors"]} >= {"size", "budget", "timeline", "need", "fit"}
    assert client.get(f"/api/leads/{lead.pk}/qualification/").json() == body


def test_qualification_decision_disqualifies(crew, api):
    lead = walk(crew.lead(), "engaged")

    response = api(crew.sdr).post(
        f"/api/leads/{lead.pk}/qualification/",
        {"decision": "disqualify", "disqualify_reason": "no_budget", "need": "none"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert (lead.state, lead.disqualify_reason) == ("disqualified", "no_budget")
    assert response.json()["state"] == "disqualified"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"timeline": "someday"}, {"timeline": ['"someday" is not a valid choice.']}),
        ({"budget": -1}, {"budget": ["Ensure this value is greater than or equal to 0."]}),
        ({"budget": "lots"}, {"budget": ["A valid integer is required."]}),
        ({"brief": {"mood": "good"}}, {"brief": {"mood": ["Unknown field."]}}),
        ({"decision": "maybe"}, {"decision": ['"maybe" is not a valid choice.']}),
    ],
)
def test_qualification_refuses_bad_input(crew, api, body, errors):
    lead = walk(crew.lead(), "engaged")
    before = _lead_state(lead.pk)

    response = api(crew.sdr).post(f"/api/leads/{lead.pk}/qualification/", body, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert _lead_state(lead.pk) == before
    assert not LeadAnswers.objects.filter(lead=lead).exists()


def test_qualification_of_a_closed_lead_is_409(crew, api):
    lead = walk(crew.lead(), "disqualified")
    response = api(crew.sdr).post(
        f"/api/leads/{lead.pk}/qualification/", {"need": "confirmed"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["state"] == "disqualified"


# --- Prospects, companies ---------------------------------------------------------------------


def test_prospects_and_companies_are_those_of_visible_leads(crew, other_crew, api):
    mine = crew.lead()
    theirs = other_crew.lead()
    client = api(crew.sdr)

    prospects = client.get("/api/prospects/").json()["results"]
    companies = client.get("/api/companies/").json()["results"]

    assert [p["id"] for p in prospects] == [mine.prospect_id]
    assert [c["id"] for c in companies] == [mine.prospect.company_id]
    assert client.get(f"/api/prospects/{theirs.prospect_id}/").status_code == 404
    assert client.get(f"/api/companies/{theirs.prospect.company_id}/").status_code == 404
    assert client.get(f"/api/prospects/{mine.prospect_id}/").json()["email"] == mine.prospect.email


def test_prospects_are_read_only(crew, api):
    lead = crew.lead()
    response = api(crew.sdr).post("/api/prospects/", {"first_name": "X"}, format="json")
    assert response.status_code == 405
    assert (
        api(crew.sdr).patch(f"/api/prospects/{lead.prospect_id}/", {}, format="json").status_code
        == 405
    )


# --- Cadences, enrollments, tasks -------------------------------------------------------------


@pytest.fixture
def cadence(crew):
    return make_cadence(crew.manager, [email(), task(day_offset=2)])


def test_cadences_of_the_team_with_steps(crew, other_crew, cadence, api):
    make_cadence(other_crew.manager, [email()], name="Theirs")

    body = api(crew.sdr).get("/api/cadences/").json()

    assert [c["id"] for c in body["results"]] == [cadence.pk]
    assert [s["channel"] for s in body["results"][0]["steps"]] == ["auto_email", "call"]
    assert api(crew.ae).get("/api/cadences/").json()["results"] == []
    assert api(crew.ae).get(f"/api/cadences/{cadence.pk}/").status_code == 404


def test_cadence_preview(crew, cadence, api):
    response = api(crew.sdr).get(
        f"/api/cadences/{cadence.pk}/preview/?start=2027-05-03T09:00:00%2B02:00&timezone=Europe/Oslo"
    )

    assert response.status_code == 200
    assert response.json() == [
        {"position": 1, "day": 1, "channel": "auto_email", "due": "2027-05-03T09:00:00+02:00"},
        # A task two business days later, at the start of the send window.
        {"position": 2, "day": 3, "channel": "call", "due": "2027-05-05T08:00:00+02:00"},
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("timezone=Europe/Oslo", "start"),
        ("start=tomorrow&timezone=Europe/Oslo", "start"),
        ("start=2027-05-03T09:00:00Z&timezone=Nowhere/Land", "timezone"),
        ("start=2027-05-03T09:00:00Z&timezone=UTC&country=NOR", "country"),
    ],
)
def test_cadence_preview_bad_query_is_400(crew, cadence, api, query, field):
    response = api(crew.sdr).get(f"/api/cadences/{cadence.pk}/preview/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_enroll_through_the_api(crew, cadence, api):
    lead = crew.lead()

    response = api(crew.sdr).post(
        "/api/enrollments/", {"lead_id": lead.pk, "cadence_id": cadence.pk}, format="json"
    )

    assert response.status_code == 201
    enrollment = Enrollment.objects.get()
    assert response.json()["id"] == enrollment.pk
    assert (enrollment.lead_id, enrollment.status) == (lead.pk, "active")
    assert Touch.objects.filter(enrollment=enrollment).count() == 2
    listed = api(crew.sdr).get("/api/enrollments/").json()["results"]
    assert [e["id"] for e in listed] == [enrollment.pk]
    assert api(crew.sdr2).get(f"/api/enrollments/{enrollment.pk}/").status_code == 404


def test_enrolling_someone_elses_lead_is_404_and_a_closed_one_409(crew, other_crew, cadence, api):
    theirs = other_crew.lead()
    closed = walk(crew.lead(), "disqualified")
    client = api(crew.sdr)

    r1 = client.post(
        "/api/enrollments/", {"lead_id": theirs.pk, "cadence_id": cadence.pk}, format="json"
    )
    r2 = client.post(
        "/api/enrollments/", {"lead_id": closed.pk, "cadence_id": cadence.pk}, format="json"
    )
    r3 = client.post("/api/enrollments/", {"lead_id": "x", "cadence_id": cadence.pk}, format="json")

    assert r1.status_code == 404
    assert (r2.status_code, r2.json()["state"]) == (409, "disqualified")
    assert (r3.status_code, r3.json()) == (400, {"lead_id": ["A valid integer is required."]})
    assert Enrollment.objects.count() == 0


def test_tasks_is_the_today_queue(crew, api, time_machine):
    time_machine.move_to(at(2027, 5, 3, 10, 0), tick=False)  # a Monday, in the send window
    cadence = make_cadence(crew.manager, [task()])
    lead = crew.lead()
    from tests.cadences.helpers import enroll

    enroll(crew.sdr, lead, cadence)
    from cadences.services import touch_mark_manual_due

    touch_mark_manual_due()

    body = api(crew.sdr).get("/api/tasks/").json()

    assert body["target"] == crew.sdr.daily_touch_target
    assert [(t["kind"], t["lead_id"]) for t in body["results"]] == [("touch", lead.pk)]
    assert api(crew.sdr2).get("/api/tasks/").json()["results"] == []


# --- Query counts do not grow with the rows ---------------------------------------------------


def _queries_for(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "path",
    [
        "/api/leads/",
        "/api/prospects/",
        "/api/companies/",
        "/api/cadences/",
        "/api/enrollments/",
        "/api/tasks/",
        "/api/leads/{lead}/timeline/",
    ],
)
def test_list_query_counts_are_bounded(crew, api, path, time_machine):
    time_machine.move_to(at(2027, 5, 3, 10, 0), tick=False)
    from tests.cadences.helpers import enroll

    client = api(crew.manager)
    client.get("/api/tasks/")  # the token's last-used time is written at most once a minute
    counts = []
    for n in (2, 6):
        for _ in range(n):
            cadence = make_cadence(crew.manager, [task(), task(day_offset=1)], name=f"C{_}-{n}")
            lead = crew.lead()
            enroll(crew.sdr, lead, cadence)
            walk_to = lead
        counts.append(_queries_for(client, path.format(lead=walk_to.pk)))
    assert counts[0] == counts[1] == EXPECTED_QUERIES[path], counts


# token (with user and team), then the page's own: e.g. the lead list counts and reads.
EXPECTED_QUERIES = {
    "/api/leads/": 3,
    "/api/prospects/": 2,
    "/api/companies/": 2,
    "/api/cadences/": 3,
    "/api/enrollments/": 2,
    "/api/tasks/": 5,
    "/api/leads/{lead}/timeline/": 3,
}
