"""/api/imports/: upload, start, progress and report, through tokens, within the user's scope."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from intake import services as intake_services
from intake.models import ImportChunk, ImportJob, ImportStatus
from leads.models import Lead
from tests.intake import test_upload_size
from tests.intake.files import messy_csv, people
from tests.intake.test_upload_size import CHUNK, Body, post

pytestmark = pytest.mark.django_db
spooled = test_upload_size.spooled  # a fixture


def upload(client, data: bytes, name="list.csv", **fields):
    return client.post(
        "/api/imports/", {"file": SimpleUploadedFile(name, data), **fields}, format="multipart"
    )


def test_upload_starts_with_the_proposed_mapping_and_reports(
    api, crew, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(intake_services.start, "_enqueue", sent.append)
    client = api(crew.marketing)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, messy_csv(), "messy.csv")
    assert response.status_code == 201, response.json()
    body = response.json()
    job_id = body["id"]
    assert (body["status"], body["file_format"], body["delimiter"], sent) == (
        "queued",
        "csv",
        ";",
        [job_id],
    )
    assert body["mapping"]["2"] == "email" and body["columns"][2] == "E-post"
    intake_services.import_run(job_id)
    body = client.get(f"/api/imports/{job_id}/").json()
    assert (
        body["status"],
        body["percent"],
        body["created_count"],
        body["duplicate_count"],
        body["rejected_count"],
    ) == ("done", 100, 4, 1, 3)
    issues = client.get(f"/api/imports/{job_id}/issues/").json()["results"]
    assert [(i["line"], i["reason"]) for i in issues] == [
        (5, "Email 'per.hansen(at)example.com' is not a valid address."),
        (7, "Number of employees 'mange' is not a whole number."),
        (10, "The email is empty."),
    ]
    dups = client.get(f"/api/imports/{job_id}/issues/?kind=duplicate").json()["results"]
    assert [d["line"] for d in dups] == [4]
    assert [j["id"] for j in client.get("/api/imports/").json()["results"]] == [job_id]


def test_upload_only_then_start_with_a_mapping(api, crew, monkeypatch):
    monkeypatch.setattr(intake_services.start, "_enqueue", lambda job_id: None)
    client = api(crew.manager)
    body = upload(client, people(3), start="false").json()
    assert body["status"] == "uploaded"
    bad = client.post(
        f"/api/imports/{body['id']}/start/", {"mapping": {"0": "first_name"}}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json() == {"mapping": ["Map a column to Email: it identifies each prospect."]}
    ok = client.post(
        f"/api/imports/{body['id']}/start/",
        {
            "mapping": {"0": "first_name", "2": "email"},
            "assignment": "one",
            "assignees": [crew.sdr.pk],
        },
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "queued"
    again = client.post(f"/api/imports/{body['id']}/start/", {}, format="json")
    assert again.status_code == 409
    assert again.json() == {"detail": "This import was already started (queued)."}
    intake_services.import_run(body["id"])
    assert set(Lead.objects.values_list("owner_id", flat=True)) == {crew.sdr.pk}


@pytest.mark.parametrize(
    ("data", "fields", "expected"),
    [
        (b"", {}, {"file": ["The submitted file is empty."]}),
        (
            b"\x00\x01" * 500,
            {},
            {
                "file": [
                    "This is not a spreadsheet: the file is binary. "
                    "Upload a CSV or XLSX file. Nothing was stored."
                ]
            },
        ),
        (
            b"First Name,Email\nA,a@b.no\n",
            {"source": "spam"},
            {"source": ['"spam" is not a valid choice.']},
        ),
        (b"First Name,Email\nA,a@b.no\n", {"colour": "red"}, {"colour": ["Unknown field."]}),
    ],
)
def test_bad_uploads_answer_400_and_store_nothing(api, crew, data, fields, expected):
    response = upload(api(crew.marketing), data, **fields)
    assert response.status_code == 400 and response.json() == expected
    assert ImportJob.objects.count() == 0


def test_scopes_and_roles(api, crew, other_crew, monkeypatch):
    monkeypatch.setattr(intake_services.start, "_enqueue", lambda job_id: None)
    mine = upload(api(crew.sdr), people(2)).json()["id"]
    theirs = upload(api(other_crew.manager), people(2, start=5)).json()["id"]
    assert api(crew.sdr2).get(f"/api/imports/{mine}/").status_code == 404
    assert api(crew.manager).get(f"/api/imports/{mine}/").status_code == 200
    assert api(crew.manager).get(f"/api/imports/{theirs}/").status_code == 404
    assert api(crew.manager).get(f"/api/imports/{theirs}/issues/").status_code == 404
    assert api(crew.ae).get("/api/imports/").status_code == 403
    assert upload(api(crew.ae), people(1)).status_code == 403
    assert api(None).get("/api/imports/").status_code == 401
    assert ImportJob.objects.filter(status=ImportStatus.QUEUED).count() == 2


def test_an_upload_over_the_limit_answers_413_as_json_and_stores_nothing(
    api, crew, settings, spooled
):
    client = api(crew.marketing)
    body = Body(None)
    response = post(client, "/api/imports/", body, declared=1_000_000_000)
    assert (response.status_code, response.json()) == (
        413,
        {
            "detail": "The file is 1.0 GB; the limit is 200 MB. Split it into smaller files. "
            "Nothing was stored."
        },
    )
    assert body.sent <= CHUNK + len(body.head)
    settings.SDRCRM_IMPORT_MAX_BYTES = 300_000
    body = Body(600_000)
    response = post(client, "/api/imports/", body, declared=len(body))
    assert (response.status_code, response.json()["detail"]) == (
        413,
        "The file is larger than the limit of 0.3 MB. Split it into smaller files. Nothing was "
        "stored.",
    )
    assert body.sent < 300_000 + CHUNK + len(body.head)
    tmp, made = spooled
    assert list(tmp.iterdir()) == []
    assert (ImportJob.objects.count(), ImportChunk.objects.count()) == (0, 0)
