"""A real Celery worker process, a real Redis broker and the test database.

The worker is started as a subprocess consuming a queue of its own, pointed at the test
database (it reads DATABASE_URL like any deployment). The test commits due nurture leads,
sends the task after commit and polls the database until the worker has done its job.
"""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from leads.models import EventKind, Lead, LeadEvent
from leads.services import TransitionParams, lead_transition
from leads.tasks import lead_recycle_due_nurture_task
from sdrcrm.celery import app as celery_app

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
READY_WITHIN = 30  # seconds; generous bounds for a slow CI machine, not timing assertions
DONE_WITHIN = 30


def broker_url() -> str:
    """The Redis database the test run was given (REDIS_URL), as the workers' broker."""
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    assert url.startswith("redis://"), url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/0", "", ""))


def test_database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = quote(s["HOST"] or "127.0.0.1", safe="")  # a socket directory is a path
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(s['NAME'], safe='')}"


test_database_url.__test__ = False  # a helper, not a test


def wait_for(predicate, within: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    tail = log.read_text()[-4000:] if log and log.exists() else ""
    raise AssertionError(f"gave up waiting for {what}\n--- worker log ---\n{tail}")


class Worker:
    def __init__(self, queue: str, log: Path, process: subprocess.Popen):
        self.queue, self.log, self.process = queue, log, process

    def results(self) -> dict[str, str]:
        """task id -> the return value the worker logged for it."""
        text = self.log.read_text()
        return dict(re.findall(r"\[([0-9a-f-]{36})\] succeeded in [0-9.e-]+s: (\S+)", text))

    def send(self, **options) -> str:
        """Send the sweep task to this worker's queue over the worker's broker."""
        with celery_app.connection_for_write(broker_url()) as conn:
            result = lead_recycle_due_nurture_task.apply_async(
                queue=self.queue, connection=conn, **options
            )
        return result.id


@contextmanager
def worker_process(queue: str, tmp_path: Path, **extra_env: str):
    """A real ``celery worker`` subprocess consuming ``queue``, pointed at the test database
    and the test Redis; stopped (and its queue's Redis keys deleted) on exit. Yields the
    process and the path of its log."""
    log = tmp_path / f"{queue}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sdrcrm.settings",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": broker_url(),
        "CELERY_BROKER_URL": broker_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SDRCRM_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "sdrcrm", "worker", "--pool=solo",
        "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h", "--loglevel=INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_for(
            lambda: process.poll() is not None or " ready." in log.read_text(),
            READY_WITHIN,
            "the worker to be ready",
            log,
        )
        assert process.poll() is None, log.read_text()
        yield process, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        client = redis.Redis.from_url(broker_url())
        leftovers = list(client.scan_iter(match=f"*{queue}*"))  # the queue and its bindings
        if leftovers:
            client.delete(*leftovers)
        client.close()


@pytest.fixture
def worker(transactional_db, tmp_path):
    queue = f"test-worker-{uuid.uuid4().hex[:12]}"
    with worker_process(queue, tmp_path) as (process, log):
        yield Worker(queue, log, process)


def nurture_leads(crew, *, days_ago: list[int]) -> list[Lead]:
    """Leads put in nurture in the past, due ``days_ago`` days ago (0: today); committed."""
    tz = timezone.get_current_timezone()
    leads = []
    for d in days_ago:
        then = timezone.localdate() - timedelta(days=d + 10)
        with time_machine.travel(datetime(then.year, then.month, then.day, 12, tzinfo=tz)):
            lead = crew.lead()
            lead_transition(
                actor=crew.sdr,
                lead_id=lead.pk,
                name="nurture",
                params=TransitionParams(recycle_on=then + timedelta(days=10)),
            )
        leads.append(lead)
    return leads


def system_events(lead: Lead) -> list[tuple]:
    return list(
        LeadEvent.objects.filter(lead=lead, kind=EventKind.TRANSITION, actor=None).values_list(
            "from_state", "to_state", "payload"
        )
    )


def test_the_worker_recycles_due_nurture_leads(crew, worker):
    due = nurture_leads(crew, days_ago=[0, 3, 40])
    not_due = crew.lead()
    lead_transition(
        actor=crew.sdr,
        lead_id=not_due.pk,
        name="nurture",
        params=TransitionParams(recycle_on=timezone.localdate() + timedelta(days=1)),
    )

    sent = []
    with transaction.atomic():
        transaction.on_commit(lambda: sent.append(worker.send()))
        assert sent == []  # nothing goes to the broker before the commit
    assert len(sent) == 1

    wait_for(lambda: sent[0] in worker.results(), DONE_WITHIN, "the task to run", worker.log)
    assert worker.results()[sent[0]] == "3"
    for lead in due:
        row = Lead.objects.filter(pk=lead.pk).values("state", "recycle_on", "version").get()
        assert row == {"state": "new", "recycle_on": None, "version": 3}
        assert system_events(lead) == [
            ("nurture", "new", {"transition": "recycle", "automatic": True})
        ]
    assert Lead.objects.get(pk=not_due.pk).state == "nurture"
    assert system_events(not_due) == []


def test_the_task_delivered_twice_recycles_once(crew, worker):
    due = nurture_leads(crew, days_ago=[1, 2])
    first, second = worker.send(), worker.send()
    wait_for(
        lambda: {first, second} <= worker.results().keys(),
        DONE_WITHIN,
        "both deliveries to run",
        worker.log,
    )
    # One queue, one solo worker: run in order; the second finds nothing left to do.
    assert (worker.results()[first], worker.results()[second]) == ("2", "0")
    for lead in due:
        assert Lead.objects.get(pk=lead.pk).state == "new"
        assert len(system_events(lead)) == 1
    assert LeadEvent.objects.filter(actor=None).count() == 2
