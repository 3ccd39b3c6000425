"""Hostile input to the API and the inbound webhook: each answers a clear 4xx in JSON, never
a 500, and writes nothing (every row count unchanged)."""

# ruff: noqa: E501  (the tables of bad input and their messages read best one case a line)

import io
import json
import tempfile
import time
import zipfile

import openpyxl
import pytest

from api.services import inbound_secret_rotate
from api.signing import signed_headers
from cadences.models import Enrollment
from intake.models import ImportJob
from leads.models import Lead
from tests.cadences.helpers import email, make_cadence, task
from tests.fixtures import walk
from tests.hostile import deep_json, row_counts

DEPTH = "The JSON is nested deeper than 32 levels."
NUL_JSON = "The JSON holds a NUL character (\\u0000), which is refused."
NUL_QUERY = "The request holds a NUL character (\\x00), which is refused."
DATE_RANGE = "Enter a date between the years 2000 and 2100."


@pytest.fixture
def secret(crew):
    return inbound_secret_rotate(actor=crew.manager, team_id=crew.team.pk).secret


@pytest.fixture
def cadence(crew):
    return make_cadence(crew.manager, [email(), task(day_offset=2)])


def _webhook(client, team_id, body: bytes, headers: dict):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(
        f"/api/webhooks/inbound/{team_id}/", body, content_type="application/json", **extra
    )


# --- The inbound webhook (no login) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "signature", "message"),
    [
        ("²", None, "X-Sdrcrm-Timestamp must be a Unix time in seconds."),  # isdigit() but not int()
        ("١٧٦٤٣٠٠٠٠٠", None, "X-Sdrcrm-Timestamp must be a Unix time in seconds."),  # Arabic-Indic digits int() reads
        (" 1764300000", None, "X-Sdrcrm-Timestamp must be a Unix time in seconds."),
        (None, "v1=é", "The signature does not match the body."),  # compare_digest refuses non-ASCII str
        (None, "v1=abc,\u2028", "The signature does not match the body."),
    ],
)  # fmt: skip
def test_a_malformed_signature_header_is_401(crew, client, secret, timestamp, signature, message):
    body = json.dumps({"id": "evt_1", "type": "delivered"}).encode()
    headers = signed_headers(secret, body)
    if timestamp is not None:
        headers["X-Sdrcrm-Timestamp"] = timestamp
    if signature is not None:
        headers["X-Sdrcrm-Signature"] = signature
    before = row_counts()

    response = _webhook(client, crew.team.pk, body, headers)

    assert (response.status_code, response.json()) == (401, {"detail": message})
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (deep_json(5000), DEPTH),
        (deep_json(33), DEPTH),
        (b'{"id": "evt\\u0000", "type": "delivered"}', NUL_JSON),
        (b'{"id": "e", "type": "reply", "email": "pat@x.example", "body": "hi\\u0000"}', NUL_JSON),
        (b'{"id": "e", "type": "delivered", "email\\u0000": ""}', NUL_JSON),
        (b'{"id": "e", "type": "reply", "email": "pat@x.example", "body": "\xff"}', "The body is not valid JSON."),
    ],
)  # fmt: skip
def test_a_signed_event_too_deep_or_with_a_nul_is_400(crew, client, secret, body, message):
    before = row_counts()

    response = _webhook(client, crew.team.pk, body, signed_headers(secret, body, now=time.time()))

    assert (response.status_code, response.json()) == (400, {"detail": message})
    assert row_counts() == before


def test_a_webhook_nested_just_within_the_limit_is_read(crew, client, secret):
    """32 levels is still JSON the receiver reads (then refuses its unknown field)."""
    body = b'{"id": "e", "type": "delivered", "x": ' + deep_json(30) + b"}"

    response = _webhook(client, crew.team.pk, body, signed_headers(secret, body))

    assert (response.status_code, response.json()) == (400, {"detail": "Unknown field(s): x."})


def test_a_get_to_the_webhook_is_a_json_405(crew, client, secret):
    response = client.get(f"/api/webhooks/inbound/{crew.team.pk}/")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "POST"
    assert response.json() == {"detail": "Method not allowed."}


# --- JSON bodies of the API -------------------------------------------------------------------


