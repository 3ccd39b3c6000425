"""Hostile input to the pages and the public web form: a clear 4xx or the page with the
field's error, never a 500, and nothing written (every row count unchanged)."""

# ruff: noqa: E501  (the tables of bad input read best one case a line)

from urllib.parse import urlencode

import pytest

from intake.models import WebForm
from tests.cadences.helpers import email, make_cadence, task
from tests.hostile import row_counts

pytestmark = pytest.mark.django_db

NUL_QUERY = "The request holds a NUL character (\\x00), which is refused."
DATE_RANGE = "Enter a date between the years 2000 and 2100."


# --- The public web form (no login) -----------------------------------------------------------


@pytest.fixture
def webform(crew):
    return WebForm.objects.create(team=crew.team, name="Contact us")


URLENCODED = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("field", ["first_name", "email", "company", "message", "_gotcha", "extra"])
def test_a_nul_in_a_urlencoded_web_form_is_400_and_stores_nothing(client, webform, field):
    body = urlencode({"first_name": "Kari", "email": "kari@fjord.example", field: "Kari\x00"})
    before = row_counts()

    response = client.post(
        f"/in/{webform.token}/", body, content_type=URLENCODED, REMOTE_ADDR="203.0.113.9"
    )

    assert response.status_code == 400
    assert f"<p>{NUL_QUERY}</p>" in response.content.decode()
    assert row_counts() == before


def test_a_nul_in_a_urlencoded_web_form_asking_for_json_is_a_json_400(client, webform):
    before = row_counts()

    response = client.post(
        f"/in/{webform.token}/",
        urlencode({"first_name": "Kari\x00", "email": "kari@fjord.example"}),
        content_type=URLENCODED,
        HTTP_ACCEPT="application/json",
        REMOTE_ADDR="203.0.113.9",
    )

    assert (response.status_code, response.json()) == (400, {"detail": NUL_QUERY})
    assert row_counts() == before


@pytest.mark.parametrize("field", ["first_name", "email", "company", "message"])
def test_a_nul_in_a_multipart_web_form_field_is_400_and_stores_nothing(client, webform, field):
    """A multipart body is read by the view (not the guard): the capture refuses it."""
    data = {"first_name": "Kari", "email": "kari@fjord.example", field: "Kari\x00x"}
    before = row_counts()

    response = client.post(  # the test client encodes a dict as multipart/form-data
        f"/in/{webform.token}/", data, HTTP_ACCEPT="application/json", REMOTE_ADDR="203.0.113.9"
    )

    assert (response.status_code, response.json()) == (
        400,
        {"ok": False, "error": f"The field '{field}' holds a NUL character."},
    )
    assert row_counts() == before


def test_a_nul_in_the_honeypot_of_a_multipart_web_form_stores_nothing(client, webform):
    before = row_counts()

    response = client.post(
        f"/in/{webform.token}/",
        {"first_name": "Kari", "email": "kari@fjord.example", "_gotcha": "\x00"},
        HTTP_ACCEPT="application/json",
        REMOTE_ADDR="203.0.113.9",
    )

    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert row_counts() == before


