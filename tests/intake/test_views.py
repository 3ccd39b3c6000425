"""Import pages, web-form pages and the public capture endpoint, through the test client."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from intake import services
from intake.models import ImportJob, ImportStatus, InboundCapture, WebForm
from leads.models import EventKind, Lead, LeadEvent, LeadSource
from tests.factories import LeadFactory, ProspectFactory
from tests.html import parse

from .conftest import run_import, upload
from .files import messy_csv, people

pytestmark = pytest.mark.django_db


def test_marketing_uploads_maps_and_starts_an_import(
    client, crew, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(services.start, "_enqueue", sent.append)
    client.force_login(crew.marketing)
    assert client.get("/imports/").status_code == 200
    response = client.post("/imports/", {"file": SimpleUploadedFile("messy.csv", messy_csv())})
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/"
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Map the columns of messy.csv" in page
    assert 'name="col_2"' in page and '<option value="email" selected>' in page
    assert "kari.nordmann@fjordkraft.no" in page  # the preview, normalised
    assert "Email &#x27;per.hansen(at)example.com&#x27; is not a valid address." in page
    assert page.count('<span class="badge warn">Duplicate</span>') == 1
    assert "Same person as line 2" in page
    form = {f"col_{i}": f for i, f in job.mapping.items()} | {
        "header_row": "1",
        "source": "marketing_list",
        "assignment": "unassigned",
        "duplicates": "skip",
        "all_or_nothing": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/start/", form)
    assert response["Location"] == f"/imports/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, sent) == (ImportStatus.QUEUED, [job.pk])
    # A second click changes nothing and enqueues nothing.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/start/", form)
    assert response.status_code == 302 and sent == [job.pk]
    services.import_run(job.pk)
    fragment = client.get(f"/imports/{job.pk}/?fragment=progress", HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "hx-trigger" not in text  # finished: the page stops polling
    assert "Finished" in text and "Download the rejected rows (CSV)" in text


def test_the_progress_fragment_polls_while_the_import_runs(client, crew):
    job = upload(crew.marketing, people(3))
    services.import_start(
        actor=None, job_id=job.pk, options=services.ImportOptions(mapping=job.mapping)
    )
    client.force_login(crew.marketing)
    text = client.get(
        f"/imports/{job.pk}/?fragment=progress", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'hx-trigger="every 1s"' in text and "Waiting for a worker" in text


def test_mapping_errors_are_shown_and_nothing_starts(client, crew):
    job = upload(crew.marketing, people(3))
    client.force_login(crew.marketing)
    response = client.post(
        f"/imports/{job.pk}/start/",
        {
            "col_0": "first_name",
            "header_row": "1",
            "source": "marketing_list",
            "assignment": "unassigned",
            "duplicates": "skip",
            "all_or_nothing": "0",
        },
    )
    assert response.status_code == 400
    assert "Map a column to Email: it identifies each prospect." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\x00\x01\x02" * 1000, "This is not a spreadsheet: the file is binary."),
        (
            b"First Name,Email\n" + b",".join([b"x"] * 10_000) + b"\n",
            "Line 2 has 10,000 columns; the limit is 200.",
        ),
    ],
)
def test_bad_uploads_get_a_clear_message_and_store_nothing(client, crew, content, message):
    client.force_login(crew.marketing)
    response = client.post("/imports/", {"file": SimpleUploadedFile("x.csv", content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0


def excel_rows(response) -> list[list[str]]:
    """The rows of a CSV download as Excel with Norwegian settings reads it: UTF-8 after a
    byte order mark, cells separated by semicolons."""
    raw = b"".join(response.streaming_content)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, not cp1252
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_the_rejected_rows_download_neutralises_formulas(client, crew):
    data = b"First Name,Email,Company\n=cmd|' /C calc'!A0,not-an-email,+SUM(1)\nOk,ok@x.no,Fine\n"
    job = run_import(crew.marketing, data)
    client.force_login(crew.marketing)
    response = client.get(f"/imports/{job.pk}/issues.csv")
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-rejected.csv"'
    rows = excel_rows(response)
    assert rows == [
        ["line", "kind", "reason", "First Name", "Email", "Company"],
        [
            "2",
            "rejected",
            "Email 'not-an-email' is not a valid address.",
            "'=cmd|' /C calc'!A0",
            "not-an-email",
            "'+SUM(1)",
        ],
    ]


def test_imports_are_scoped(client, crew, other_crew):
    mine = upload(crew.sdr, people(1))
    theirs = upload(other_crew.manager, people(1, start=3))
    client.force_login(crew.sdr2)
    assert client.get(f"/imports/{mine.pk}/").status_code == 404  # another SDR's import
    client.force_login(crew.manager)
    assert client.get(f"/imports/{mine.pk}/").status_code == 200
    assert client.get(f"/imports/{theirs.pk}/").status_code == 404
    assert client.get(f"/imports/{theirs.pk}/issues.csv").status_code == 404
    client.force_login(crew.ae)
    assert client.get("/imports/").status_code == 403
    assert (
        client.post("/imports/", {"file": SimpleUploadedFile("a.csv", people(1))}).status_code
        == 403
    )
    assert ImportJob.objects.count() == 2


def test_the_import_list_query_count_does_not_grow(client, crew, django_assert_max_num_queries):
    for i in range(12):
        run_import(crew.marketing, people(1, start=i * 10))
    client.force_login(crew.marketing)
    with django_assert_max_num_queries(6):
        assert client.get("/imports/").status_code == 200


# --- Web forms --------------------------------------------------------------------------------


def test_a_manager_creates_a_web_form_and_sees_its_html(client, crew):
    client.force_login(crew.manager)
    response = client.post("/imports/web-forms/", {"name": "Contact us", "redirect_url": ""})
    assert response.status_code == 302
    wf = WebForm.objects.get()
    page = client.get("/imports/web-forms/").content.decode()
    assert f"/in/{wf.token}/" in page and "_gotcha" in page
    client.force_login(crew.sdr)
    assert client.get("/imports/web-forms/").status_code == 403


def post_form(client, token, **data):
    return client.post(f"/in/{token}/", data, REMOTE_ADDR="203.0.113.9")


def test_a_submission_creates_an_inbound_lead_assigned_round_robin(client, crew):
    wf = WebForm.objects.create(team=crew.team, name="Contact us")
    owners = []
    for i in range(4):
        response = post_form(
            client,
            wf.token,
            first_name=f"Vis{i}",
            last_name="Itor",
            email=f"v{i}@visitor{i}.no",
            company="Visitor AS",
            message="Call me",
        )
        assert response.status_code == 200
        owners.append(Lead.objects.get(prospect__email=f"v{i}@visitor{i}.no").owner_id)
    prospectors = sorted([crew.sdr.pk, crew.sdr2.pk, crew.bdr.pk])
    assert owners == prospectors + prospectors[:1]
    lead = Lead.objects.get(prospect__email="v0@visitor0.no")
    assert (lead.source, lead.state, lead.team_id) == (LeadSource.WEB_FORM, "new", crew.team.pk)
    kinds = list(LeadEvent.objects.filter(lead=lead).order_by("id").values_list("kind", "body"))
    assert kinds == [
        (EventKind.CREATED, "Inbound: web form “Contact us”"),
        (EventKind.NOTE, "Message from the web form:\n\nCall me"),
    ]
    capture = InboundCapture.objects.get(lead=lead)
    assert capture.outcome == "created" and capture.fields["company"] == "Visitor AS"


@pytest.fixture
def emailed(monkeypatch):
    """Notification emails queued after commit, recorded instead of sent to the broker."""
    from notifications import tasks

    sent = []
    monkeypatch.setattr(tasks.notification_email_task, "delay", lambda pk: sent.append(pk))
    return sent


def test_the_sdr_is_notified_at_once_of_an_inbound_lead_and_of_a_second_submission(
    client, crew, emailed, django_capture_on_commit_callbacks
):
    from notifications.models import Notification, NotificationKind

    wf = WebForm.objects.create(team=crew.team, name="Contact us")
    with django_capture_on_commit_callbacks(execute=True):
        post_form(client, wf.token, first_name="Kari", last_name="Nord", email="kari@fjord.no",
                  company="Fjord AS", message="Call me tomorrow")  # fmt: skip
    lead = Lead.objects.get(prospect__email="kari@fjord.no")
    first = Notification.objects.get()
    assert (first.user_id, first.lead_id, first.kind, first.title, first.body) == (
        lead.owner_id, lead.pk, NotificationKind.INBOUND,
        "New inbound lead for you: Kari Nord (Fjord AS)", "Call me tomorrow",
    )  # fmt: skip
    assert emailed == [first.pk]

    with django_capture_on_commit_callbacks(execute=True):
        post_form(client, wf.token, first_name="Kari", email="KARI@fjord.no")
    again = Notification.objects.exclude(pk=first.pk).get()
    assert (again.user_id, again.lead_id, again.title, again.body) == (
        lead.owner_id, lead.pk, "Kari Nord (Fjord AS) submitted the web form “Contact us” again",
        "From the web form “Contact us”.",
    )  # fmt: skip
    assert emailed == [first.pk, again.pk]


def test_no_notification_without_an_active_sdr_nor_for_the_honeypot(
    client, crew, emailed, django_capture_on_commit_callbacks
):
    from accounts.models import Role, User
    from notifications.models import Notification

    wf = WebForm.objects.create(team=crew.team, name="Contact us")
    with django_capture_on_commit_callbacks(execute=True):
        post_form(client, wf.token, first_name="Bot", email="bot@spam.no", _gotcha="x")
        User.objects.filter(team=crew.team, role__in=[Role.SDR, Role.BDR]).update(is_active=False)
        post_form(client, wf.token, first_name="Pia", email="pia@pool.no")
    assert Lead.objects.get(prospect__email="pia@pool.no").owner_id is None
    assert Notification.objects.count() == 0 and emailed == []


def test_the_honeypot_stores_nothing_but_answers_like_success(client, crew):
    wf = WebForm.objects.create(team=crew.team, name="Contact us")
    response = post_form(client, wf.token, first_name="Bot", email="bot@spam.no", _gotcha="x")
    assert response.status_code == 200
    assert Lead.objects.count() == 0 and InboundCapture.objects.count() == 0


def test_the_rate_limit_answers_429_and_stores_nothing_more(client, crew, settings):
    settings.SDRCRM_WEBFORM_RATE_PER_MINUTE = 3
    wf = WebForm.objects.create(team=crew.team, name="Contact us")
    codes = [
        post_form(client, wf.token, first_name="A", email=f"a{i}@a{i}.no").status_code
        for i in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    assert Lead.objects.count() == 3


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"first_name": "A", "email": "nope"}, 400, "Please give a valid email address."),
        ({"email": "a@b.no"}, 400, "Please give your name."),
        (
            {"first_name": "A" * 101, "email": "a@b.no"},
            400,
            "The field 'first_name' is longer than 100 characters.",
        ),
    ],
)
def test_bad_submissions_store_nothing(client, crew, data, status, message):
    wf = WebForm.objects.create(team=crew.team, name="Contact us")
    response = post_form(client, wf.token, **data)
    assert response.status_code == status
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert Lead.objects.count() == 0 and InboundCapture.objects.count() == 0


def test_unknown_or_switched_off_forms_answer_404(client, crew):
    wf = WebForm.objects.create(team=crew.team, name="Old", is_active=False)
    assert post_form(client, wf.token, first_name="A", email="a@b.no").status_code == 404
    assert post_form(client, "forged", first_name="A", email="a@b.no").status_code == 404
    assert client.get(f"/in/{wf.token}/").status_code == 405
    assert Lead.objects.count() == 0


def test_a_known_prospect_is_noted_on_their_lead_not_duplicated(client, crew):
    wf = WebForm.objects.create(team=crew.team, name="Contact us")
    lead = LeadFactory(team=crew.team, owner=crew.sdr2, prospect=ProspectFactory(email="k@x.no"))
    response = client.post(
        f"/in/{wf.token}/", {"first_name": "K", "email": "K@x.no"}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"ok": True}
    assert Lead.objects.count() == 1
    note = LeadEvent.objects.get(lead=lead, kind=EventKind.NOTE)
    assert note.body == "Submitted the web form “Contact us” again."
    # The rotation was not used up: the next new visitor goes to the first prospector.
    post_form(client, wf.token, first_name="N", email="n@n.no")
    first = min(crew.sdr.pk, crew.sdr2.pk, crew.bdr.pk)
    assert Lead.objects.get(prospect__email="n@n.no").owner_id == first


def test_redirect_after_posting_when_configured(client, crew):
    wf = WebForm.objects.create(team=crew.team, name="C", redirect_url="https://example.com/thanks")
    response = post_form(client, wf.token, first_name="A", email="a@b.no")
    assert (response.status_code, response["Location"]) == (302, "https://example.com/thanks")


def test_the_lead_page_shows_speed_to_lead_for_an_inbound_lead(
    client, crew, django_assert_num_queries
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from leads.services import lead_log_call

    wf = WebForm.objects.create(team=crew.team, name="Contact us")
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        post_form(client, wf.token, first_name="In", email="in@bound.no", message="Ring meg")
    lead = Lead.objects.get(prospect__email="in@bound.no")
    owner = lead.owner
    client.force_login(owner)
    with time_machine.travel(start + timedelta(minutes=12), tick=False):
        page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Waiting for a first touch: 12 min" in page and "Ring meg" in page
    with time_machine.travel(start + timedelta(minutes=7), tick=False):
        lead_log_call(actor=owner, lead_id=lead.pk, outcome="no_answer")
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Speed to lead: 7 min" in page and "(first touch: call)" in page


def test_the_inbound_panel_costs_no_query_on_other_leads(crew):
    from intake.panels import inbound_panel

    lead = LeadFactory(team=crew.team, owner=crew.sdr, source=LeadSource.MARKETING_LIST)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert inbound_panel({}, lead) == {"capture": None}
    assert len(ctx.captured_queries) == 0


def test_a_preview_with_a_header_row_past_the_file_says_so(client, crew):
    job = upload(crew.marketing, messy_csv(), "messy.csv")
    client.force_login(crew.marketing)
    form = {f"col_{i}": f for i, f in job.mapping.items()} | {"header_row": "15"}  # of 10 lines

    response = client.post(f"/imports/{job.pk}/preview/", form, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    (alert,) = parse(response.content.decode()).elements
    assert (alert.tag, alert.attrs) == ("p", {"class": "form-error", "role": "alert"})
    assert alert.text == "The file has no such row."


def test_the_duplicates_download_carries_each_rows_data_and_why(client, crew):
    ProspectFactory(team=crew.team, email="old@kunde.no")  # already in the team
    data = (
        "Fornavn,Email,Firma\n"
        "Åse,aase@fjord.no,Blåbær AS\n"
        "Ola,old@kunde.no,Kunde; og Co\n"
        'Åse igjen,aase@fjord.no,=HYPERLINK("x")\n'
    ).encode()
    job = run_import(crew.marketing, data)
    assert (job.created_count, job.duplicate_count) == (1, 2)
    client.force_login(crew.marketing)

    response = client.get(f"/imports/{job.pk}/issues.csv", {"kind": "duplicate"})

    assert (
        response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-duplicate.csv"'
    )
    rows = excel_rows(response)
    assert rows == [
        ["line", "kind", "reason", "Fornavn", "Email", "Firma"],
        ["3", "duplicate", "old@kunde.no: already in the CRM", "Ola", "old@kunde.no",
         "Kunde; og Co"],
        ["4", "duplicate", "aase@fjord.no: appears earlier in the file", "Åse igjen",
         "aase@fjord.no", "'=HYPERLINK(\"x\")"],
    ]  # fmt: skip


def test_the_started_notice_is_on_the_progress_card_while_the_import_runs(client, crew):
    job = upload(crew.marketing, people(3))
    services.import_start(
        actor=crew.marketing,
        job_id=job.pk,
        options=services.ImportOptions(mapping=job.mapping, header_row=job.header_row),
    )
    client.force_login(crew.marketing)
    notice = "The import has started: you can leave this page."

    running = client.get(f"/imports/{job.pk}/?fragment=progress", HTTP_HX_REQUEST="true")
    assert running.content.decode().count(notice) == 1
    assert 'hx-trigger="every 1s"' in running.content.decode()  # polled while it runs

    services.import_run(job.pk)
    done = client.get(f"/imports/{job.pk}/?fragment=progress", HTTP_HX_REQUEST="true")
    assert notice not in done.content.decode()
    assert "hx-trigger" not in done.content.decode()  # the polling stops
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert notice not in page  # nor is it left as a message on the next page
