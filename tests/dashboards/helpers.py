"""A hand-built week of one team in New York, with known answers (see test_metrics.py).

Monday 11 January 2027, America/New_York (UTC-5). Lead B arrives at 23:30 local time, which is
already Tuesday in UTC and in Oslo: it counts on Monday, the team's local day.

- A (sdr): created 09:00; call (connected) 09:30; research 10:00, contacting 10:30,
  engaged 11:00, qualified 12:00, handed off to ae 12:10, rejected by ae 13:00,
  qualified again 14:00, handed off 14:10; accepted Tuesday 10:00.
- B (sdr, inbound): created 23:30; first touch: call (no answer) Tuesday 00:15 (45 minutes).
- C (sdr): created 10:00; disqualified from new (no need) 11:00.
- D (sdr, then sdr2): created 09:00; sdr calls (no answer) 10:00; the manager gives it to sdr2
  at 12:00; sdr2 calls (voicemail) 13:00; research 14:00, contacting 14:10, engaged 14:20,
  qualified 14:30, handed off 14:40; accepted by ae Tuesday 11:00.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from leads.models import EventKind, LeadSource
from leads.services import (
    TransitionParams,
    lead_bulk_assign,
    lead_event_record,
    lead_log_call,
    lead_transition,
)
from tests.factories import LeadFactory

NY = ZoneInfo("America/New_York")
OSLO = ZoneInfo("Europe/Oslo")


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=NY)


def new_lead(crew, owner, created: datetime, source=LeadSource.OUTBOUND):
    lead = LeadFactory(
        team=crew.team,
        owner=owner,
        source=source,
        created_at=created,
        updated_at=created,
        state_changed_at=created,
    )
    lead_event_record(
        lead=lead,
        kind=EventKind.CREATED,
        actor=owner,
        at=created,
        to_state="new",
        payload={"source": source, "owner_id": owner.pk if owner else None},
    )
    return lead


def build_week(crew, time_machine) -> dict:
    crew.team.time_zone = "America/New_York"
    crew.team.save(update_fields=["time_zone"])

    def at(moment):
        time_machine.move_to(moment, tick=False)

    def move(lead, name, actor, **params):
        return lead_transition(
            actor=actor, lead_id=lead.pk, name=name, params=TransitionParams(**params)
        )

    at(ny(11, 9))
    a = new_lead(crew, crew.sdr, ny(11, 9))
    d = new_lead(crew, crew.sdr, ny(11, 9))
    at(ny(11, 10))
    c = new_lead(crew, crew.sdr, ny(11, 10))
    at(ny(11, 23, 30))
    b = new_lead(crew, crew.sdr, ny(11, 23, 30), source=LeadSource.INBOUND)

    at(ny(11, 9, 30))
    lead_log_call(actor=crew.sdr, lead_id=a.pk, outcome="connected")
    at(ny(11, 10))
    move(a, "start_research", crew.sdr)
    lead_log_call(actor=crew.sdr, lead_id=d.pk, outcome="no_answer")
    at(ny(11, 10, 30))
    move(a, "start_contacting", crew.sdr)
    at(ny(11, 11))
    move(a, "engage", crew.sdr)
    move(c, "disqualify", crew.sdr, reason="no_need")
    at(ny(11, 12))
    move(a, "qualify", crew.sdr)
    lead_bulk_assign(actor=crew.manager, lead_ids=[d.pk], owner_id=crew.sdr2.pk)
    at(ny(11, 12, 10))
    move(a, "hand_off", crew.sdr, ae_id=crew.ae.pk)
    at(ny(11, 13))
    move(a, "reject", crew.ae, reason="Not the budget owner")
    lead_log_call(actor=crew.sdr2, lead_id=d.pk, outcome="voicemail")
    at(ny(11, 14))
    move(a, "qualify", crew.sdr)
    move(d, "start_research", crew.sdr2)
    at(ny(11, 14, 10))
    move(a, "hand_off", crew.sdr, ae_id=crew.ae.pk)
    move(d, "start_contacting", crew.sdr2)
    at(ny(11, 14, 20))
    move(d, "engage", crew.sdr2)
    at(ny(11, 14, 30))
    move(d, "qualify", crew.sdr2)
    at(ny(11, 14, 40))
    move(d, "hand_off", crew.sdr2, ae_id=crew.ae.pk)
    at(ny(12, 0, 15))
    lead_log_call(actor=crew.sdr, lead_id=b.pk, outcome="no_answer")
    at(ny(12, 10))
    move(a, "accept", crew.ae)
    at(ny(12, 11))
    move(d, "accept", crew.ae)
    at(ny(13, 9))
    return {"a": a, "b": b, "c": c, "d": d}


def oslo(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=OSLO)


def call_at(time_machine, lead, actor, moment, outcome="connected"):
    time_machine.move_to(moment, tick=False)
    lead_log_call(actor=actor, lead_id=lead.pk, outcome=outcome)


def build_beta(crew, time_machine) -> dict:
    """The other team (Europe/Oslo), the same days: E (sdr) called Monday and Tuesday; F
    (sdr2, inbound, created Monday 08:00) called Monday 09:00 (1 hour) and Tuesday; G (sdr)
    called twice on Tuesday."""
    time_machine.move_to(oslo(11, 8), tick=False)
    e = new_lead(crew, crew.sdr, oslo(11, 8))
    f = new_lead(crew, crew.sdr2, oslo(11, 8), source=LeadSource.INBOUND)
    g = new_lead(crew, crew.sdr, oslo(11, 8))
    call_at(time_machine, e, crew.sdr, oslo(11, 9))
    call_at(time_machine, f, crew.sdr2, oslo(11, 9), "no_answer")
    call_at(time_machine, e, crew.sdr, oslo(12, 9))
    call_at(time_machine, f, crew.sdr2, oslo(12, 10))
    call_at(time_machine, g, crew.sdr, oslo(12, 11), "voicemail")
    call_at(time_machine, g, crew.sdr, oslo(12, 15))
    return {"e": e, "f": f, "g": g}
