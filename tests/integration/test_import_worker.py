"""An import run by a real Celery worker over Redis, the worker SIGKILLed half-way, and a new
worker finishing it after the lease expired: every row once, none lost."""

import os
import signal
import uuid

import pytest
from django.db import connection

from intake import services
from intake.models import ImportJob
from intake.tasks import import_run_task
from leads.models import EventKind, Lead, LeadEvent, Prospect
from sdrcrm.celery import app as celery_app
from tests.intake.conftest import upload
from tests.intake.files import people
from tests.integration.test_celery_worker import broker_url, wait_for, worker_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROWS = 30_000
ENV = {"SDRCRM_IMPORT_BATCH": "250", "SDRCRM_IMPORT_LEASE_SECONDS": "3"}


def send_to(queue):
    def _send(job_id):
        with celery_app.connection_for_write(broker_url()) as conn:
            import_run_task.apply_async(args=[job_id], queue=queue, connection=conn)

    return _send


def job_row(job_id):
    with connection.cursor() as c:
        c.execute("SELECT status, rows_done, created_count, rejected_count, attempts "
                  "FROM intake_importjob WHERE id = %s", [job_id])  # fmt: skip
        return c.fetchone()


def test_a_killed_worker_leaves_a_resumable_import_that_ends_without_duplicates(
    crew, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    queue = f"test-import-{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(services.start, "_enqueue", send_to(queue))
    job = upload(crew.marketing, people(ROWS, bad_every=1000))
    with worker_process(queue, tmp_path, **ENV) as (process, log):
        with django_capture_on_commit_callbacks(execute=True):
            services.import_start(actor=crew.marketing, job_id=job.pk,
                                  options=services.ImportOptions(mapping=job.mapping))  # fmt: skip
        wait_for(lambda: job_row(job.pk)[1] >= 2_000, 60, "the import to be under way", log)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    status, done, created, _, attempts = job_row(job.pk)
    assert status == "running" and 2_000 <= done < ROWS and attempts == 1
    assert Lead.objects.count() == created  # the committed batches, nothing half-written
    with worker_process(queue + "-2", tmp_path, **ENV) as (process, log):
        monkeypatch.setattr(services.start, "_enqueue", send_to(queue + "-2"))
        wait_for(lambda: services.import_sweep() == 1, 30, "the lease to expire", log)
        wait_for(lambda: job_row(job.pk)[0] == "done", 120, "the import to finish", log)
    status, done, created, rejected, attempts = job_row(job.pk)
    assert (status, done, created, rejected, attempts) == ("done", ROWS, ROWS - 30, 30, 2)
    assert Lead.objects.count() == ROWS - 30
    assert Prospect.objects.count() == ROWS - 30
    assert LeadEvent.objects.filter(kind=EventKind.CREATED).count() == ROWS - 30
    assert ImportJob.objects.get(pk=job.pk).issues.filter(kind="rejected").count() == 30
