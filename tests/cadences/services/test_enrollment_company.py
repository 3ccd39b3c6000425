"""Two SDRs at one company: enrolling a lead whose company another SDR is working asks first
(``CompanyWorked``) and enrolls only when confirmed; the owner's own leads, finished ones, new
ones, the pool's and another team's never ask."""

import pytest

from cadences.models import Enrollment, Touch
from cadences.services import (
    CompanyWorked,
    enrollment_bulk_create,
    enrollment_create,
    enrollment_pause,
    enrollment_stop,
)
from leads.models import Lead, LeadState
from tests.cadences.helpers import enroll, events
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(crew):
    crew.sdr2.first_name, crew.sdr2.last_name = "Kari", "Nordmann"
    crew.sdr2.save(update_fields=["first_name", "last_name"])
    crew.bdr.first_name, crew.bdr.last_name = "Ola", "Hansen"
    crew.bdr.save(update_fields=["first_name", "last_name"])
    return CompanyFactory(team=crew.team, name="Acme AS", domain="acme.example")


def at_company(crew, company, owner="sdr", state="new"):
    lead = crew.lead(owner=owner, prospect=ProspectFactory(team=crew.team, company=company))
    return walk(lead, state) if state != "new" else lead


def _nothing_enrolled(lead: Lead, ring) -> None:
    assert not Enrollment.objects.filter(lead=lead).exists()
    assert not Touch.objects.filter(lead=lead).exists()
    assert Lead.objects.get(pk=lead.pk).state == LeadState.NEW
    assert events(lead) == []  # a factory lead: no entry before, none after
    ring.assert_not_called()


def test_another_sdrs_working_leads_ask_first_and_nothing_is_enrolled(
    crew, acme, standard, now, ring, django_capture_on_commit_callbacks
):
    at_company(crew, acme, owner="sdr2", state="researching")
    enroll(crew.sdr2, at_company(crew, acme, owner="sdr2"), standard)  # contacting, in a cadence
    ring.reset_mock()
    lead = at_company(crew, acme)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CompanyWorked) as exc:
        enroll(crew.sdr, lead, standard)

    assert str(exc.value) == "Kari Nordmann is working 2 leads at Acme AS."
    assert exc.value.status == 409
    assert (exc.value.lead_id, exc.value.lead_name, exc.value.company_name) == (
        lead.pk, lead.prospect.full_name, "Acme AS",
    )  # fmt: skip
    assert exc.value.workers == [(crew.sdr2.pk, "Kari Nordmann", 2)]
    _nothing_enrolled(lead, ring)


def test_confirmed_it_enrolls(crew, acme, standard, now, ring, django_capture_on_commit_callbacks):
    at_company(crew, acme, owner="sdr2", state="engaged")
    lead = at_company(crew, acme)

    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enrollment_create(
            actor=crew.sdr, lead_id=lead.pk, cadence_id=standard.pk, confirm=True
        )

    assert (enrollment.lead_id, enrollment.status) == (lead.pk, "active")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.CONTACTING
    assert Touch.objects.filter(enrollment=enrollment).count() == standard.steps.count()
    ring.assert_called_once()


def test_several_sdrs_are_named_most_leads_first(crew, acme, standard, now):
    at_company(crew, acme, owner="bdr", state="researching")
    at_company(crew, acme, owner="sdr2", state="researching")
    at_company(crew, acme, owner="sdr2", state="engaged")
    lead = at_company(crew, acme)

    with pytest.raises(CompanyWorked) as exc:
        enroll(crew.sdr, lead, standard)

    assert str(exc.value) == (
        "Kari Nordmann is working 2 leads at Acme AS; Ola Hansen is working 1 lead at Acme AS."
    )
    assert exc.value.workers == [(crew.sdr2.pk, "Kari Nordmann", 2), (crew.bdr.pk, "Ola Hansen", 1)]


