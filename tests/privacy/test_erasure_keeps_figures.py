"""Erasing a person keeps every figure: the commission report, the pipeline, the activity
table, time in stage and the cadence figures are the same before and after an erasure,
whether the rollup read the timeline before it, after it, or rebuilds everything from it; the
erased timeline entries keep only their non-personal structure (leads/erasure.py); and the
trigger refuses every other change of the timeline."""

from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction

from cadences.services import lead_record_reply, touch_dispatch_due
from dashboards.metrics import (
    Filters,
    Scope,
    cadence_performance,
    commission_report,
    pipeline_funnel,
    sdr_activity,
    time_in_stage,
)
from dashboards.models import DayCount, Fact, RollupCursor, WorkedCount, WorkedDay
from dashboards.rollup import facts_backfill, facts_refresh
from leads.erasure import KEPT_PAYLOAD_KEYS, event_erased_payload
from leads.models import EventKind, Lead, LeadEvent
from leads.services import lead_events_erase
from privacy.services import prospect_erase
from tests.cadences.helpers import at, email, enroll, make_cadence
from tests.dashboards.helpers import build_week
from tests.dashboards.test_backfill import _snapshot
from tests.fixtures import walk

pytestmark = pytest.mark.django_db

WEEK = Filters(start=date(2027, 1, 4), end=date(2027, 1, 17))


def _clear_dashboards():
    for model in (Fact, DayCount, WorkedDay, WorkedCount, RollupCursor):
        model.objects.all().delete()


def _figures(crew, cadence_ids=()) -> dict:
    scope = Scope("team", team_id=crew.team.pk, time_zone=crew.team.time_zone)
    sdr_scope = Scope(
        "sdr", team_id=crew.team.pk, user_id=crew.sdr.pk, time_zone=crew.team.time_zone
    )
    report = commission_report(scope, WEEK)
    funnel = pipeline_funnel(scope, WEEK)
    activity = sdr_activity(scope, WEEK)
    return {
        # every column but the prospect's name, which the erasure removes on purpose
        "commission": [
            (r.sdr_id, r.sdr, r.lead_id, r.company, r.ae, r.accepted_at, r.day)
            for r in report["rows"]
        ],
        "per_sdr": report["per_sdr"],
        "total": report["total"],
        "sdr_commission": commission_report(sdr_scope, WEEK)["total"],
        "funnel": (funnel.stages, funnel.dropouts),
        "activity": (activity.rows, activity.totals, activity.series),
        "stages": time_in_stage(scope, WEEK),
        "cadences": cadence_performance(scope, WEEK, cadence_ids=list(cadence_ids)),
        "rows": _snapshot(),
    }


def _erase_all(actor, leads):
    for lead in leads:
        prospect_erase(actor=actor, lead_id=lead.pk)


@pytest.mark.parametrize("rollup_before", [True, False], ids=["rolled-up", "not-rolled-up"])
def test_the_week_s_figures_survive_erasing_every_prospect(crew, time_machine, rollup_before):
    week = build_week(crew, time_machine)
    facts_refresh()
    figures = _figures(crew)
    assert figures["total"] == 2 and figures["per_sdr"] == [
        {"sdr_id": crew.sdr.pk, "sdr": str(crew.sdr), "accepted": 1},
        {"sdr_id": crew.sdr2.pk, "sdr": str(crew.sdr2), "accepted": 1},
    ]
    if not rollup_before:  # the rollup reads the timeline only after the erasure
        _clear_dashboards()

    _erase_all(crew.manager, week.values())

    facts_refresh()
    assert _figures(crew) == figures
    # A full rebuild from the erased timeline: the bulk path, then the incremental one.
    _clear_dashboards()
    facts_backfill()
    assert _figures(crew) == figures
    _clear_dashboards()
    facts_refresh(batch_size=5)
    assert _figures(crew) == figures
    # The commission rows name the erased prospect as erased, and nothing else changed.
    rows = commission_report(Scope("team", team_id=crew.team.pk), WEEK)["rows"]
    assert [r.prospect for r in rows] == ["Erased", "Erased"]


