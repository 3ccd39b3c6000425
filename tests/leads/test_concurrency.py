"""Races between real concurrent database connections.

Each race runs its calls in threads (one connection each) released together by a barrier, many
rounds over, and checks that the row locks make exactly one of them win and the other get a
clean ``LeadError`` — never a silent overwrite, never a 500.
"""

import os
import threading
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection, connections
from django.utils import timezone

from leads.models import Company, EventKind, Lead, LeadEvent, Prospect
from leads.services import (
    DuplicateProspect,
    LeadConflict,
    LeadData,
    TransitionParams,
    lead_claim,
    lead_create,
    lead_recycle_due_nurture,
    lead_transition,
    lead_update,
)
from sdrcrm.errors import NotFound
from tests.factories import ProspectFactory
from tests.fixtures import walk

from .helpers import data_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]

# 50 rounds of each race in `make test`; 300 in `make test-faults` (SDRCRM_FAULT_SCALE=1).
ROUNDS = max(50, round(300 * float(os.environ.get("SDRCRM_FAULT_SCALE", "0"))))
OK = "ok"


def race(*calls) -> list[tuple[str, object]]:
    """Run ``calls`` at the same moment, each in its own thread and database connection.
    Returns, in order, ("ok", result) or ("error", exception) for each."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            connection.ensure_connection()  # connect first, so the barrier releases real work
            barrier.wait(timeout=10)
            results[i] = (OK, call())
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a racer hung (deadlock?)"
    return results


def one_winner(results, loser_type=LeadConflict) -> tuple[int, Exception]:
    """Exactly one call succeeded and the other raised exactly ``loser_type``."""
    kinds = [kind for kind, _ in results]
    assert sorted(kinds) == ["error", OK], results
    winner = kinds.index(OK)
    loser_exc = results[1 - winner][1]
    assert type(loser_exc) is loser_type, repr(loser_exc)
    return winner, loser_exc


def transitions(lead_id: int) -> list[tuple]:
    return list(
        LeadEvent.objects.filter(lead_id=lead_id, kind=EventKind.TRANSITION)
        .order_by("id")
        .values_list("from_state", "to_state", "actor_id")
    )


def test_two_identical_transitions(crew):
    for _ in range(ROUNDS):
        lead = crew.lead()
        results = race(
            partial(lead_transition, actor=crew.sdr, lead_id=lead.pk, name="start_research"),
            partial(lead_transition, actor=crew.manager, lead_id=lead.pk, name="start_research"),
        )
        winner, exc = one_winner(results)
        assert str(exc) == "This action is not possible while the lead is Researching."
        actor = [crew.sdr, crew.manager][winner]
        assert transitions(lead.pk) == [("new", "researching", actor.pk)]
        assert Lead.objects.filter(pk=lead.pk).values_list("state", "version").get() == (
            "researching",
            2,
        )


def test_two_different_transitions_from_the_same_seen_state(crew):
    for _ in range(ROUNDS):
        lead = crew.lead()
        results = race(
            partial(
                lead_transition,
                actor=crew.sdr,
                lead_id=lead.pk,
                name="disqualify",
                expected_state="new",
                params=TransitionParams(reason="no_need"),
            ),
            partial(
                lead_transition,
                actor=crew.manager,
                lead_id=lead.pk,
                name="start_research",
                expected_state="new",
            ),
        )
        winner, exc = one_winner(results)
        target, actor = [("disqualified", crew.sdr), ("researching", crew.manager)][winner]
        assert str(exc).startswith(
            f"This lead was moved from New to {target.capitalize()} by {actor} at "
        )
        assert transitions(lead.pk) == [("new", target, actor.pk)]
        assert Lead.objects.filter(pk=lead.pk).values_list("state", "version").get() == (target, 2)


def test_two_sdrs_claim_one_pool_lead(crew):
    for _ in range(ROUNDS):
        lead = crew.lead(owner=None)
        results = race(
            partial(lead_claim, actor=crew.sdr, lead_id=lead.pk),
            partial(lead_claim, actor=crew.sdr2, lead_id=lead.pk),
        )
        winner, exc = one_winner(results)
        first = [crew.sdr, crew.sdr2][winner]
        assert str(exc) == f"{first} claimed this lead first."
        assert Lead.objects.filter(pk=lead.pk).values_list("owner_id", "version").get() == (
            first.pk,
            2,
        )
        assert list(LeadEvent.objects.filter(lead_id=lead.pk).values_list("kind", "actor_id")) == [
            (EventKind.ASSIGNMENT, first.pk)
        ]


def test_an_ae_accepting_twice(crew):
    for _ in range(ROUNDS // 2):
        lead = walk(crew.lead(), "handed_off", ae=crew.ae)
        accept = partial(
            lead_transition,
            actor=crew.ae,
            lead_id=lead.pk,
            name="accept",
            expected_state="handed_off",
        )
        _, exc = one_winner(race(accept, accept))
        assert str(exc).startswith(f"This lead was moved from Handed off to Accepted by {crew.ae}")
        assert transitions(lead.pk)[-1] == ("handed_off", "accepted", crew.ae.pk)
        assert len(transitions(lead.pk)) == 6


def test_two_aes_accepting_one_lead(crew):
    """Only the AE it was handed to may take it; the other AE, racing, gets the 404 of a lead
    outside their scope, and nothing of theirs is written."""
    for _ in range(ROUNDS // 2):
        lead = walk(crew.lead(), "handed_off", ae=crew.ae)
        results = race(
            *[
                partial(
                    lead_transition,
                    actor=ae,
                    lead_id=lead.pk,
                    name="accept",
                    expected_state="handed_off",
                )
                for ae in (crew.ae, crew.ae2)
            ]
        )
        winner, exc = one_winner(results, loser_type=NotFound)
        assert winner == 0
        assert transitions(lead.pk)[-1] == ("handed_off", "accepted", crew.ae.pk)
        assert len(transitions(lead.pk)) == 6
        assert Lead.objects.filter(pk=lead.pk).values_list("state", "assigned_ae_id").get() == (
            "accepted",
            crew.ae.pk,
        )
        assert not LeadEvent.objects.filter(lead_id=lead.pk, actor=crew.ae2).exists()


def test_an_ae_accepting_and_rejecting_at_once(crew):
    """If the rejection wins, the lead has left the AE's scope: their accept gets the same
    404 as any lead they may not see (nothing about the lead is revealed)."""
    for _ in range(ROUNDS // 2):
        lead = walk(crew.lead(), "handed_off", ae=crew.ae)
        results = race(
            partial(
                lead_transition,
                actor=crew.ae,
                lead_id=lead.pk,
                name="accept",
                expected_state="handed_off",
            ),
            partial(
                lead_transition,
                actor=crew.ae,
                lead_id=lead.pk,
                name="reject",
                expected_state="handed_off",
                params=TransitionParams(reason="Too small"),
            ),
        )
        kinds = [kind for kind, _ in results]
        assert sorted(kinds) == ["error", OK], results
        if kinds[0] == OK:  # accepted first: the rejection is a conflict
            assert type(results[1][1]) is LeadConflict
            assert transitions(lead.pk)[-1] == ("handed_off", "accepted", crew.ae.pk)
            expected_row = ("accepted", crew.ae.pk)
        else:
            assert type(results[0][1]) is NotFound
            assert transitions(lead.pk)[-1] == ("handed_off", "engaged", crew.ae.pk)
            expected_row = ("engaged", None)
        assert len(transitions(lead.pk)) == 6
        assert Lead.objects.filter(pk=lead.pk).values_list("state", "assigned_ae_id").get() == (
            expected_row
        )


def test_a_transition_racing_an_edit_never_overwrites_silently(crew):
    for _ in range(ROUNDS):
        lead = crew.lead()
        seen_version = Lead.objects.get(pk=lead.pk).version
        form = data_for(lead, title="Chief Revenue Officer")
        old_title = Prospect.objects.get(pk=lead.prospect_id).title
        results = race(
            partial(lead_transition, actor=crew.sdr, lead_id=lead.pk, name="start_research"),
            partial(
                lead_update,
                actor=crew.manager,
                lead_id=lead.pk,
                expected_version=seen_version,
                data=form,
            ),
        )
        assert results[0][0] == OK, results  # the transition never needs the form's version
        title = Prospect.objects.get(pk=lead.prospect_id).title
        kinds = list(
            LeadEvent.objects.filter(lead_id=lead.pk).order_by("id").values_list("kind", flat=True)
        )
        version = Lead.objects.get(pk=lead.pk).version
        if results[1][0] == OK:  # the edit got the lock first, the transition came after
            assert (title, kinds, version) == (
                "Chief Revenue Officer",
                [EventKind.EDIT, EventKind.TRANSITION],
                3,
            )
        else:  # the transition came first: the stale form is refused, nothing of it saved
            assert type(results[1][1]) is LeadConflict
            assert (title, kinds, version) == (old_title, [EventKind.TRANSITION], 2)
        assert Lead.objects.get(pk=lead.pk).state == "researching"


def test_two_edits_from_the_same_version(crew):
    for _ in range(ROUNDS // 2):
        lead = crew.lead()
        a = data_for(lead, title="VP Sales")
        b = data_for(lead, title="CFO", phone="+47 22 22 22 22")
        results = race(
            partial(lead_update, actor=crew.sdr, lead_id=lead.pk, expected_version=1, data=a),
            partial(lead_update, actor=crew.manager, lead_id=lead.pk, expected_version=1, data=b),
        )
        winner, _ = one_winner(results)
        p = Prospect.objects.get(pk=lead.prospect_id)
        assert (p.title, p.phone) == [("VP Sales", ""), ("CFO", "+47 22 22 22 22")][winner]
        assert LeadEvent.objects.filter(lead_id=lead.pk, kind=EventKind.EDIT).count() == 1
        assert Lead.objects.get(pk=lead.pk).version == 2


def test_two_creates_of_the_same_new_prospect(crew):
    for i in range(ROUNDS):
        email = f"race{i}@race{i}.example"

        def create(actor, email=email, i=i):
            return lead_create(
                actor=actor,
                data=LeadData(
                    first_name="Ria",
                    email=email.upper(),
                    company_name=f"Race {i}",
                    company_website=f"https://race{i}.example",
                ),
            )

        results = race(partial(create, crew.sdr), partial(create, crew.sdr2))
        winner, exc = one_winner(results, DuplicateProspect)
        assert exc.existing_lead_id is None  # the other SDR's lead is not theirs to see
        lead = Lead.objects.get(prospect__email=email)
        assert lead.owner_id == [crew.sdr, crew.sdr2][winner].pk
        assert Prospect.objects.filter(email=email).count() == 1
        assert Company.objects.filter(domain=f"race{i}.example").count() == 1
        assert LeadEvent.objects.filter(lead=lead).count() == 1


def test_two_creates_for_a_prospect_with_only_closed_leads(crew):
    for _ in range(ROUNDS // 2):
        prospect = ProspectFactory()
        walk(crew.lead(prospect=prospect), "disqualified")
        data = LeadData(first_name="X", email=prospect.email, no_company_reason="Unknown")
        results = race(
            partial(lead_create, actor=crew.sdr, data=data),
            partial(lead_create, actor=crew.manager, data=data),
        )
        winner, exc = one_winner(results, DuplicateProspect)
        active = Lead.objects.filter(prospect=prospect, state="new").get()
        # Both may see the winner's lead (the manager's lands in the pool, which SDRs see).
        assert exc.existing_lead_id == active.pk
        assert active.owner_id == [crew.sdr.pk, None][winner]
        assert Lead.objects.filter(prospect=prospect).count() == 2


def test_two_sweeps_recycle_each_due_lead_once(crew):
    later = timezone.localdate() + timedelta(days=30)
    for _ in range(ROUNDS // 2):
        leads = [walk(crew.lead(), "nurture") for _ in range(3)]
        results = race(
            partial(lead_recycle_due_nurture, today=later, batch_size=1),
            partial(lead_recycle_due_nurture, today=later, batch_size=1),
        )
        assert [kind for kind, _ in results] == [OK, OK], results
        assert results[0][1] + results[1][1] == 3
        for lead in leads:
            assert transitions(lead.pk)[-1] == ("nurture", "new", None)
            assert len(transitions(lead.pk)) == 2
            assert Lead.objects.get(pk=lead.pk).state == "new"


def test_a_transition_racing_the_nurture_sweep(crew):
    later = timezone.localdate() + timedelta(days=30)
    for _ in range(ROUNDS // 2):
        lead = walk(crew.lead(), "nurture")
        results = race(
            partial(
                lead_transition,
                actor=crew.sdr,
                lead_id=lead.pk,
                name="disqualify",
                expected_state="nurture",
                params=TransitionParams(reason="no_need"),
            ),
            partial(lead_recycle_due_nurture, today=later),
        )
        assert results[1] == (OK, results[1][1]), results
        state = Lead.objects.get(pk=lead.pk).state
        if results[0][0] == OK:
            # Disqualified first (the sweep skipped the locked row or found it closed).
            assert (state, results[1][1]) == ("disqualified", 0)
            assert transitions(lead.pk)[-1] == ("nurture", "disqualified", crew.sdr.pk)
        else:
            assert type(results[0][1]) is LeadConflict
            assert (state, results[1][1]) == ("new", 1)
            assert transitions(lead.pk)[-1] == ("nurture", "new", None)
        assert len(transitions(lead.pk)) == 2


def test_an_email_edit_racing_a_create_of_that_email(crew):
    for i in range(ROUNDS // 2):
        lead = crew.lead()
        email = f"taken{i}@race.example"
        results = race(
            partial(
                lead_update,
                actor=crew.sdr,
                lead_id=lead.pk,
                expected_version=1,
                data=data_for(lead, email=email),
            ),
            partial(
                lead_create,
                actor=crew.sdr2,
                data=LeadData(first_name="Tia", email=email, company_name="Tia AS"),
            ),
        )
        winner, exc = one_winner(results, DuplicateProspect)
        assert Prospect.objects.filter(email=email).count() == 1
        if winner == 0:  # the edit took the email first
            assert Prospect.objects.get(email=email).pk == lead.prospect_id
            assert LeadEvent.objects.filter(lead_id=lead.pk, kind=EventKind.EDIT).count() == 1
        else:
            assert str(exc) == "Another prospect already has this email."
            assert Prospect.objects.get(pk=lead.prospect_id).email != email
            assert LeadEvent.objects.filter(lead_id=lead.pk).count() == 0
            assert Lead.objects.get(pk=lead.pk).version == 1
