"""Two SDRs enrolling a lead each at one company at the same moment, on two real database
connections: the company's row lock makes the second see the first, which asks it first."""

import pytest

from cadences.models import Enrollment
from cadences.services import CompanyWorked, cadence_ensure_standard, enrollment_create
from leads.models import Lead, LeadState
from tests.cadences.helpers import at
from tests.cadences.test_concurrency import OK, run_threads
from tests.factories import CompanyFactory, ProspectFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]


def test_two_sdrs_enrolling_at_one_company_at_once_one_is_asked(crew, time_machine):
    time_machine.move_to(at(2027, 5, 3, 10, 0), tick=False)
    cadence = cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager)
    acme = CompanyFactory(team=crew.team, name="Acme AS", domain="acme.example")
    mine, theirs = (
        crew.lead(owner=owner, prospect=ProspectFactory(team=crew.team, company=acme))
        for owner in ("sdr", "sdr2")
    )

    results = run_threads(
        lambda: enrollment_create(actor=crew.sdr, lead_id=mine.pk, cadence_id=cadence.pk),
        lambda: enrollment_create(actor=crew.sdr2, lead_id=theirs.pk, cadence_id=cadence.pk),
    )

    outcomes = sorted("enrolled" if kind == OK else type(value).__name__ for kind, value in results)
    assert outcomes == ["CompanyWorked", "enrolled"]
    asked = next(value for kind, value in results if kind != OK)
    assert isinstance(asked, CompanyWorked)
    enrolled = Enrollment.objects.get()
    assert {enrolled.lead_id, asked.lead_id} == {mine.pk, theirs.pk}
    assert Lead.objects.get(pk=asked.lead_id).state == LeadState.NEW