def test_the_figures_survive_a_departed_sdr(crew, time_machine):
    build_week(crew, time_machine)
    facts_refresh()
    figures = _figures(crew)

    crew.sdr.is_active = False
    crew.sdr.save(update_fields=["is_active"])
    facts_refresh()
    assert _figures(crew) == figures
    _clear_dashboards()
    facts_backfill()
    assert _figures(crew) == figures


def test_the_cadence_figures_survive_the_erasure(crew, time_machine):
    time_machine.move_to(at(2027, 1, 11, 10), tick=False)
    lead = crew.lead(owner="sdr")
    cadence = make_cadence(crew.manager, [email(), email(day_offset=2)])
    enroll(crew.sdr, lead, cadence)
    assert touch_dispatch_due().sent == 1
    time_machine.move_to(at(2027, 1, 11, 15), tick=False)
    lead_record_reply(lead_id=lead.pk, actor=crew.sdr, body="Zelda: yes, call me")
    facts_refresh()
    figures = _figures(crew, [cadence.pk])
    (perf,) = figures["cadences"]
    assert [(s["step"], s["sent"], s["replied"]) for s in perf["steps"]] == [(1, 1, 1), (2, 0, 0)]

    prospect_erase(actor=crew.manager, lead_id=lead.pk)

    facts_refresh()
    assert _figures(crew, [cadence.pk]) == figures
    _clear_dashboards()
    facts_backfill()
    assert _figures(crew, [cadence.pk]) == figures
    # The email entry kept its touch, step and cadence, not the subject nor the address.
    sent = LeadEvent.objects.get(lead=lead, kind=EventKind.EMAIL)
    touch_id = sent.payload["touch_id"]
    assert (sent.body, sent.payload) == (
        "",
        {"touch_id": touch_id, "step": 1, "cadence_id": cadence.pk, "breakup": False,
         "erased": True},
    )  # fmt: skip
    reply = LeadEvent.objects.get(lead=lead, kind=EventKind.REPLY)
    assert (reply.body, reply.payload) == ("", {"source": "marked by the SDR", "erased": True})


def test_erased_entries_keep_exactly_their_structure(crew, time_machine):
    week = build_week(crew, time_machine)
    a, d = week["a"], week["d"]
    before = {
        lead.pk: list(
            LeadEvent.objects.filter(lead=lead)
            .order_by("pk")
            .values_list("pk", "kind", "actor_id", "created_at", "from_state", "to_state")
        )
        for lead in (a, d)
    }

    _erase_all(crew.manager, [a, d])

    for lead in (a, d):
        events = LeadEvent.objects.filter(lead=lead).order_by("pk")
        assert [
            (e.pk, e.kind, e.actor_id, e.created_at, e.from_state, e.to_state) for e in events
        ] == before[lead.pk]
        assert {e.body for e in events} == {""}
    sdr, sdr2, ae = crew.sdr.pk, crew.sdr2.pk, crew.ae.pk
    payloads = [e.payload for e in LeadEvent.objects.filter(lead=a).order_by("pk")]
    hand_off = {"transition": "hand_off", "ae_id": ae, "ae": str(crew.ae), "erased": True}
    assert payloads == [
        {"source": "outbound", "owner_id": sdr, "erased": True},
        {"outcome": "connected", "outcome_label": "Connected", "erased": True},
        {"transition": "start_research", "erased": True},
        {"transition": "start_contacting", "erased": True},
        {"transition": "engage", "erased": True},
        {"transition": "qualify", "erased": True},
        hand_off,
        # The AE's words are gone; the team's reason stays (the figures count by it).
        {"transition": "reject", "reason_code": "other", "reason_label": "Other", "erased": True},
        {"transition": "qualify", "erased": True},
        hand_off,
        {"transition": "accept", "erased": True},
    ]
    assignment = LeadEvent.objects.get(lead=d, kind=EventKind.ASSIGNMENT)
    assert assignment.payload == {"from_owner_id": sdr, "to_owner_id": sdr2, "erased": True}


