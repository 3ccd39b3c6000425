"""Demo history for the dashboards (called by ``seed_demo``, after the cadences and
qualification demo data): six weeks of the SDRs' work, then the rollup, so the manager's
pipeline, activity, commission, cadence and time-in-stage pages show figures at once.

Each story is one lead walked through the real services (created, researched, enrolled in the
standard cadence, its emails sent by the dispatcher and its manual steps done, a reply, a
qualification and hand-off, the AE's acceptance or rejection with a reason, a scrap with a
reason, a break-up without answer) with the clock set to the moment it happened: the
timeline is what the app would have written then, and the rollup reads it as it reads any.
A story stops at the present (its cadence goes on as any other).

Idempotent: a story whose person is in the team is skipped, so running it again adds nothing.
"""

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import Team, User
from cadences.models import Channel, Enrollment, EnrollmentStatus, TaskOutcome, Touch, TouchStatus
from cadences.services import (
    cadence_ensure_standard,
    enrollment_create,
    enrollment_scrap_unanswered,
    enrollment_stop_for_moved_leads,
    lead_record_reply,
    touch_complete,
    touch_dispatch_due,
)
from dashboards.rollup import facts_refresh
from leads.management.commands.seed_demo import demo_lead_data, demo_person
from leads.models import CallOutcome, DisqualifyReason, Lead, LeadSource, Prospect
from leads.services import lead_add_note, lead_create, lead_log_call, lead_transition
from qualification import services as qualification
from qualification.models import Decision

TEAM = "Nordlys Sales"
# Six weeks: the break-up cadences started then have ended; the rest is in the last four.
HISTORY_DAYS = 42
# The demo's people for these stories: demo_person(FIRST_PERSON + n), apart from seed_demo's.
FIRST_PERSON = 100


@dataclass(frozen=True)
class Story:
    sdr: str
    day: int  # the business day it starts, counted from the first of the six weeks
    end: str  # accept, reject, pending, scrap, breakup, open
    touches: int = 3  # cadence steps done before the reply (or the scrap)
    source: str = LeadSource.OUTBOUND
    reason: str = ""  # the scrap's reason, or the AE's rejection
    ae: str = "anders"
    then: str = DisqualifyReason.NO_BUDGET  # after a rejection, the SDR scraps it for this


STORIES = [
    Story("sara", 10, "accept", touches=3),
    Story("sara", 0, "breakup"),
    Story("sara", 12, "reject", touches=4, reason="No budget until next year."),
    Story("sara", 13, "scrap", touches=2, reason=DisqualifyReason.NO_NEED),
    Story("sara", 15, "accept", touches=1, source=LeadSource.WEB_FORM, ae="ingrid"),
    Story("sara", 17, "accept", touches=5, ae="ingrid"),
    Story("sara", 21, "pending", touches=2),
    Story("sara", 24, "open"),
    Story("sindre", 1, "breakup"),
    Story("sindre", 11, "accept", touches=3, ae="ingrid"),
    Story("sindre", 12, "scrap", touches=3, reason=DisqualifyReason.COMPETITOR),
    Story(
        "sindre",
        13,
        "reject",
        touches=3,
        reason="Already signed with a competitor.",
        ae="ingrid",
        then=DisqualifyReason.COMPETITOR,
    ),
    Story("sindre", 16, "accept", touches=1, source=LeadSource.INBOUND),
    Story("sindre", 19, "scrap", touches=1, reason=DisqualifyReason.NO_AUTHORITY),
    Story("sindre", 23, "open", source=LeadSource.MARKETING_LIST),
    Story("bjorn", 2, "breakup"),
    Story("bjorn", 14, "accept", touches=4),
    Story("bjorn", 15, "scrap", touches=2, reason=DisqualifyReason.NO_BUDGET),
    Story(
        "bjorn",
        18,
        "reject",
        touches=2,
        reason="Only 12 people would use it; too small.",
        then=DisqualifyReason.TOO_SMALL,
    ),
    Story("bjorn", 20, "accept", touches=3, ae="ingrid"),
    Story("bjorn", 25, "open"),
]

