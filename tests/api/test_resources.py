"""The other REST resources (qualification, prospects and companies, cadences, enrollments,
tasks): what they answer, what they change, bad input; bounded query counts."""

# ruff: noqa: E501  (the tables of bad input and their messages read best one case a line)

import pytest

from cadences.models import Enrollment, Touch
from leads.models import Lead
from qualification.models import LeadAnswers
from tests.cadences.helpers import at, email, make_cadence, task
from tests.fixtures import walk

from .helpers import lead_state as _lead_state

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
    assert body["results"][0]["owner_id"] is None  # the team's
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
    "/api/tasks/": 6,  # the queue is read in two queries (cadences.selectors.today_queue)
    "/api/leads/{lead}/timeline/": 3,
}