# --- The rule, in Python and in the trigger ----------------------------------------------------

SAMPLES = [
    ("created", {"source": "web_form", "owner_id": 7, "web_form_id": 3, "captured_at": "x"}),
    ("created", {"source": "import", "owner_id": None, "import_id": 2, "line": 14}),
    ("transition", {"transition": "disqualify", "reason": "no_need"}),
    ("transition", {"transition": "reject", "reason": "Zelda is not the buyer"}),
    ("transition", {"transition": "hand_off", "ae_id": 4, "ae": "Ada AE"}),
    ("transition", {"transition": "nurture", "recycle_on": "2027-03-01"}),
    ("transition", {"transition": "recycle", "automatic": True}),
    ("note", {}),
    ("note", {"web_form_id": 3}),
    ("call", {"outcome": "voicemail", "outcome_label": "Left voicemail", "touch_id": 9}),
    ("email", {"touch_id": 1, "step": 2, "cadence_id": 3, "breakup": True, "to": "z@q.example"}),
    ("task", {"touch_id": 1, "step": 2, "skipped": True}),
    ("task", {"reminder_id": 5}),
    (
        "score",
        {
            "from": None,
            "to": 71,
            "points": {"fit": 20},
            "model_version": 2,
            "verdict": "qualify",
            "disqualifiers": ["too_small"],
            "decision": "qualify",
            "override": False,
        },
    ),  # fmt: skip
    ("assignment", {"from_owner_id": None, "to_owner_id": 8, "claim": True}),
    (
        "edit",
        {
            "changes": {
                "phone": ["", "+47 555"],
                "first_name": ["Zed", "Zelda"],
                "First": ["a", "b"],
            }
        },
    ),  # fmt: skip
    ("edit", {"changes": {}, "import_id": 1, "line": 2}),
    ("edit", {"changes": ["phone"]}),
    ("checklist", {"item": "role_known", "done": True}),
    ("cadence", {"enrollment_id": 1, "cadence_id": 2, "action": "stopped", "reason": "bounced"}),
    ("reply", {"source": "anymail:postmark"}),
    ("reply", {"source": "mailbox", "matched_by": "domain", "inbound_message_id": 4,
               "colleague": True, "from": "ola@fjord.example"}),  # fmt: skip
    ("auto_reply", {"source": "mailbox", "matched_by": "thread", "inbound_message_id": 5,
                    "return_on": "2027-05-06", "resume_at": "2027-05-07T08:00:00+02:00",
                    "text": "Away"}),  # fmt: skip
    ("bounce", {"source": "mailbox", "matched_by": "recipient", "inbound_message_id": 6,
                "touch_id": 7, "status": "4.2.2", "permanent": False, "count": 2,
                "retry_at": None, "recipient": "kari@fjord.example"}),  # fmt: skip
    ("opt_out", {"matched_by": "sender", "inbound_message_id": 8, "text": "Unsubscribe me"}),
    ("sdr_email", {"source": "mailbox", "matched_by": "thread", "inbound_message_id": 9,
                   "live": True, "to": "kari@fjord.example"}),  # fmt: skip
    ("unknown_kind", {"source": "x", "secret": "y"}),
    ("call", ["not", "an", "object"]),
    ("call", {"outcome": "busy", "erased": True}),
]


@pytest.mark.parametrize(("kind", "payload"), SAMPLES)
def test_the_trigger_s_rule_is_the_python_rule(kind, payload):
    import json

    erased = event_erased_payload(kind, payload)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT leads_leadevent_erased_payload(%s, %s::jsonb)::text, "
            "leads_leadevent_erased_payload(%s, %s::jsonb) = %s::jsonb",
            [kind, json.dumps(payload), kind, json.dumps(payload), json.dumps(erased)],
        )
        text, same = cursor.fetchone()
        assert (json.loads(text), same) == (erased, True)
    assert event_erased_payload(kind, erased) == erased  # erasing twice changes nothing
    assert erased["erased"] is True
    assert set(erased) <= {*KEPT_PAYLOAD_KEYS.get(kind, ()), "erased"}


