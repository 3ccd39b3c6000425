"""The standard cadence run end to end by a real Celery worker process against Redis and the
test database, with the clock moved forward.

The worker is started with ``SDRCRM_CLOCK_FILE`` (a file holding a clock offset in seconds)
and Django's file email backend; the test process reads the same clock file. For each touch the
test moves the clock to 10:00 on its due day (in the prospect's time zone, Oslo), sends
``cadences.tick_task`` to the worker's queue and waits (bounded polling) for the worker to do
its part: send the email, or bring the manual task due, which the test then completes through
the service as the SDR would. After the break-up email and its wait, a last tick scraps the
lead.
"""

import os
import re
import uuid
from datetime import datetime, time, timedelta
from email import message_from_bytes
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone

from cadences.models import Enrollment, Touch, TouchStatus
from cadences.services import (
    cadence_ensure_standard,
    enrollment_create,
    lead_record_reply,
    touch_complete,
)
from cadences.tasks import tick_task, touch_dispatch_task
from leads.models import EventKind, Lead, LeadEvent
from sdrcrm.celery import app as celery_app
from tests.cadences.helpers import OSLO, at
from tests.integration.test_celery_worker import broker_url, wait_for, worker_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DONE_WITHIN = 20
SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # between messages in a file of the file backend


class CadenceWorker:
    def __init__(self, queue: str, log: Path, clock_file: Path, mail_dir: Path):
        self.queue, self.log, self.clock_file, self.mail_dir = queue, log, clock_file, mail_dir
        self.offset = 0.0

    def set_now(self, moment: datetime) -> None:
        """Move the clock (of the worker and of this process) so that it is ``moment`` now.
        The offset only grows: time never goes back."""
        offset = (moment - timezone.now()).total_seconds()
        assert offset >= self.offset, "the clock only moves forward"
        self.offset = offset
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(f"{offset:.6f}")
        os.replace(tmp, self.clock_file)  # a new file, a new mtime: re-read on the next call

    def tick(self) -> str:
        with celery_app.connection_for_write(broker_url()) as conn:
            return tick_task.apply_async(queue=self.queue, connection=conn).id

    def finished(self, task_id: str) -> bool:
        return bool(re.search(rf"\[{task_id}\] succeeded in", self.log.read_text()))

    def tick_and_wait(self) -> None:
        task_id = self.tick()
        wait_for(lambda: self.finished(task_id), DONE_WITHIN, f"tick {task_id}", self.log)

    def messages(self) -> list:
        found = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for raw in path.read_bytes().split(SEPARATOR):
                if raw.strip():
                    found.append(message_from_bytes(raw))
        return found


@pytest.fixture
def cadence_worker(transactional_db, tmp_path, settings):
    queue = f"test-cadences-{uuid.uuid4().hex[:12]}"
    clock_file = tmp_path / "clock"
    clock_file.write_text("0")
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.SDRCRM_CLOCK_FILE = str(clock_file)
    with worker_process(
        queue,
        tmp_path,
        SDRCRM_CLOCK_FILE=str(clock_file),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        # The dispatch the tick fans out goes to the default queue: this worker's.
        SDRCRM_DISPATCH_FANOUT="1",
    ) as (_process, log):
        # Enrollments in this process ring the dispatcher after commit; that bell would go to
        # the default queue, which no worker here consumes. The tick does the work instead.
        with mock.patch.object(touch_dispatch_task, "delay"):
            yield CadenceWorker(queue, log, clock_file, mail_dir)


def ten_oclock_on_due_day(touch: Touch) -> datetime:
    """10:00 in Oslo on the touch's due day, or just after its due time if that is later."""
    due = touch.due_at.astimezone(OSLO)
    return max(datetime.combine(due.date(), time(10, 0), tzinfo=OSLO), due + timedelta(seconds=1))


def enrolled(crew) -> tuple[Lead, Enrollment]:
    standard = cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager)
    lead = crew.lead(prospect__first_name="Ada", prospect__last_name="King")
    enrollment = enrollment_create(actor=crew.sdr, lead_id=lead.pk, cadence_id=standard.pk)
    return lead, enrollment


def next_open(enrollment) -> Touch | None:
    return (
        Touch.objects.filter(
            enrollment=enrollment, status__in=[TouchStatus.SCHEDULED, TouchStatus.DUE]
        )
        .order_by("position")
        .first()
    )


def status_of(touch: Touch) -> str:
    return Touch.objects.filter(pk=touch.pk).values_list("status", flat=True).get()


