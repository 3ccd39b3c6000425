"""Every import ends, done or failed, with a message; a row that cannot be stored is a rejected
row with its line, never a failed file; an unexpected error fails the job once, and a job is
never retried for ever."""

import logging
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from intake import engine, services
from intake.models import ImportChunk, ImportIssue, ImportJob, ImportStatus, IssueKind
from intake.tasks import import_run_task
from leads.models import Lead, Prospect

from .conftest import run_import, upload
from .files import csv_bytes, people

pytestmark = pytest.mark.django_db

NUL_REASON = (
    "This row contains a null character (an invisible control character) that cannot be "
    "stored. Remove it and import the row again."
)


def rejected(job):
    return list(
        ImportIssue.objects.filter(job=job, kind=IssueKind.REJECTED)
        .order_by("line")
        .values_list("line", "reason", "data")
    )


def test_a_nul_byte_after_the_first_64_kb_rejects_its_row_only(crew):
    data = people(1500)
    assert len(data) > 100_000
    lines = data.split(b"\n")
    assert lines[1300].startswith(b"First1299,")
    lines[1300] = lines[1300].replace(b"First1299", b"First\x001299")
    data = b"\n".join(lines)
    assert data.index(b"\x00") > 64 * 1024
    job = run_import(crew.marketing, data)
    assert (job.status, job.created_count, job.rejected_count, job.message) == (
        ImportStatus.DONE,
        1499,
        1,
        "1,499 created, 0 updated, 0 duplicates, 1 rejected.",
    )
    assert rejected(job) == [
        (
            1301,
            NUL_REASON,
            ["First\ufffd1299", "Last1299", "person1299@company649.example.org", "Company 649",
             "Seller", "NO"],
        )
    ]  # fmt: skip
    assert Lead.objects.filter(team=crew.team).count() == 1499
    assert not Prospect.objects.filter(email="person1299@company649.example.org").exists()
    assert ImportChunk.objects.filter(job=job).count() == 0


def test_broken_bytes_in_a_utf8_file_reject_their_row_and_keep_the_letters_of_the_others(crew):
    rows = [[f"Åse{i}", f"Ødegård{i}", f"ase{i}@blabaer{i}.no"] for i in range(40)]
    data = csv_bytes(["Fornavn", "Etternavn", "E-post"], rows)
    data = data.replace("Ødegård7,".encode(), b"\xd8deg\xe5rd7,")  # Windows-1252 in one row
    job = run_import(crew.marketing, data)
    assert (job.encoding, job.status, job.created_count, job.rejected_count) == (
        "utf-8", ImportStatus.DONE, 39, 1
    )  # fmt: skip
    assert rejected(job) == [
        (
            9,
            "This row contains bytes that are not valid text in the file's encoding. Fix the row "
            "(or save the file as UTF-8 CSV) and import it again.",
            ["Åse7", "\ufffddeg\ufffdrd7", "ase7@blabaer7.no"],
        )
    ]
    assert Prospect.objects.get(email="ase8@blabaer8.no").last_name == "Ødegård8"


def test_a_value_the_database_refuses_rejects_its_row_and_stores_the_others(crew, monkeypatch):
    from intake import rows

    # A field whose length the validation does not check (as if it forgot): the database
    # refuses the value, in the middle of a COPY of the whole batch.
    monkeypatch.setitem(rows.FIELDS, "title", ("Job title", None))
    data = people(40)
    data = data.replace(b",Seller,NO\n", b"," + b"T" * 200 + b",NO\n", 1)  # line 2
    data = data.replace(b"First30,Last30,person30@company15.example.org,Company 15,Seller",
                        b"First30,Last30,person30@company15.example.org,Company 15," + b"U" * 151)
    job = run_import(crew.marketing, data)
    reason = (
        "The database could not store this row: one of its values is not valid text or is too "
        "long. Fix the row and import it again."
    )
    assert (job.status, job.created_count, job.rejected_count) == (ImportStatus.DONE, 38, 2)
    assert rejected(job) == [(2, reason, []), (32, reason, [])]
    assert Prospect.objects.count() == 38


def test_an_unexpected_error_fails_the_job_once_with_a_message(crew, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("boom in /tmp/tmpx1y2.xlsx")

    monkeypatch.setattr(engine, "write_batch", boom)
    with caplog.at_level(logging.ERROR, logger="intake.services"):
        job = run_import(crew.marketing, people(10))
    assert (job.status, job.message) == (
        ImportStatus.FAILED,
        "The import stopped because of an unexpected error; it was logged for your "
        "administrator. Nothing was imported.",
    )
    assert job.finished_at is not None and job.lease_until is None
    assert "boom in /tmp/tmpx1y2.xlsx" in caplog.text  # for the administrator, not the page
    assert ImportChunk.objects.filter(job=job).count() == 0
    # Not run again, not handed on by the sweep.
    assert services.import_run(job.pk) is None
    sent = []
    monkeypatch.setattr(services.start, "_enqueue", sent.append)
    assert (services.import_sweep(), sent) == (0, [])
    assert Lead.objects.count() == 0


def test_a_lost_database_is_retried_a_few_times_then_the_job_gives_up(crew, monkeypatch):
    calls = []

    def down(*args, **kwargs):
        calls.append(1)
        raise OperationalError("server closed the connection unexpectedly")

    job = upload(crew.marketing, people(10))
    services.import_start(
        actor=None, job_id=job.pk, options=services.ImportOptions(mapping=job.mapping)
    )
    monkeypatch.setattr(engine, "write_batch", down)
    result = import_run_task.apply(args=[job.pk])  # the first run and 3 retries
    assert isinstance(result.result, OperationalError)
    job.refresh_from_db()
    # Each run released its lease for the next; the job waits for the sweep.
    assert (job.status, job.attempts, len(calls)) == (ImportStatus.RUNNING, 4, 4)
    assert job.lease_until <= timezone.now()
    result = import_run_task.apply(args=[job.pk])  # the sweep's: the 5th run, then it gives up
    job.refresh_from_db()
    assert (result.result, job.status, job.attempts, len(calls)) == (
        "failed", ImportStatus.FAILED, 5, 5
    )  # fmt: skip
    assert job.message == (
        "The import stopped: it was tried 5 times and could not finish. Nothing was imported. "
        "If it happens again, tell your administrator."
    )
    assert ImportChunk.objects.filter(job=job).count() == 0


def test_a_job_whose_workers_keep_dying_gives_up_and_keeps_what_it_imported(crew, settings):
    job = run_import(crew.marketing, people(10))
    # As if the workers died after the first batch, every time: running, lease expired.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, attempts=settings.SDRCRM_IMPORT_MAX_ATTEMPTS,
        lease_until=timezone.now() - timedelta(seconds=1), finished_at=None,
    )  # fmt: skip
    job = services.import_run(job.pk)
    assert (job.status, job.message) == (
        ImportStatus.FAILED,
        "The import stopped: it was tried 5 times and could not finish. What was imported "
        "before it stopped is kept (10 created, 0 updated, 0 duplicates, 0 rejected); upload "
        "the file again to import the rest: the rows already imported will count as "
        "duplicates. If it happens again, tell your administrator.",
    )
    assert Lead.objects.count() == 10