def test_the_owners_own_leads_finished_new_and_pool_leads_do_not_ask(
    crew, acme, standard, now, ring
):
    at_company(crew, acme, owner="sdr", state="engaged")  # the same SDR's
    at_company(crew, acme, owner="sdr2", state="new")  # claimed, not started
    at_company(crew, acme, owner=None)  # the pool
    for finished in ("disqualified", "nurture", "qualified", "handed_off", "accepted"):
        walk(at_company(crew, acme, owner="sdr2"), finished, ae=crew.ae)
    lead = at_company(crew, acme)

    enrollment = enroll(crew.sdr, lead, standard)

    assert (enrollment.lead_id, enrollment.status) == (lead.pk, "active")


def test_a_stopped_cadence_is_not_working_but_a_paused_one_is(crew, acme, standard, now):
    other = at_company(crew, acme, owner="sdr2")
    stopped = enroll(crew.sdr2, other, standard)
    enrollment_stop(actor=crew.sdr2, enrollment_id=stopped.pk)
    walk(Lead.objects.get(pk=other.pk), "disqualified")
    first = at_company(crew, acme)
    assert enroll(crew.sdr, first, standard).status == "active"

    paused = at_company(crew, acme, owner="bdr")
    enrollment_pause(
        actor=crew.bdr, enrollment_id=enrollment_create(
            actor=crew.bdr, lead_id=paused.pk, cadence_id=standard.pk, confirm=True
        ).pk,
    )  # fmt: skip
    # The paused lead's SDR is working it; sdr's contacting lead is the sdr's own.
    second = at_company(crew, acme)
    with pytest.raises(CompanyWorked) as exc:
        enroll(crew.sdr, second, standard)
    assert exc.value.workers == [(crew.bdr.pk, "Ola Hansen", 1)]


def test_a_manager_enrolling_an_sdrs_lead_is_asked_about_the_other_sdrs(crew, acme, standard, now):
    at_company(crew, acme, owner="sdr2", state="researching")
    lead = at_company(crew, acme)

    with pytest.raises(CompanyWorked):
        enroll(crew.manager, lead, standard)
    # The manager enrolling sdr2's own lead: sdr2 works the company, no one else.
    theirs = at_company(crew, acme, owner="sdr2")
    assert enroll(crew.manager, theirs, standard).status == "active"
    assert not Enrollment.objects.filter(lead=lead).exists()


def test_another_teams_leads_at_their_own_acme_do_not_ask(crew, other_crew, acme, standard, now):
    theirs = CompanyFactory(team=other_crew.team, name="Acme AS", domain="acme.example")
    walk(
        other_crew.lead(
            owner="sdr", prospect=ProspectFactory(team=other_crew.team, company=theirs)
        ),
        "engaged",
    )
    lead = at_company(crew, acme)

    assert enroll(crew.sdr, lead, standard).status == "active"


def test_a_lead_without_a_company_is_enrolled(crew, standard, now):
    lead = crew.lead(owner="sdr", prospect=ProspectFactory(team=crew.team, company=None))

    assert enroll(crew.sdr, lead, standard).status == "active"


def test_bulk_enrolls_the_others_and_asks_about_the_worked_ones(crew, acme, standard, now):
    at_company(crew, acme, owner="sdr2", state="researching")
    asked, plain = at_company(crew, acme), crew.lead(owner="sdr")

    result = enrollment_bulk_create(
        actor=crew.sdr, lead_ids=[asked.pk, plain.pk], cadence_id=standard.pk
    )

    assert (result.enrolled, result.refused) == ([plain.pk], [])
    assert [(e.lead_id, str(e)) for e in result.to_confirm] == [
        (asked.pk, "Kari Nordmann is working 1 lead at Acme AS.")
    ]
    assert not Enrollment.objects.filter(lead=asked).exists()

    again = enrollment_bulk_create(
        actor=crew.sdr, lead_ids=[asked.pk], cadence_id=standard.pk, confirm=True
    )

    assert (again.enrolled, again.refused, again.to_confirm) == ([asked.pk], [], [])