def test_the_rule_on_examples():
    assert event_erased_payload(
        "edit", {"changes": {"phone": ["", "+47"], "First": ["a", "b"]}, "line": 3}
    ) == {"line": 3, "changed_fields": ["First", "phone"], "erased": True}
    assert event_erased_payload("transition", {"transition": "reject", "reason": "Zelda"}) == {
        "transition": "reject",
        "erased": True,
    }
    assert event_erased_payload("email", {"touch_id": 1, "to": "z@q.example"}) == {
        "touch_id": 1,
        "erased": True,
    }


# --- Nothing but the erasure passes the trigger ------------------------------------------------


@pytest.fixture
def handed_off(crew):
    lead = walk(crew.lead(owner="sdr"), "handed_off", ae=crew.ae)
    return LeadEvent.objects.get(lead=lead, payload__transition="hand_off")


def _erased(event) -> dict:
    return event_erased_payload(event.kind, event.payload)


@pytest.mark.parametrize(
    "change",
    [
        lambda e: {"body": "rewritten"},
        lambda e: {"body": "", "payload": {"erased": True}},  # the old shape: loses the AE
        lambda e: {"body": "", "payload": {**_erased(e), "ae_id": 999}},
        lambda e: {"body": "", "payload": {**_erased(e), "note": "Zelda"}},
        lambda e: {"body": "", "payload": {k: v for k, v in _erased(e).items() if k != "erased"}},
        lambda e: {"body": "x", "payload": _erased(e)},
        lambda e: {"body": "", "payload": _erased(e), "kind": "note"},
        lambda e: {"body": "", "payload": _erased(e), "to_state": "accepted"},
        lambda e: {"body": "", "payload": _erased(e), "from_state": "new"},
        lambda e: {"body": "", "payload": _erased(e), "actor": None},
        lambda e: {"body": "", "payload": _erased(e), "created_at": e.created_at.replace(1999)},
    ],
    ids=[
        "body", "old-shape", "changed-id", "added-text", "unmarked", "kept-body", "kind",
        "to-state", "from-state", "actor", "created-at",
    ],
)  # fmt: skip
def test_the_trigger_refuses_anything_but_the_erasure(handed_off, change):
    before = list(LeadEvent.objects.order_by("pk").values())

    with pytest.raises(DatabaseError, match="leads_leadevent is append-only: UPDATE refused"):
        with transaction.atomic():
            LeadEvent.objects.filter(pk=handed_off.pk).update(**change(handed_off))
    with pytest.raises(DatabaseError, match="leads_leadevent is append-only: DELETE refused"):
        with transaction.atomic():
            LeadEvent.objects.filter(pk=handed_off.pk).delete()

    assert list(LeadEvent.objects.order_by("pk").values()) == before


def test_the_trigger_allows_the_erasure_and_it_erases_once(crew, handed_off):
    lead = Lead.objects.get(pk=handed_off.lead_id)
    LeadEvent.objects.filter(pk=handed_off.pk).update(body="", payload=_erased(handed_off))
    handed_off.refresh_from_db()
    assert handed_off.payload == {
        "transition": "hand_off", "ae_id": crew.ae.pk, "ae": str(crew.ae), "erased": True,
    }  # fmt: skip
    n = LeadEvent.objects.filter(lead=lead).count()
    # Entries erased before are left alone: the service erases the others only, once.
    assert lead_events_erase(events=LeadEvent.objects.filter(lead=lead)) == n - 1
    assert lead_events_erase(events=LeadEvent.objects.filter(lead=lead)) == 0
