"""Routing hand-offs: round-robin weighted by capacity among the team's active AEs, skipping
those away or at capacity; and two hand-offs at once are routed one after the other."""

import threading
from dataclasses import replace

import pytest
from django.db import close_old_connections

from accounts.models import Role
from leads.models import Lead, LeadState
from leads.services import LeadInvalid
from qualification.models import AEProfile, Decision
from qualification.services import QualifyInput, lead_qualify
from tests.factories import UserFactory
from tests.qualification.conftest import BRIEF, HIGH, company_lead, qualification_snapshot

ROUTE = QualifyInput(decision=Decision.QUALIFY, answers=HIGH, brief=BRIEF)


def route(crew, n: int) -> list:
    """Qualify n fresh leads with automatic routing; the AEs they went to."""
    chosen = []
    for _ in range(n):
        lead = company_lead(crew, "engaged")
        chosen.append(lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=ROUTE).ae)
    return chosen


def profile(user, **values):
    AEProfile.objects.update_or_create(user=user, defaults=values)


def test_equal_capacity_takes_turns(crew, model):
    assert route(crew, 4) == [crew.ae, crew.ae2, crew.ae, crew.ae2]
    assert set(Lead.objects.filter(state=LeadState.HANDED_OFF).values_list("assigned_ae_id",
                                                                            flat=True)) == {
        crew.ae.pk, crew.ae2.pk}  # fmt: skip


def test_capacity_weights_the_turns_and_a_full_queue_is_skipped(crew, model):
    profile(crew.ae, capacity=2)
    profile(crew.ae2, capacity=1)

    assert route(crew, 3) == [crew.ae, crew.ae2, crew.ae]

    # Both queues are full now: nobody is available, and nothing changes.
    lead = company_lead(crew, "engaged")
    before = qualification_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=ROUTE)
    assert (exc.value.field, str(exc.value)) == (
        "ae",
        "No account executive is available: all are away or their queues are full. Choose one "
        "by hand or ask your manager.",
    )
    assert qualification_snapshot(lead.pk) == before


def test_a_decision_frees_a_place_in_the_queue(crew, model):
    from qualification.services import handoff_accept

    profile(crew.ae, capacity=1)
    profile(crew.ae2, capacity=1, is_away=True)
    [first] = route(crew, 1)
    handoff_accept(actor=crew.ae, lead_id=Lead.objects.get(assigned_ae=crew.ae).pk)

    assert [first, *route(crew, 1)] == [crew.ae, crew.ae]


def test_away_and_inactive_aes_and_other_teams_are_skipped(crew, other_crew, model):
    profile(crew.ae, is_away=True)
    inactive = UserFactory(role=Role.AE, team=crew.team, is_active=False)
    profile(inactive, capacity=50)

    assert route(crew, 3) == [crew.ae2, crew.ae2, crew.ae2]


def test_choosing_an_ae_by_hand_ignores_away_and_capacity(crew, model):
    profile(crew.ae, capacity=0, is_away=True)
    lead = company_lead(crew, "engaged")

    outcome = lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=replace(ROUTE, ae_id=crew.ae.pk))

    assert (outcome.ae, outcome.routed) == (crew.ae, False)
    # Choosing by hand does not move the round-robin.
    assert AEProfile.objects.get(user=crew.ae).rr_credit == 0


@pytest.mark.django_db(transaction=True)
def test_two_hand_offs_at_once_go_to_different_aes(crew, model):
    """Real concurrency: two connections route at the same moment; each AE has room for one
    lead, so the second must see the first's pick (the AE profiles are locked)."""
    profile(crew.ae, capacity=1)
    profile(crew.ae2, capacity=1)
    leads = [company_lead(crew, "engaged"), company_lead(crew, "engaged")]
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def work(lead):
        try:
            barrier.wait(timeout=10)
            results[lead.pk] = lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=ROUTE).ae.pk
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work, args=(lead,)) for lead in leads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    assert sorted(results.values()) == sorted([crew.ae.pk, crew.ae2.pk])
    assert sorted(
        Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list(
            "assigned_ae_id", flat=True
        )
    ) == sorted([crew.ae.pk, crew.ae2.pk])