def test_patch_nested_5000_deep_is_400_and_changes_nothing(crew, api):
    lead = crew.lead()
    before = row_counts()

    response = api(crew.sdr).patch(
        f"/api/leads/{lead.pk}/", deep_json(5000), content_type="application/json"
    )

    assert (response.status_code, response.json()) == (400, {"detail": DEPTH})
    assert row_counts() == before


@pytest.mark.parametrize(
    "body",
    [
        b'{"first_name": "Pat\\u0000"}',
        b'{"first_name": "Pat", "company_name": "\\u0000"}',
        b'{"first_name": "Pat", "\\u0000": 1}',
    ],
)
def test_a_nul_in_a_json_body_is_400_and_writes_nothing(crew, api, body):
    before = row_counts()

    response = api(crew.sdr).post("/api/leads/", body, content_type="application/json")

    assert (response.status_code, response.json()) == (400, {"detail": NUL_JSON})
    assert row_counts() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/leads/?q=%00",
        "/api/leads/?industry=a%00b",
        "/api/leads/?%00=1",
        "/api/prospects/?cursor=%00",
    ],
)
def test_a_nul_in_a_query_string_is_400(crew, api, path):
    response = api(crew.sdr).get(path)

    assert (response.status_code, response.json()) == (400, {"detail": NUL_QUERY})


def test_malformed_utf8_in_a_query_string_is_read_as_text(crew, api):
    """Django decodes a query string with replacement characters: a search, not a crash."""
    crew.lead()

    response = api(crew.sdr).get("/api/leads/?q=%ff%fe%c3")

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/api/leads/?owner=99999999999999999999", 400, {"owner": ["This value does not match the required pattern."]}),
        ("/api/leads/?score_min=99999999999999999999999", 400, {"score_min": ["Ensure this value is less than or equal to 100."]}),
        ("/api/leads/99999999999999999999/", 404, {"detail": "No such lead"}),
        ("/api/leads/99999999999999999999/timeline/", 404, {"detail": "No such lead"}),
        ("/api/enrollments/99999999999999999999/", 404, {"detail": "No Enrollment matches the given query."}),
        ("/api/cadences/99999999999999999999/preview/?start=2027-01-01T09:00:00Z&timezone=UTC", 404, {"detail": "No such cadence"}),
        ("/api/imports/99999999999999999999/issues/", 404, {"detail": "No such import."}),
    ],
)  # fmt: skip
def test_huge_integers_are_4xx(crew, api, path, status, body):
    response = api(crew.manager).get(path)

    assert (response.status_code, response.json()) == (status, body)


# --- JSON errors everywhere under /api/ -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/leads/abc/qualification/",
        "/api/leads/abc/",
        "/api/leads/-1/",
        "/api/leads/²/",
        "/api/cadences/1.5/preview/",
        "/api/nothing-here/",
    ],
)
def test_an_unknown_api_path_is_a_json_404(crew, api, path):
    response = api(crew.sdr).get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_anonymous_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/leads/abc/")

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_a_server_error_under_the_api_is_json(crew, api, monkeypatch):
    from api.views import today

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(today.cadence_selectors, "today_queue", broken)
    client = api(crew.sdr)
    client.raise_request_exception = False

    response = client.get("/api/tasks/")

    assert response.status_code == 500
    assert response.json() == {"detail": "Server error: the request could not be completed."}


# --- Transitions that take the lead out of the actor's scope ----------------------------------


def test_an_ae_reject_is_applied_and_answered_200(crew, api):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)

    response = api(crew.ae).post(
        f"/api/leads/{lead.pk}/transitions/reject/",
        {"reason": "No budget this year.", "expected_state": "handed_off"},
        format="json",
    )

    lead.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "id": lead.pk,
        "state": lead.state,
        "version": lead.version,
        "detail": "Done: you no longer see this lead.",
    }
    assert (lead.state, lead.rejection_reason, lead.assigned_ae_id) == (
        "engaged",
        "No budget this year.",
        None,
    )
    assert api(crew.ae).get(f"/api/leads/{lead.pk}/").status_code == 404


def test_an_ae_reject_without_a_reason_changes_nothing(crew, api):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    before = row_counts()

    response = api(crew.ae).post(f"/api/leads/{lead.pk}/transitions/reject/", {}, format="json")

    assert (response.status_code, response.json()) == (
        400,
        {"reason": ["Say why you reject the lead: the SDR reads it."]},
    )
    assert row_counts() == before


