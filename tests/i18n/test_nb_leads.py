"""The leads area in bokmål: the lead list, a lead's page, the lead form, the reasons page,
the overview, a flash message, a domain error and the export's header, for a user who
works in bokmål. Needs the bokmål catalogue with the leads compendium merged
(/work/wt/notes/nb_leads.po): the lead runs it after the merge."""

import csv
import io

import pytest

pytestmark = pytest.mark.django_db


def _in_bokmaal(user):
    user.language = "nb"
    user.save(update_fields=["language"])
    return user


def test_the_lead_list_is_in_bokmaal(crew, client):
    crew.lead(prospect__first_name="Kari", prospect__last_name="Nordmann")
    client.force_login(_in_bokmaal(crew.manager))

    html = client.get("/leads/").content.decode()

    assert '<html lang="nb">' in html
    assert '<th scope="col">Kontaktperson</th>' in html
    assert '<th scope="col">Status</th>' in html
    assert '<th scope="col" class="hide-sm">Eier</th>' in html
    assert "1 lead</p>" in html
    assert '<span class="badge state-new">Ny</span>' in html
    assert '<td class="hide-sm">Outbound</td>' in html
    for state in ("Research", "I kontakt", "I dialog", "Skrotet", "Til pleie", "Overlevert"):
        assert f"> {state}</label>" in html, state
    assert '<option value="-created" selected>Nyeste først</option>' in html
    assert '<option value="unassigned">Uten eier</option>' in html
    assert ">Nytt lead</a>" in html
    assert ">Gi valgte</button>" in html
    for english in (">Prospect<", ">New lead<", ">Newest first<", "> Researching<", ">Apply<"):
        assert english not in html, english


def test_an_empty_filtered_list_says_so_in_bokmaal(crew, client):
    client.force_login(_in_bokmaal(crew.manager))

    html = client.get("/leads/?q=ingensteds").content.decode()

    assert "<strong>Ingen leads her.</strong>" in html
    assert 'Ingen leads passer til filtrene. <a href="/leads/">Fjern filtrene</a>.' in html


def test_a_lead_page_is_in_bokmaal(crew, client):
    lead = crew.lead()
    client.force_login(_in_bokmaal(crew.sdr))

    html = client.get(f"/leads/{lead.pk}/").content.decode()

    assert ">Flytt leadet</h2>" in html
    assert 'data-transition="start_research">Start research</button>' in html
    assert "Skrot lead…</summary>" in html
    assert "Til pleie (ikke nå)…</summary>" in html
    assert '<label for="nurture-date">Blir ny igjen</label>' in html
    assert ">Researchliste <" in html
    assert "Rollen er kjent" in html
    assert ">Legg til et notat</h2>" in html
    assert ">Logg en samtale</h2>" in html
    assert '<option value="meeting_booked">Fikk svar: møte booket</option>' in html
    assert ">Tidslinje</h2>" in html
    assert ">Rediger</a>" in html
    for english in ("Move this lead", "Start contacting", "Research checklist", "Add a note"):
        assert english not in html, english


def test_a_transition_and_its_refusal_speak_bokmaal(crew, client):
    lead = crew.lead()
    client.force_login(_in_bokmaal(crew.sdr))
    url = f"/leads/{lead.pk}/transition/start_research/"

    done = client.post(url, {"expected_state": "new"}, follow=True).content.decode()
    assert "Leadet har nå status Research." in done

    again = client.post(url, {"expected_state": "new"}, follow=True).content.decode()
    assert "Leadet ble flyttet fra Ny til Research av" in again
    assert "Ingenting ble endret" in again


def test_the_lead_form_is_in_bokmaal(crew, client):
    client.force_login(_in_bokmaal(crew.sdr))

    html = client.get("/leads/new/").content.decode()

    assert "<h1>Nytt lead</h1>" in html
    assert "<legend>Kontaktperson</legend>" in html
    assert "<legend>Bedrift</legend>" in html
    assert "Stillingstittel" in html
    assert "Rolle i kjøpet" in html
    assert '<option value="decision_maker">Beslutningstaker</option>' in html
    assert '<option value="marketing_list">Liste fra markedsavdelingen</option>' in html
    assert ">Lag lead</button>" in html


def test_the_reasons_page_and_overview_are_in_bokmaal(crew, client):
    client.force_login(_in_bokmaal(crew.manager))

    reasons = client.get("/leads/reasons/").content.decode()
    assert "<h1>Teamets årsaker</h1>" in reasons
    assert ">Skroting</h2>" in reasons
    assert ">Avvist overlevering</h2>" in reasons
    assert ">Gi nytt navn</button>" in reasons

    overview = client.get("/leads/overview/").content.decode()
    assert "<h1>Teamoversikt</h1>" in overview
    assert '<th scope="col">Andel</th>' in overview
    assert '<th scope="row">Totalt</th>' in overview


def test_the_export_header_is_in_bokmaal(crew, client):
    crew.lead()
    client.force_login(_in_bokmaal(crew.manager))

    response = client.get("/leads/export/?format=csv")
    text = b"".join(response.streaming_content).decode()
    header = next(csv.reader(io.StringIO(text)))

    assert header[:4] == ["Lead-ID", "Status", "Kilde", "Eier"]
    assert header[-2:] == ["Laget", "Status endret"]
    row = next(r for r in csv.reader(io.StringIO(text)) if r[0] != "Lead-ID")
    assert row[1:3] == ["Ny", "Outbound"]


def test_a_timeline_entry_is_written_in_the_language_of_who_made_it(crew, client):
    lead = crew.lead()
    client.force_login(_in_bokmaal(crew.sdr))

    client.post(f"/leads/{lead.pk}/checklist/", {"item": "role_known", "done": "1"})
    html = client.get(f"/leads/{lead.pk}/").content.decode()

    assert '<span class="kind">Researchliste</span>' in html
    assert '<p class="prewrap">Rollen er kjent: gjort</p>' in html


def test_a_new_teams_reasons_start_in_its_language(crew, client):
    crew.team.language = "nb"
    crew.team.save(update_fields=["language"])
    crew.manager.language = "en"
    crew.manager.save(update_fields=["language"])
    client.force_login(crew.manager)

    html = client.get("/leads/reasons/").content.decode()

    assert '<html lang="en">' in html
    assert 'value="Ikke budsjett"' in html
    assert 'value="No budget"' not in html
