"""The import engine against PostgreSQL: exact counts, timeline, dedupe, assignment, options,
resumption after a killed run, and bad input that stores nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from intake import engine, services
from intake.models import ImportIssue, ImportJob, ImportStatus, IssueKind
from intake.reader import FileRejected
from leads.models import Company, EventKind, Lead, LeadEvent, LeadSource, Prospect
from tests.factories import LeadFactory, ProspectFactory

from .conftest import run_import, upload
from .files import csv_bytes, messy_csv, people

pytestmark = pytest.mark.django_db


def counts(job):
    return (
        job.status,
        job.total_rows,
        job.created_count,
        job.updated_count,
        job.duplicate_count,
        job.rejected_count,
    )


def issues(job, kind=IssueKind.REJECTED):
    return list(job.issues.filter(kind=kind).order_by("line").values_list("line", "reason"))


def test_messy_file_is_imported_with_exact_counts_and_reasons(crew):
    job = run_import(crew.marketing, messy_csv(), "messy.csv")
    assert (job.encoding, job.delimiter, job.header_row) == ("utf-8-sig", ";", 0)
    assert counts(job) == ("done", 8, 4, 0, 1, 3)
    assert job.message == "4 created, 0 updated, 1 duplicate, 3 rejected."
    assert issues(job) == [
        (5, "Email 'per.hansen(at)example.com' is not a valid address."),
        (7, "Number of employees 'mange' is not a whole number."),
        (10, "The email is empty."),
    ]
    assert issues(job, IssueKind.DUPLICATE) == [
        (4, "kari.nordmann@fjordkraft.no: appears earlier in the file")
    ]
    leads = Lead.objects.filter(team=crew.team).select_related("prospect__company")
    by_email = {lead.prospect.email: lead for lead in leads}
    assert sorted(by_email) == [
        "formel@evil.no",
        "kari.nordmann@fjordkraft.no",
        "ola@blåbær.no",
        "siri@lie-consulting.no",
    ]
    kari = by_email["kari.nordmann@fjordkraft.no"]
    assert (kari.state, kari.source, kari.owner_id) == ("new", LeadSource.MARKETING_LIST, None)
    assert (kari.prospect.first_name, kari.prospect.last_name, kari.prospect.title) == (
        "Kari",
        "Nordmann",
        "Innkjøpssjef",
    )
    c = kari.prospect.company
    assert (c.name, c.domain, c.website, c.employee_count, c.industry, c.country) == (
        "Fjordkraft AS",
        "fjordkraft.no",
        "https://www.fjordkraft.no",
        126,
        "Energi",
        "NO",
    )
    formula = by_email["formel@evil.no"].prospect
    assert (formula.first_name, formula.title, formula.company.name) == (
        '=HYPERLINK("http://evil")',
        "-CEO",
        "@SUM(1+1)",
    )
    # An international domain is known in its IDNA form, as DNS knows it.
    assert by_email["ola@blåbær.no"].prospect.company.domain == "xn--blbr-roah.no"
    # Every created lead has its timeline entry naming the import.
    events = LeadEvent.objects.filter(lead__in=leads, kind=EventKind.CREATED)
    assert sorted(
        (e.lead.prospect.email, e.body, e.payload["import_id"], e.payload["line"], e.actor_id)
        for e in events
    ) == sorted(
        (email, f"Imported from messy.csv (import #{job.pk})", job.pk, line, crew.marketing.pk)
        for email, line in [
            ("kari.nordmann@fjordkraft.no", 2),
            ("ola@blåbær.no", 3),
            ("formel@evil.no", 6),
            ("siri@lie-consulting.no", 8),
        ]
    )


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_other_encodings_give_the_same_result(crew, encoding):
    job = run_import(crew.marketing, messy_csv(encoding))
    assert counts(job) == ("done", 8, 4, 0, 1, 3)
    assert Prospect.objects.filter(last_name="Ødegård").count() == 1


def test_uploading_the_same_file_again_creates_nothing_new(crew):
    first = run_import(crew.marketing, messy_csv())
    before = (
        Lead.objects.count(),
        Prospect.objects.count(),
        Company.objects.count(),
        LeadEvent.objects.count(),
    )
    second = run_import(crew.marketing, messy_csv())
    assert counts(second) == ("done", 8, 0, 0, 5, 3)
    assert (
        Lead.objects.count(),
        Prospect.objects.count(),
        Company.objects.count(),
        LeadEvent.objects.count(),
    ) == before
    assert second.file_sha256 == first.file_sha256
    assert issues(second, IssueKind.DUPLICATE)[0] == (
        2,
        "kari.nordmann@fjordkraft.no: already in the CRM",
    )


def test_duplicates_against_existing_prospects_and_companies(crew):
    existing = LeadFactory(
        team=crew.team,
        owner=crew.sdr,
        prospect=ProspectFactory(email="person0@company0.example.org"),
    )
    company = Company.objects.create(
        team=crew.team, name="Known Co", domain="company1.example.org"
    )
    job = run_import(crew.marketing, people(4))
    assert counts(job) == ("done", 4, 3, 0, 1, 0)
    assert issues(job, IssueKind.DUPLICATE) == [
        (2, "person0@company0.example.org: already in the CRM")
    ]
    assert Lead.objects.filter(prospect=existing.prospect).count() == 1
    # person2 and person3 work at company1: matched to the existing company, never a copy
    assert set(
        Prospect.objects.filter(
            email__in=["person2@company1.example.org", "person3@company1.example.org"]
        ).values_list("company_id", flat=True)
    ) == {company.pk}
    assert Company.objects.filter(domain="company1.example.org").count() == 1


def test_update_empty_fields_fills_only_what_is_empty_and_records_it(crew):
    prospect = ProspectFactory(
        email="kari.nordmann@fjordkraft.no",
        first_name="Kari",
        last_name="",
        title="Buyer",
        phone="",
    )
    lead = LeadFactory(team=crew.team, owner=crew.sdr, prospect=prospect)
    data = csv_bytes(
        ["First Name", "Last Name", "Email", "Job Title", "Phone"],
        [["Kari", "Nordmann", "KARI.NORDMANN@fjordkraft.no", "CEO", "+47 1234"]],
    )
    job = run_import(crew.manager, data, duplicates="update_empty")
    assert counts(job) == ("done", 1, 0, 1, 0, 0)
    prospect.refresh_from_db()
    assert (prospect.last_name, prospect.title, prospect.phone) == ("Nordmann", "Buyer", "+47 1234")
    event = LeadEvent.objects.get(lead=lead, kind=EventKind.EDIT)
    assert event.payload["changes"] == {"last_name": ["", "Nordmann"], "phone": ["", "+47 1234"]}
    assert event.body == f"Empty fields filled by import #{job.pk} (list.csv): last name, phone"
    assert event.actor_id == crew.manager.pk


def test_update_empty_does_not_touch_another_teams_prospect(crew, other_crew):
    prospect = ProspectFactory(email="a@b.no", first_name="A", last_name="")
    LeadFactory(team=other_crew.team, owner=other_crew.sdr, prospect=prospect)
    data = csv_bytes(["First Name", "Last Name", "Email"], [["A", "Secret", "a@b.no"]])
    job = run_import(crew.manager, data, duplicates="update_empty")
    # A team is a workspace: the other team's person is this team's new prospect.
    assert counts(job) == ("done", 1, 1, 0, 0, 0)
    prospect.refresh_from_db()
    assert prospect.last_name == ""
    assert not LeadEvent.objects.filter(kind=EventKind.EDIT).exists()
    mine = Prospect.objects.get(team=crew.team, email="a@b.no")
    assert (mine.pk != prospect.pk, mine.last_name) == (True, "Secret")


def test_all_or_nothing_stores_nothing_and_lists_every_bad_row(crew):
    before = (Lead.objects.count(), Prospect.objects.count(), Company.objects.count())
    job = run_import(crew.marketing, people(50, bad_every=7), all_or_nothing=True)
    assert counts(job) == ("failed", 50, 0, 0, 0, 8)
    assert job.message.startswith("8 rows have errors, so nothing was imported (all or nothing).")
    assert [line for line, _ in issues(job)] == [2 + i for i in range(0, 50, 7)]
    assert (Lead.objects.count(), Prospect.objects.count(), Company.objects.count()) == before


def test_import_the_valid_rows_stores_the_others_and_lists_the_same_bad_rows(crew):
    job = run_import(crew.marketing, people(50, bad_every=7))
    assert counts(job) == ("done", 50, 42, 0, 0, 8)
    assert [line for line, _ in issues(job)] == [2 + i for i in range(0, 50, 7)]
    assert Lead.objects.filter(team=crew.team).count() == 42


def test_round_robin_and_one_sdr_and_by_country_assignment(crew):
    job = run_import(
        crew.manager, people(6), assignment="round_robin", assignees=[crew.sdr.pk, crew.bdr.pk]
    )
    owners = list(
        Lead.objects.filter(team=crew.team)
        .order_by("prospect__email")
        .values_list("prospect__email", "owner_id")
    )
    assert [o for _, o in sorted(owners, key=lambda x: int(x[0][6 : x[0].index("@")]))] == [
        crew.sdr.pk,
        crew.bdr.pk,
    ] * 3
    assert job.created_count == 6
    run_import(crew.manager, people(2, start=100), assignment="one", assignees=[crew.sdr2.pk])
    assert Lead.objects.filter(owner=crew.sdr2).count() == 2
    data = csv_bytes(
        ["First Name", "Email", "Country"],
        [["A", "a@x1.no", "NO"], ["B", "b@x2.se", "Sverige"], ["C", "c@x3.dk", "DK"]],
    )
    run_import(
        crew.manager,
        data,
        assignment="by_country",
        country_owners={"NO": crew.sdr.pk, "SE": crew.sdr2.pk},
    )
    got = dict(
        Lead.objects.filter(prospect__email__in=["a@x1.no", "b@x2.se", "c@x3.dk"]).values_list(
            "prospect__email", "owner_id"
        )
    )
    assert got == {"a@x1.no": crew.sdr.pk, "b@x2.se": crew.sdr2.pk, "c@x3.dk": None}


def test_options_are_validated_and_nothing_starts(crew, other_crew):
    job = upload(crew.manager, people(3))
    bad = [
        (dict(mapping={"0": "first_name"}), "Map a column to Email: it identifies each prospect."),
        (
            dict(mapping=job.mapping, assignment="one", assignees=[other_crew.sdr.pk]),
            "Choose active SDRs or BDRs of the team.",
        ),
        (
            dict(mapping=job.mapping, assignment="one", assignees=[]),
            "Choose the one SDR to assign the leads to.",
        ),
        (dict(mapping=job.mapping, source="spam"), "Choose a lead source."),
        (
            dict(mapping={"0": "first_name", "2": "email", "9": "title"}),
            "The mapping names a column the file does not have.",
        ),
    ]
    for options, message in bad:
        with pytest.raises(services.IntakeError) as exc:
            services.import_start(
                actor=crew.manager, job_id=job.pk, options=services.ImportOptions(**options)
            )
        assert str(exc.value) == message
        job.refresh_from_db()
        assert job.status == ImportStatus.UPLOADED


def test_an_sdr_imports_for_themselves_or_the_pool_only(crew):
    job = upload(crew.sdr, people(2))
    with pytest.raises(services.IntakeForbidden):
        services.import_start(
            actor=crew.sdr,
            job_id=job.pk,
            options=services.ImportOptions(
                mapping=job.mapping, assignment="one", assignees=[crew.sdr2.pk]
            ),
        )
    services.import_start(
        actor=crew.sdr,
        job_id=job.pk,
        options=services.ImportOptions(
            mapping=job.mapping, assignment="one", assignees=[crew.sdr.pk]
        ),
    )
    services.import_run(job.pk)
    assert Lead.objects.filter(owner=crew.sdr).count() == 2


def test_a_second_start_changes_nothing(crew):
    job = upload(crew.marketing, people(2))
    opts = services.ImportOptions(mapping=job.mapping)
    services.import_start(actor=crew.marketing, job_id=job.pk, options=opts)
    with pytest.raises(services.IntakeConflict, match="already started"):
        services.import_start(actor=crew.marketing, job_id=job.pk, options=opts)


def test_roles_that_cannot_import(crew, other_crew):
    for user in (crew.ae,):
        with pytest.raises(services.IntakeForbidden):
            upload(user, people(1))
    with pytest.raises(services.IntakeForbidden):
        upload(crew.marketing, people(1), team=other_crew.team)
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"First Name,Email\n", "The file has a header row but no rows of data."),
        (bytes(range(256)) * 10, "This is not a spreadsheet: the file is binary."),
    ],
)
def test_bad_files_store_nothing(crew, data, message):
    with pytest.raises(FileRejected) as exc:
        upload(crew.marketing, data)
    assert str(exc.value).startswith(message)
    assert ImportJob.objects.count() == 0
    assert not ImportIssue.objects.exists()


def test_a_file_over_the_limit_is_refused_before_reading(crew, settings):
    settings.SDRCRM_IMPORT_MAX_BYTES = 1000
    with pytest.raises(FileRejected, match="the limit is 0 MB"):
        upload(crew.marketing, people(100))
    assert ImportJob.objects.count() == 0


def test_a_structural_error_late_in_the_file_fails_the_import_before_anything_is_written(crew):
    data = people(20) + b",".join([b"x"] * 300) + b"\n"
    job = run_import(crew.marketing, data)
    assert (job.status, job.message) == ("failed", "Line 22 has 300 columns; the limit is 200.")
    assert Lead.objects.count() == 0


class Killed(BaseException):
    """A worker dying mid-import (not an Exception: nothing catches it)."""


def test_a_killed_import_resumes_after_its_last_batch_without_duplicates(
    crew, settings, monkeypatch
):
    settings.SDRCRM_IMPORT_BATCH = 10
    job = upload(crew.marketing, people(55, bad_every=9))
    services.import_start(
        actor=crew.marketing, job_id=job.pk, options=services.ImportOptions(mapping=job.mapping)
    )
    real, calls = engine.write_batch, []

    def dying(cursor, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise Killed
        return real(cursor, **kw)

    monkeypatch.setattr(engine, "write_batch", dying)
    with pytest.raises(Killed):
        services.import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.created_count, job.rejected_count) == (
        "running",
        20,
        17,
        3,
    )
    assert Lead.objects.count() == 17
    # A second run while the lease holds does nothing; once it expired, the run resumes.
    assert services.import_run(job.pk) is None
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(engine, "write_batch", real)
    services.import_run(job.pk)
    job.refresh_from_db()
    assert counts(job) == ("done", 55, 48, 0, 0, 7)
    assert job.attempts == 2
    assert Lead.objects.count() == 48
    assert Prospect.objects.count() == 48
    assert LeadEvent.objects.filter(kind=EventKind.CREATED).count() == 48
    assert [line for line, _ in issues(job)] == [2 + i for i in range(0, 55, 9)]


def test_the_sweep_requeues_lost_and_expired_imports(
    crew, settings, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(services.start, "_enqueue", sent.append)
    fresh = upload(crew.marketing, people(1))
    lost = upload(crew.marketing, people(1, start=5))
    dead = upload(crew.marketing, people(1, start=9))
    for job in (fresh, lost, dead):
        services.import_start(
            actor=None, job_id=job.pk, options=services.ImportOptions(mapping=job.mapping)
        )
    old = timezone.now() - timedelta(minutes=5)
    ImportJob.objects.filter(pk=lost.pk).update(queued_at=old)
    ImportJob.objects.filter(pk=dead.pk).update(status="running", lease_until=old)
    assert services.import_sweep() == 2
    assert sorted(sent) == sorted([lost.pk, dead.pk])


def test_concurrent_creation_of_the_same_person_falls_back_to_a_duplicate(crew, monkeypatch):
    """Another session commits person1 after the COPY path checked the emails and before it
    loads them: the unique email refuses the COPY, the staged path makes it a duplicate."""
    import psycopg2

    job = upload(crew.marketing, people(3))
    services.import_start(
        actor=None, job_id=job.pk, options=services.ImportOptions(mapping=job.mapping)
    )
    s = connection.settings_dict
    other = psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432
    )
    other.autocommit = True
    real_nextvals = engine._nextvals

    def nextvals_after_a_race(cursor, table, n):
        if table == "leads_company" and not getattr(nextvals_after_a_race, "done", False):
            nextvals_after_a_race.done = True
            with other.cursor() as c:
                # The team exists only in the test's own transaction: skip the foreign-key
                # triggers in this connection (the unique (team, email) index still holds).
                c.execute("SET session_replication_role = replica")
                c.execute(
                    "INSERT INTO leads_prospect (team_id, first_name, last_name, email, phone, "
                    "title, role, linkedin_url, time_zone, do_not_contact, "
                    "created_at) VALUES (%s, 'P', '', 'person1@company0.example.org', '', '', "
                    "'', '', '', false, now())",
                    [crew.team.pk],
                )
        return real_nextvals(cursor, table, n)

    monkeypatch.setattr(engine, "_nextvals", nextvals_after_a_race)
    try:
        services.import_run(job.pk)
        job.refresh_from_db()
        assert counts(job) == ("done", 3, 2, 0, 1, 0)
        assert issues(job, IssueKind.DUPLICATE) == [
            (3, "person1@company0.example.org: already in the CRM")
        ]
        assert Lead.objects.filter(prospect__email="person1@company0.example.org").count() == 0
    finally:
        with other.cursor() as c:
            c.execute("DELETE FROM leads_prospect WHERE email = 'person1@company0.example.org'")
        other.close()


def test_an_xlsx_list_with_formulas_and_numbers_imports_as_text(crew):
    from .files import xlsx_bytes

    data = xlsx_bytes(
        [
            ["Export 2026-11-01"],
            ["First Name", "Last Name", "Email", "Company", "Number of Employees", "Website"],
            ["Kari", "Nordmann", "kari@acme.no", '=HYPERLINK("x")', 250, "acme.no"],
            ["Ola", "=1+1", "ola@acme.no", "Acme", 12.0, "acme.no"],
        ]
    )
    job = run_import(crew.marketing, data, "list.xlsx")
    assert (job.file_format, job.header_row) == ("xlsx", 1)
    assert counts(job) == ("done", 2, 2, 0, 0, 0)
    kari = Prospect.objects.select_related("company").get(email="kari@acme.no")
    assert (kari.company.name, kari.company.employee_count) == ('=HYPERLINK("x")', 250)
    assert Prospect.objects.get(email="ola@acme.no").last_name == "=1+1"
    assert Company.objects.filter(domain="acme.no").count() == 1


def test_the_file_is_deleted_when_the_import_ends_and_old_reports_expire(crew, settings):
    from intake.models import ImportChunk

    done = run_import(crew.marketing, people(3, bad_every=2))
    failed = run_import(crew.marketing, people(3, bad_every=2, start=10), all_or_nothing=True)
    waiting = upload(crew.marketing, people(2, start=20))
    assert (done.status, failed.status) == ("done", "failed")
    assert list(ImportChunk.objects.values_list("job_id", flat=True).distinct()) == [waiting.pk]
    assert ImportIssue.objects.filter(job__in=[done, failed]).count() == 4
    later = timezone.now() + timedelta(days=settings.SDRCRM_IMPORT_REPORT_DAYS + 1)
    import time_machine

    with time_machine.travel(later):
        services.import_sweep()
    waiting.refresh_from_db()
    assert waiting.status == "failed"
    assert waiting.message == "Never started: the uploaded file was deleted after 7 days."
    assert ImportChunk.objects.count() == 0
    assert ImportIssue.objects.count() == 0
    done.refresh_from_db()
    assert (done.created_count, done.rejected_count) == (1, 2)


def test_a_person_erased_on_request_is_not_imported_again(crew):
    from privacy.services import prospect_erase

    job = run_import(crew.manager, people(2))
    lead = Lead.objects.get(prospect__email="person0@company0.example.org")
    prospect_erase(actor=crew.manager, lead_id=lead.pk)
    assert not Prospect.objects.filter(email="person0@company0.example.org").exists()
    again = run_import(crew.manager, people(2))
    assert counts(again) == ("done", 2, 0, 0, 1, 1)
    assert issues(again) == [
        (2, "This person had their data erased at their request: not imported again.")
    ]
    assert not Prospect.objects.filter(email="person0@company0.example.org").exists()
    assert job.created_count == 2


def test_the_copy_path_stores_quotes_commas_backslashes_and_empty_values_exactly(crew):
    """COPY in CSV format: separators, quotes and backslashes in values, the literal text \\N
    and NULL, and empty optional fields ('' in NOT NULL text columns, NULL for a missing domain)
    arrive exactly as the ORM would store them."""
    data = csv_bytes(
        ["First Name", "Last Name", "Email", "Company", "Job Title", "Phone"],
        [
            [
                'Kari "K"',
                "O'Brien, Jr.",
                "kari@acme.no",
                'Acme, "the" AS',
                "C:\\Sales\\Head",
                r"\N",
            ],  # fmt: skip
            ["Per", "", "per@gmail.com", "", "", "NULL"],
            ["Line", "Break", "line@break.no", "Multi\nLine AS", "Tab\there", ""],
        ],
    )
    job = run_import(crew.marketing, data)
    assert counts(job) == ("done", 3, 3, 0, 0, 0)
    got = {
        p.email: (p.first_name, p.last_name, p.title, p.phone, p.company and p.company.name,
                  p.company and p.company.domain)
        for p in Prospect.objects.select_related("company")
    }  # fmt: skip
    assert got == {
        "kari@acme.no": ('Kari "K"', "O'Brien, Jr.", "C:\\Sales\\Head", r"\N",
                         'Acme, "the" AS', "acme.no"),
        "per@gmail.com": ("Per", "", "", "NULL", None, None),
        "line@break.no": ("Line", "Break", "Tab here", "", "Multi Line AS", "break.no"),
    }  # fmt: skip
    assert Prospect.objects.filter(last_name__isnull=True).count() == 0
    event = LeadEvent.objects.get(lead__prospect__email="per@gmail.com", kind=EventKind.CREATED)
    assert event.payload == {
        "import_id": job.pk, "line": 3, "source": job.source, "owner_id": None
    }  # fmt: skip


def test_the_preview_flags_duplicates_in_the_file_and_in_the_crm(crew, other_crew):
    """Messy file: line 4 repeats line 2's person (case and spaces differ); Siri (line 8) is
    already a prospect. The rejected rows keep their reason and flag nothing."""
    ProspectFactory(team=crew.team, email="siri@lie-consulting.no")
    # Another team's person is not looked at (nor revealed): Kari is new to this team.
    ProspectFactory(team=other_crew.team, email="kari.nordmann@fjordkraft.no")
    job = upload(crew.marketing, messy_csv())
    preview = services.import_preview(job, job.mapping, job.header_row)
    got = [(p.line, p.row.email if p.row else None, p.duplicate, bool(p.error)) for p in preview]
    assert got == [
        (2, "kari.nordmann@fjordkraft.no", "", False),
        (3, "ola@blåbær.no", "", False),
        (4, "kari.nordmann@fjordkraft.no", "Same person as line 2", False),
        (5, None, "", True),
        (6, "formel@evil.no", "", False),
        (7, None, "", True),  # "mange" employees
        (8, "siri@lie-consulting.no", "Already in the CRM", False),
        (10, None, "", True),
    ]