def run_touch(worker: CadenceWorker, crew, touch: Touch) -> None:
    """Move the clock to the touch's day, tick, and see it through."""
    worker.set_now(ten_oclock_on_due_day(touch))
    worker.tick()
    if touch.channel == "auto_email":
        wait_for(lambda: status_of(touch) == "sent", DONE_WITHIN, f"email {touch}", worker.log)
        return
    wait_for(lambda: status_of(touch) == "due", DONE_WITHIN, f"task {touch}", worker.log)
    outcome = {"linkedin_connect": "linkedin_sent", "call": "voicemail"}[touch.channel]
    result = touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome=outcome)
    assert (result.propose_reminder_at is not None) == (outcome == "voicemail")


def test_the_standard_cadence_runs_to_the_automatic_scrap(crew, cadence_worker):
    worker = cadence_worker
    worker.set_now(at(2027, 5, 3, 9, 59))  # Monday 3 May 2027, just before 10:00 in Oslo
    lead, enrollment = enrolled(crew)

    done = []
    while (touch := next_open(enrollment)) is not None:
        run_touch(worker, crew, touch)
        done.append(touch.position)
        assert len(done) <= 9, done
    assert done == [1, 2, 3, 4, 5, 6, 7, 8, 9]

    # The break-up went out: nothing comes back within its wait.
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.scrap_due_at is not None) == ("active", True)
    worker.set_now(enrollment.scrap_due_at - timedelta(minutes=5))
    worker.tick_and_wait()
    assert Lead.objects.get(pk=lead.pk).state == "contacting"
    worker.set_now(enrollment.scrap_due_at + timedelta(minutes=1))
    worker.tick_and_wait()

    scrapped = Lead.objects.get(pk=lead.pk)
    assert (scrapped.state, scrapped.disqualify_reason) == ("disqualified", "no_response")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("completed", "no_response")

    touches = list(Touch.objects.filter(enrollment=enrollment).order_by("position"))
    assert [t.status for t in touches] == [
        "sent", "done", "sent", "sent", "done", "sent", "sent", "sent", "sent",
    ]  # fmt: skip
    emails = [t for t in touches if t.channel == "auto_email"]
    messages = worker.messages()
    assert len(messages) == 7
    ids = [m["Message-ID"] for m in messages]
    assert len(set(ids)) == 7
    assert sorted(ids) == sorted(f"<{t.idempotency_key}@localhost>" for t in emails)
    assert {m["To"] for m in messages} == {lead.prospect.email}
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in messages)
    # Every email went out on a business day inside the window, in send order on the timeline.
    timeline = list(
        LeadEvent.objects.filter(lead=lead, kind=EventKind.EMAIL).order_by("created_at", "id")
    )
    assert [e.payload["step"] for e in timeline] == [1, 3, 4, 6, 7, 8, 9]
    assert [e.body for e in timeline] == [t.rendered_subject for t in emails]
    assert timeline[-1].payload["breakup"] is True
    assert [t.sent_at for t in emails] == sorted(t.sent_at for t in emails)
    for t in emails:
        local = t.sent_at.astimezone(OSLO)
        assert local.weekday() < 5 and time(8, 0) <= local.time() < time(17, 0), local
    assert [t.sent_at.astimezone(OSLO).date().isoformat() for t in emails] == [
        "2027-05-03", "2027-05-05", "2027-05-11", "2027-05-13", "2027-05-19", "2027-05-24",
        "2027-05-27",
    ]  # fmt: skip
    assert enrollment.scrap_due_at.astimezone(OSLO).date().isoformat() == "2027-06-03"
    call = touches[4]
    assert (call.outcome, call.completed_by_id) == ("voicemail", crew.sdr.pk)


def test_a_reply_mid_cadence_stops_everything(crew, cadence_worker):
    worker = cadence_worker
    worker.set_now(at(2027, 5, 3, 9, 59))
    lead, enrollment = enrolled(crew)
    for _ in range(2):  # the first email and the LinkedIn task
        run_touch(worker, crew, next_open(enrollment))
    assert len(worker.messages()) == 1
    upcoming = next_open(enrollment)
    assert (upcoming.position, upcoming.channel) == (3, "auto_email")

    lead_record_reply(lead_id=lead.pk, actor=None, body="Call me", source="inbound webhook")

    worker.set_now(ten_oclock_on_due_day(upcoming))
    worker.tick_and_wait()
    worker.set_now(at(2027, 7, 1, 10, 0))  # long after the cadence would have ended
    worker.tick_and_wait()
    assert len(worker.messages()) == 1
    assert (
        list(Touch.objects.filter(enrollment=enrollment).order_by("position").values_list("status"))
        == [("sent",), ("done",)] + [("cancelled",)] * 7
    )
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "replied")
    assert Lead.objects.get(pk=lead.pk).state == "engaged"
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.EMAIL).count() == 1