# --- Error keys name the API's input fields ---------------------------------------------------


def test_a_hand_off_to_someone_not_an_ae_names_ae_id(crew, api):
    lead = walk(crew.lead(), "qualified")
    before = row_counts()

    response = api(crew.sdr).post(
        f"/api/leads/{lead.pk}/transitions/hand_off/", {"ae_id": crew.sdr2.pk}, format="json"
    )

    assert (response.status_code, response.json()) == (
        400,
        {"ae_id": ["Choose an account executive of this team."]},
    )
    assert row_counts() == before


def test_a_qualification_without_the_brief_names_brief_dot_need(crew, api):
    lead = walk(crew.lead(), "engaged")
    before = row_counts()

    response = api(crew.sdr).post(
        f"/api/leads/{lead.pk}/qualification/",
        {"decision": "qualify", "override_reason": "Judgement.", "brief": {"budget": "10k"}},
        format="json",
    )

    assert (response.status_code, response.json()) == (
        400,
        {"brief.need": ["The hand-off brief needs the need."]},
    )
    assert row_counts() == before


def test_a_qualification_to_a_non_ae_names_ae_id(crew, api):
    lead = walk(crew.lead(), "engaged")
    brief = {k: "x" for k in ("need", "budget", "timeline", "decision_maker", "next_step")}
    before = row_counts()

    response = api(crew.sdr).post(
        f"/api/leads/{lead.pk}/qualification/",
        {
            "decision": "qualify",
            "override_reason": "Judgement.",
            "brief": brief,
            "ae_id": crew.sdr2.pk,
        },
        format="json",
    )

    assert (response.status_code, response.json()) == (
        400,
        {"ae_id": ["Choose an account executive of this team."]},
    )
    assert row_counts() == before


def test_an_enrollment_in_another_teams_cadence_names_cadence_id(crew, other_crew, api):
    foreign = make_cadence(other_crew.manager, [email()])
    lead = crew.lead()
    before = row_counts()

    response = api(crew.sdr).post(
        "/api/enrollments/", {"lead_id": lead.pk, "cadence_id": foreign.pk}, format="json"
    )

    assert (response.status_code, response.json()) == (
        400,
        {"cadence_id": ["Choose an active cadence of the lead's team."]},
    )
    assert row_counts() == before


# --- Dates out of range -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "errors"),
    [
        ("9999-12-31", {"start": [DATE_RANGE]}),
        ("0001-01-01", {"start": [DATE_RANGE]}),
        ("9999-12-31T23:59:59%2B14:00", {"start": [DATE_RANGE]}),
        ("0001-01-01T00:00:00-12:00", {"start": [DATE_RANGE]}),
        ("2101-01-01T00:00:00Z", {"start": [DATE_RANGE]}),
        ("1999-12-31T23:59:59Z", {"start": [DATE_RANGE]}),
    ],
)
def test_a_preview_start_out_of_range_is_400(crew, cadence, api, start, errors):
    response = api(crew.sdr).get(
        f"/api/cadences/{cadence.pk}/preview/?start={start}&timezone=Europe/Oslo"
    )

    assert (response.status_code, response.json()) == (400, errors)


def test_a_preview_start_without_an_offset_is_read_in_the_given_zone(crew, cadence, api):
    response = api(crew.sdr).get(
        f"/api/cadences/{cadence.pk}/preview/?start=2027-05-03T09:00:00&timezone=America/New_York"
    )

    assert response.status_code == 200
    assert response.json()[0] == {
        "position": 1,
        "day": 1,
        "channel": "auto_email",
        "due": "2027-05-03T09:00:00-04:00",
    }


def test_a_preview_start_with_an_offset_keeps_it(crew, cadence, api):
    response = api(crew.sdr).get(
        f"/api/cadences/{cadence.pk}/preview/?start=2027-05-03T15:00:00Z&timezone=America/New_York"
    )

    assert response.status_code == 200
    assert response.json()[0]["due"] == "2027-05-03T11:00:00-04:00"