# --- NUL in a query string or a form body of a page -------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/leads/?q=%00", "/dashboards/?source=%00", "/today/?sdr=%00", "/cadences/?archived=%00", "/dashboards/leads/?figure=a%00"],
)  # fmt: skip
def test_a_nul_in_a_pages_query_string_is_400(crew, client, path):
    client.force_login(crew.manager)

    response = client.get(path)

    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_nul_in_a_urlencoded_note_is_400_and_writes_nothing(crew, client):
    lead = crew.lead()
    client.force_login(crew.sdr)
    before = row_counts()

    response = client.post(
        f"/leads/{lead.pk}/notes/",
        "body=Called%00back",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert row_counts() == before


def test_a_nul_in_a_multipart_note_is_refused_by_its_form(crew, client):
    lead = crew.lead()
    client.force_login(crew.sdr)
    before = row_counts()

    response = client.post(f"/leads/{lead.pk}/notes/", {"body": "Called\x00back"})

    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert row_counts() == before


def test_malformed_utf8_in_a_pages_query_string_is_read_as_text(crew, client):
    crew.lead()
    client.force_login(crew.sdr)

    response = client.get("/leads/?q=%ff%fe%c3")

    assert response.status_code == 200


# --- Ids that str.isdigit() accepts but int() does not ----------------------------------------


def test_a_non_ascii_digit_sdr_on_today_is_ignored(crew, client):
    client.force_login(crew.manager)

    assert client.get("/today/?sdr=²").status_code == 200
    assert client.get("/today/?sdr=99999999999999999999").status_code == 200  # no such id


def test_a_non_ascii_digit_cadence_on_the_dashboard_is_ignored(crew, client):
    client.force_login(crew.manager)

    assert client.get("/dashboards/cadences/?a=²&b=٣").status_code == 200


def test_holiday_for_a_junk_owner_is_404_and_changes_nothing(crew, client):
    client.force_login(crew.manager)
    before = row_counts()

    response = client.post("/cadences/holiday/", {"owner": "abc"})

    assert response.status_code == 404
    assert row_counts() == before


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "-1"])
def test_bulk_assign_with_junk_lead_ids_changes_nothing(crew, client, value):
    lead = crew.lead(owner=None)
    client.force_login(crew.manager)
    before = row_counts()

    response = client.post("/leads/bulk-assign/", {"lead": [value], "owner": crew.sdr.pk})

    assert response.status_code == 302
    assert row_counts() == before
    lead.refresh_from_db()
    assert lead.owner_id is None


def test_marking_junk_notification_ids_read_is_a_redirect(crew, client):
    client.force_login(crew.ae)

    response = client.post("/qualification/notifications/", {"id": ["²", "abc"]})

    assert response.status_code == 302


# --- Dates out of range -----------------------------------------------------------------------

DASHBOARDS = [
    "/dashboards/",
    "/dashboards/activity/",
    "/dashboards/commission/",
    "/dashboards/cadences/",
    "/dashboards/time-in-stage/",
    "/dashboards/leads/?figure=call&",
]


@pytest.mark.parametrize("page", DASHBOARDS)
@pytest.mark.parametrize(
    "query",
    ["end=0001-01-01", "start=0001-01-01", "end=9999-12-31", "start=0001-01-01&end=9999-12-31"],
)
def test_a_dashboard_date_out_of_range_does_not_overflow(crew, client, page, query):
    client.force_login(crew.manager)
    sep = "" if page.endswith("&") else "?"

    response = client.get(f"{page}{sep}{query}")

    # A wrong filter is the page with its errors and no figures (tests/dashboards).
    assert response.status_code == 400
    assert response.context["form"].errors[query.split("=")[0]] == [DATE_RANGE]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("query", ["end=0001-01-01", "start=9999-12-31"])
def test_a_commission_export_with_a_date_out_of_range_is_400(crew, client, fmt, query):
    client.force_login(crew.manager)

    response = client.get(f"/dashboards/commission/export/{fmt}/?{query}")

    # A download with a wrong filter is refused, never a file of the default period.
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "created_to=0001-01-01",
        "created_from=9999-12-31",
        "created_from=0001-01-01&created_to=9999-12-31",
    ],
)
def test_a_lead_list_date_out_of_range_is_a_field_error(crew, client, query):
    crew.lead()
    client.force_login(crew.sdr)

    response = client.get(f"/leads/?{query}")

    assert response.status_code == 200
    assert DATE_RANGE in response.content.decode()


@pytest.mark.parametrize("start", ["9999-12-31T10:00", "0001-01-01T00:00", "9999-12-31"])
def test_the_cadence_page_with_a_start_out_of_range_shows_the_error(crew, client, start):
    cadence = make_cadence(crew.manager, [email(), task(day_offset=2)])
    client.force_login(crew.sdr)

    response = client.get(f"/cadences/{cadence.pk}/?start={start}&timezone=Europe/Oslo")

    assert response.status_code == 200
    assert DATE_RANGE in response.content.decode()


def test_a_reminder_out_of_range_is_refused(crew, client):
    lead = crew.lead()
    client.force_login(crew.sdr)
    before = row_counts()

    response = client.post(
        f"/cadences/leads/{lead.pk}/reminders/", {"due_at": "9999-12-31T10:00", "note": "Call"}
    )

    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert row_counts() == before
