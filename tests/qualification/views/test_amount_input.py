"""A budget typed as a Norwegian writes it ("150 000", "150 000,-", a decimal comma) is read
as the amount it says, on the qualification page of a user working in bokmål; English keeps
its own (sdrcrm.money.AmountField)."""

import pytest

from qualification.models import LeadAnswers
from tests.qualification.conftest import qualification_snapshot

FORM = {
    "timeline": "this_quarter",
    "authority": "decision_maker",
    "need": "confirmed",
    "fit": "yes",
}


def _save(client, lead, budget):
    return client.post(
        f"/qualification/leads/{lead.pk}/", {**FORM, "budget": budget, "action": "save"}
    )


@pytest.mark.parametrize(
    ("language", "typed", "stored"),
    [
        ("nb", "150 000", 150000),
        ("nb", "1\xa0250\xa0000", 1250000),
        ("nb", "150 000,-", 150000),
        ("nb", "150000,00", 150000),
        ("nb", "kr 90 000", 90000),
        ("en", "150,000", 150000),
        ("en", "NOK 1,250,000.00", 1250000),
    ],
)
def test_a_budget_is_read_as_the_user_writes_it(
    crew, model, make_lead, client, language, typed, stored
):
    crew.sdr.language = language
    crew.sdr.save(update_fields=["language"])
    lead = make_lead("contacting")
    client.force_login(crew.sdr)

    response = _save(client, lead, typed)

    assert response.status_code == 302
    assert LeadAnswers.objects.get(lead=lead).budget == stored


def test_ore_in_a_budget_is_a_clear_error_and_changes_nothing(crew, model, make_lead, client):
    crew.sdr.language = "nb"
    crew.sdr.save(update_fields=["language"])
    lead = make_lead("contacting")
    before = qualification_snapshot(lead.pk)
    client.force_login(crew.sdr)

    response = _save(client, lead, "150 000,50")

    assert response.status_code == 400
    assert "Skriv et helt beløp, uten øre." in response.content.decode()
    assert qualification_snapshot(lead.pk) == before