GOOD_ANSWERS = qualification.Answers(
    budget=150_000,
    timeline="this_quarter",
    authority="decision_maker",
    need="confirmed",
    fit="yes",
)


@contextmanager
def demo_clock(at: datetime):
    """The services' clock (django.utils.timezone.now, which sdrcrm.clock reads) set to
    ``at``. No worker is rung to send due emails: a worker's clock is the real one, and the
    stories send their own emails at their own times."""
    with (
        mock.patch("django.utils.timezone.now", return_value=at),
        mock.patch("cadences.services.ring.ring_dispatcher"),
    ):
        yield


class Stop(Exception):
    """The story has reached the present."""


class Command(BaseCommand):
    help = "Four weeks of demo history for the dashboards, then the rollup (idempotent)."

    def handle(self, *args, **options):
        team = Team.objects.filter(name=TEAM).first()
        if team is None:
            self.stdout.write("No demo team: run seed_demo first. Nothing done.")
            return
        self.team = team
        self.tz = ZoneInfo(team.time_zone)
        self.users = {u.username: u for u in User.objects.filter(team=team)}
        self.present = timezone.now()
        # The one seed_demo_cadences made: the demo team's cadences are in bokmål.
        self.cadence = cadence_ensure_standard(team_id=team.pk, language="nb")
        today = self.present.astimezone(self.tz).date()
        first = today - timedelta(days=HISTORY_DAYS - 1)
        self.days = [
            d
            for d in (first + timedelta(days=n) for n in range(HISTORY_DAYS))
            if d.weekday() < 5 and d < today
        ]
        told = 0
        for n, story in enumerate(STORIES):
            told += self._tell(n, story)
        if told:
            # The stories' leads scored, and their outcomes counted, as the others were.
            call_command("seed_demo_qualification", stdout=StringIO())
        added = facts_refresh()
        self.stdout.write(
            self.style.SUCCESS(f"Dashboards demo ready ({told} stories told, {added} facts added).")
        )

    # --- time -------------------------------------------------------------------------------

    def _at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)

    def _next_day(self, at: datetime, hour: int, minute: int = 0) -> datetime:
        """The next business day after ``at``, at hour:minute."""
        d = at.astimezone(self.tz).date() + timedelta(days=1)
        while d.weekday() >= 5:
            d += timedelta(days=1)
        return self._at(d, hour, minute)

    def _go(self, at: datetime) -> datetime:
        if at >= self.present - timedelta(minutes=5):
            raise Stop
        self.now = at
        return at

    # --- a story ----------------------------------------------------------------------------

    def _tell(self, n: int, story: Story) -> int:
        person = demo_person(FIRST_PERSON + n)
        if Prospect.objects.filter(team=self.team, email=person["email"]).exists():
            return 0
        if story.day >= len(self.days):
            return 0
        sdr = self.users[story.sdr]
        self.now = self._at(self.days[story.day], 9, 5 * (n % 10))
        try:
            with demo_clock(self.now):
                lead, _ = lead_create(
                    actor=sdr,
                    data=demo_lead_data(
                        FIRST_PERSON + n, owner=sdr, source=story.source, rng=random.Random(n)
                    ),
                )
            self._do(self.now + timedelta(minutes=10), self._research, sdr, lead, person)
            self._do(
                self.now + timedelta(minutes=10),
                enrollment_create,
                actor=sdr,
                lead_id=lead.pk,
                cadence_id=self.cadence.pk,
                # The story happened before seed_demo's leads of today: nobody was asked.
                confirm=True,
            )
            steps = 99 if story.end in ("breakup", "open") else story.touches
            for _ in range(steps):
                if not self._step(sdr, lead):
                    break
            if story.end == "breakup":
                enrollment = Enrollment.objects.get(lead=lead)
                if enrollment.scrap_due_at is not None:
                    self._do(enrollment.scrap_due_at, enrollment_scrap_unanswered)
            elif story.end == "scrap":
                self._scrap(sdr, lead, story.reason, self._next_day(self.now, 11))
            elif story.end in ("accept", "reject", "pending"):
                self._won(sdr, lead, story, person["company"][0])
        except Stop:
            pass
        return 1

    def _do(self, at: datetime, service, *args, **kwargs):
        with demo_clock(self._go(at)):
            return service(*args, **kwargs)

    def _research(self, sdr: User, lead: Lead, person: dict) -> None:
        company = person["company"]
        lead_transition(actor=sdr, lead_id=lead.pk, name="start_research")
        lead_add_note(
            actor=sdr,
            lead_id=lead.pk,
            body=f"{company[0]} ({company[2]}, about {company[3]} employees).",
        )

    def _step(self, sdr: User, lead: Lead) -> bool:
        """The next step of the lead's cadence, when it is due: an email sent by the dispatcher,
        a manual step done. False when there is none."""
        touch = (
            Touch.objects.filter(
                lead=lead,
                enrollment__status=EnrollmentStatus.ACTIVE,
                status__in=[TouchStatus.SCHEDULED, TouchStatus.DUE],
            )
            .order_by("position")
            .first()
        )
        if touch is None:
            return False
        at = max(touch.due_at, self.now) + timedelta(minutes=3)
        if touch.channel == Channel.AUTO_EMAIL:
            self._do(at, touch_dispatch_due, now_fn=lambda: at)
        else:
            outcome = {
                Channel.LINKEDIN_CONNECT: TaskOutcome.LINKEDIN_ACCEPTED,
                Channel.CALL: TaskOutcome.VOICEMAIL,
            }.get(touch.channel, TaskOutcome.DONE)
            self._do(at, touch_complete, actor=sdr, touch_id=touch.pk, outcome=outcome)
        return True

    def _scrap(self, sdr: User, lead: Lead, reason: str, at: datetime) -> None:
        self._do(
            at,
            qualification.lead_qualify,
            actor=sdr,
            lead_id=lead.pk,
            data=qualification.QualifyInput(
                decision=Decision.DISQUALIFY,
                disqualify_reason=reason,
                override_reason="Talked to them: not for us now.",
            ),
        )
        self._do(self.now + timedelta(minutes=1), enrollment_stop_for_moved_leads)

    def _won(self, sdr: User, lead: Lead, story: Story, company: str) -> None:
        self._do(self._next_day(self.now, 10, 30), lead_record_reply, actor=sdr, lead_id=lead.pk)
        self._do(
            self.now + timedelta(hours=2),
            lead_log_call,
            actor=sdr,
            lead_id=lead.pk,
            outcome=CallOutcome.CONNECTED,
            notes="Walked through their needs; they want to see a demo.",
        )
        self._do(
            self._next_day(self.now, 11),
            qualification.lead_qualify,
            actor=sdr,
            lead_id=lead.pk,
            data=qualification.QualifyInput(
                decision=Decision.QUALIFY,
                answers=GOOD_ANSWERS,
                override_reason="Confirmed on the call.",
                ae_id=self.users[story.ae].pk,
                brief=qualification.Brief(
                    need="A shared pipeline for the sales team",
                    budget="About NOK 150,000 a year",
                    timeline="This quarter",
                    decision_maker="Our contact decides",
                    next_step=f"A demo for {company}'s sales team",
                ),
            ),
        )
        ae = self.users[story.ae]
        if story.end == "accept":
            self._do(
                self._next_day(self.now, 13), qualification.handoff_accept, actor=ae,
                lead_id=lead.pk,
            )  # fmt: skip
        elif story.end == "reject":
            self._do(
                self._next_day(self.now, 13), qualification.handoff_reject, actor=ae,
                lead_id=lead.pk, reason=story.reason,
            )  # fmt: skip
            self._scrap(sdr, lead, story.then, self._next_day(self.now, 9, 30))
