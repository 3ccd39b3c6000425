"""A data subject's rights with two teams holding the same person: a team manager exports and
erases only the team's own rows; an admin exports and erases the person in every team."""

import json

import pytest
from django.forms.models import model_to_dict

from cadences.services import email_is_suppressed, email_record_bounce, email_record_unsubscribe
from leads.models import Lead, LeadEvent, Prospect
from leads.services import LeadData, TransitionParams, lead_add_note, lead_create, lead_transition
from privacy.registry import ERASED_NAME
from suppression.models import Suppression, email_hash
from tests.fixtures import walk

pytestmark = pytest.mark.django_db

KARI = "kari.nordmann@fjordkraft.example"


def _lead_of(crew, tag: str) -> Lead:
    lead, _ = lead_create(
        actor=crew.sdr,
        data=LeadData(first_name="Kari", last_name="Nordmann", email=KARI,
                      phone=f"+47 {tag} phone", title=f"{tag} title",
                      company_website="fjordkraft.example"),
    )  # fmt: skip
    lead_add_note(actor=crew.sdr, lead_id=lead.pk, body=f"{tag} note")
    walk(lead, "qualified", sdr=crew.sdr)
    lead_transition(
        actor=crew.sdr, lead_id=lead.pk, name="hand_off",
        params=TransitionParams(ae_id=crew.ae.pk, brief=f"{tag} brief"),
    )  # fmt: skip
    return Lead.objects.get(pk=lead.pk)


@pytest.fixture
def both(crew, other_crew):
    return _lead_of(crew, "alpha-secret"), _lead_of(other_crew, "beta-secret")


def rows_of(lead: Lead) -> dict:
    return {
        "prospect": model_to_dict(Prospect.objects.get(pk=lead.prospect_id)),
        "lead": model_to_dict(Lead.objects.get(pk=lead.pk)),
        "events": list(LeadEvent.objects.filter(lead=lead).order_by("pk").values()),
    }


def test_a_managers_export_holds_only_the_teams_own_rows(other_crew, both, client):
    alpha, beta = both
    client.force_login(other_crew.manager)
    response = client.get(f"/privacy/leads/{beta.pk}/export/")
    assert response.status_code == 200
    text = response.content.decode()
    data = json.loads(text)
    assert data["prospect_ids"] == [beta.prospect_id]
    assert [row["id"] for row in data["leads.lead"]] == [beta.pk]
    assert "beta-secret brief" in text and "beta-secret note" in text
    assert "alpha-secret" not in text
    # The other team's lead is out of reach altogether.
    assert client.get(f"/privacy/leads/{alpha.pk}/export/").status_code == 404


def test_a_managers_erase_leaves_the_other_teams_rows_unchanged(other_crew, both, client):
    alpha, beta = both
    before = rows_of(alpha)
    client.force_login(other_crew.manager)
    response = client.post(f"/privacy/leads/{beta.pk}/erase/", {"confirm": "erase"})
    assert response.status_code == 302
    erased = Prospect.objects.get(pk=beta.prospect_id)
    assert (erased.first_name, erased.email, erased.phone) == (ERASED_NAME, None, "")
    assert Lead.objects.get(pk=beta.pk).handoff_brief == ""
    assert rows_of(alpha) == before
    # The suppression binds the organisation (kept as a hash): no team emails her again.
    assert Suppression.objects.filter(email_hash=email_hash(KARI), email__isnull=True).exists()
    assert client.post(f"/privacy/leads/{alpha.pk}/erase/", {"confirm": "erase"}).status_code == (
        404
    )
    assert rows_of(alpha) == before


def test_an_admin_exports_the_person_from_every_team(crew, both, client):
    alpha, beta = both
    client.force_login(crew.admin)
    text = client.get(f"/privacy/leads/{alpha.pk}/export/").content.decode()
    data = json.loads(text)
    assert data["prospect_ids"] == sorted([alpha.prospect_id, beta.prospect_id])
    assert sorted(row["id"] for row in data["leads.lead"]) == sorted([alpha.pk, beta.pk])
    assert len(data["companies"]) == 2
    for secret in ("alpha-secret brief", "alpha-secret note", "beta-secret brief",
                   "beta-secret note"):  # fmt: skip
        assert secret in text


def test_an_admin_erases_the_person_in_every_team(crew, both, client):
    alpha, beta = both
    client.force_login(crew.admin)
    response = client.post(f"/privacy/leads/{alpha.pk}/erase/", {"confirm": "erase"})
    assert response.status_code == 302
    for lead in (alpha, beta):
        prospect = Prospect.objects.get(pk=lead.prospect_id)
        assert (prospect.first_name, prospect.email, prospect.title) == (ERASED_NAME, None, "")
        assert Lead.objects.get(pk=lead.pk).handoff_brief == ""
        bodies = set(LeadEvent.objects.filter(lead=lead).values_list("body", flat=True))
        assert bodies == {""}
    assert not Prospect.objects.filter(email=KARI).exists()


@pytest.mark.parametrize(
    ("record", "flag"),
    [(email_record_unsubscribe, "do_not_contact"), (email_record_bounce, "email_bounced_at")],
)
def test_the_suppression_list_binds_every_team(both, record, flag):
    """An unsubscribe or a bounce that came through one team's email flags the person in
    every team: the suppression list is organisation-wide on purpose."""
    alpha, beta = both
    record(email=" Kari.Nordmann@FJORDKRAFT.example ")
    for lead in (alpha, beta):
        assert getattr(Prospect.objects.get(pk=lead.prospect_id), flag) not in (False, None)
    assert email_is_suppressed(KARI)
    assert list(Suppression.objects.values_list("email", flat=True)) == [KARI]