@pytest.mark.parametrize(
    "start_at", ["9999-12-31T23:59:59Z", "9999-12-31T10:00:00", "0001-01-01T00:00:00Z", "2101-01-01T00:00:00Z"]
)  # fmt: skip
def test_an_enrollment_starting_out_of_range_is_400_and_writes_nothing(
    crew, cadence, api, start_at
):
    lead = crew.lead()
    before = row_counts()

    response = api(crew.sdr).post(
        "/api/enrollments/",
        {"lead_id": lead.pk, "cadence_id": cadence.pk, "start_at": start_at},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"start_at": [DATE_RANGE]}
    assert row_counts() == before
    assert Enrollment.objects.count() == 0
    assert Lead.objects.get(pk=lead.pk).state == "new"


@pytest.mark.parametrize("param", ["created_from", "created_to"])
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_a_lead_list_date_out_of_range_is_400(crew, api, param, value):
    response = api(crew.sdr).get(f"/api/leads/?{param}={value}")

    assert (response.status_code, response.json()) == (400, {param: [DATE_RANGE]})


def test_a_nurture_date_out_of_range_is_400(crew, api):
    lead = crew.lead()
    before = row_counts()

    response = api(crew.sdr).post(
        f"/api/leads/{lead.pk}/transitions/nurture/", {"recycle_on": "9999-12-31"}, format="json"
    )

    assert (response.status_code, response.json()) == (400, {"recycle_on": [DATE_RANGE]})
    assert row_counts() == before


# --- Imports ----------------------------------------------------------------------------------


def _xlsx_with_bad_properties() -> bytes:
    """A workbook whose docProps/core.xml holds an invalid date: openpyxl's error names the
    temporary file it read from, which must not reach the client."""
    wb = openpyxl.Workbook()
    wb.active.append(["email", "first_name"])
    wb.active.append(["pat@fjord.example", "Pat"])
    buffer = io.BytesIO()
    wb.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = data.replace(
                    b'<dcterms:created xsi:type="dcterms:W3CDTF">',
                    b'<dcterms:created xsi:type="dcterms:W3CDTF">not-a-date',
                )
            z.writestr(info.filename, data)
    return out.getvalue()


def test_an_unreadable_xlsx_is_400_without_the_servers_file_path(crew, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("list.xlsx", _xlsx_with_bad_properties())
    before = row_counts()

    response = api(crew.manager).post("/api/imports/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    [message] = response.json()["file"]
    assert message == (
        "This XLSX file cannot be read: it is damaged or not an Excel workbook. Open it in Excel "
        "and save it again, or save it as CSV and upload that. Nothing was stored."
    )
    assert tempfile.gettempdir() not in message
    assert row_counts() == before


def test_a_new_imports_phase_is_empty_and_the_schema_allows_it(crew, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("list.csv", b"email,first_name\npat@fjord.example,Pat\n")
    response = api(crew.manager).post(
        "/api/imports/", {"file": upload, "start": "false"}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["phase"] == ""
    assert ImportJob.objects.get().phase == ""

    schema = api(crew.manager).get("/api/schema/?format=json").json()
    phase = schema["components"]["schemas"]["ImportOut"]["properties"]["phase"]
    enums = [schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]["enum"] for ref in phase["oneOf"]]  # fmt: skip
    assert sorted(sum(enums, [])) == ["", "check", "scan", "write"]


def test_an_import_mapping_with_a_non_ascii_column_is_400(crew, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("list.csv", b"email,first_name\npat@fjord.example,Pat\n")
    job = (
        api(crew.manager)
        .post("/api/imports/", {"file": upload, "start": "false"}, format="multipart")
        .json()
    )

    response = api(crew.manager).post(
        f"/api/imports/{job['id']}/start/",
        {"mapping": {"0": "email", "1": "first_name", "²": "last_name"}},
        format="json",
    )

    assert (response.status_code, response.json()) == (
        400,
        {"mapping": ["The mapping names a column the file does not have."]},
    )
    assert ImportJob.objects.get().status == "uploaded"


def test_a_failed_imports_message_never_shows_a_temporary_path():
    from api.imports import without_paths

    path = f"{tempfile.gettempdir()}/tmpabc123.xlsx"

    assert without_paths(f"could not read properties from {path}.\nMore.") == (
        "could not read properties from the file.\nMore."
    )
    assert without_paths(f"No such file: '{path}'") == "No such file: the file"
