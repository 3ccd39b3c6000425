"""The data-subject page, /privacy/: a privacy officer (or an admin) finds one person by email
address in every team, exports everything held on them and erases it; a team manager does the
same within the own team only. Hostile input answers a clear 4xx and changes nothing."""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEntry
from leads.erasure import event_erased_payload
from leads.models import Lead, LeadEvent, Prospect
from privacy.registry import ERASED_NAME, PERSONAL_DATA
from suppression.models import Suppression, email_hash
from tests.factories import LeadFactory, ProspectFactory, TeamFactory
from tests.fixtures import api_token_for, walk
from tests.privacy.test_workspaces import KARI, _lead_of, rows_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(crew, other_crew):
    """Kari, held by team Alpha and team Beta, each with a handed-off lead, a note and a
    brief of its own."""
    return _lead_of(crew, "alpha-secret"), _lead_of(other_crew, "beta-secret")


def _structure(lead: Lead) -> list[tuple]:
    """What the figures are built from: every timeline entry's non-personal columns, and its
    payload as the erasure rule keeps it (leads/erasure.py)."""
    return [
        (e.pk, e.kind, e.actor_id, e.from_state, e.to_state, e.created_at,
         event_erased_payload(e.kind, e.payload))
        for e in LeadEvent.objects.filter(lead=lead).order_by("pk")
    ]  # fmt: skip


def _lead_figures(lead: Lead) -> tuple:
    lead = Lead.objects.get(pk=lead.pk)
    return (lead.team_id, lead.owner_id, lead.assigned_ae_id, lead.state, lead.handed_off_at,
            lead.qualified_at, lead.source, lead.score)  # fmt: skip


def _erase(client, email=KARI, **extra):
    return client.post(
        "/privacy/erase/", {"email": email, "confirm": "erase", "reason": "DSR-2025-017", **extra}
    )


# --- The privacy officer -------------------------------------------------------------------


def test_the_officer_finds_the_person_in_every_team(crew, both, client):
    alpha, beta = both
    client.force_login(crew.privacy)

    response = client.post("/privacy/", {"email": "  Kari.Nordmann@FJORDKRAFT.example "})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    people = response.context["people"]
    assert [(p.pk, p.team.name, p.first_name, p.last_name) for p in people] == [
        (alpha.prospect_id, "Alpha", "Kari", "Nordmann"),
        (beta.prospect_id, "Beta", "Kari", "Nordmann"),
    ]
    assert [[lead.state for lead in p.subject_leads] for p in people] == [
        ["handed_off"],
        ["handed_off"],
    ]
    text = response.content.decode()
    assert text.count("<td>Handed off</td>") == 2
    # The minimum needed to act: nothing the teams recorded about her.
    for secret in ("alpha-secret", "beta-secret", "+47"):
        assert secret not in text
    # The address is in the POST body, never in a URL.
    assert KARI not in response.request["PATH_INFO"] and not response.request["QUERY_STRING"]


def test_the_officers_export_holds_both_teams_records(crew, both, client):
    alpha, beta = both
    client.force_login(crew.privacy)

    response = client.post("/privacy/export/", {"email": KARI.upper()})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-')
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    data = json.loads(text)
    assert set(data) == {"exported_at", "email", "prospect_ids", "teams", "companies",
                         *PERSONAL_DATA}  # fmt: skip
    assert data["email"] == KARI
    assert data["prospect_ids"] == sorted([alpha.prospect_id, beta.prospect_id])
    assert [t["name"] for t in data["teams"]] == ["Alpha", "Beta"]
    assert [r["id"] for r in data["leads.prospect"]] == data["prospect_ids"]
    assert sorted(r["id"] for r in data["leads.lead"]) == sorted([alpha.pk, beta.pk])
    assert {r["team_id"] for r in data["companies"]} == {crew.team.pk, beta.team_id}
    assert {r["lead_id"] for r in data["leads.leadevent"]} == {alpha.pk, beta.pk}
    for secret in ("alpha-secret brief", "alpha-secret note", "beta-secret brief",
                   "beta-secret note"):  # fmt: skip
        assert secret in text
    entries = AuditEntry.objects.filter(action="privacy_export").order_by("target_id")
    assert [(e.actor_id, e.target_type, e.target_id) for e in entries] == [
        (crew.privacy.pk, "leads.prospect", str(pk)) for pk in data["prospect_ids"]
    ]


def test_the_officer_erases_the_person_in_both_teams(crew, both, client):
    alpha, beta = both
    structure = {lead.pk: _structure(lead) for lead in both}
    figures = {lead.pk: _lead_figures(lead) for lead in both}
    client.force_login(crew.privacy)

    response = _erase(client)

    assert (response.status_code, response["Location"]) == (302, "/privacy/")
    for lead in (alpha, beta):
        prospect = Prospect.objects.get(pk=lead.prospect_id)
        assert (prospect.first_name, prospect.last_name, prospect.email, prospect.phone,
                prospect.title, prospect.linkedin_url, prospect.do_not_contact) == (
            ERASED_NAME, "", None, "", "", "", True)  # fmt: skip
        assert Lead.objects.get(pk=lead.pk).handoff_brief == ""
        assert set(LeadEvent.objects.filter(lead=lead).values_list("body", flat=True)) == {""}
        # The structure the figures and the commission report are built from is kept.
        assert _structure(lead) == structure[lead.pk]
        assert _lead_figures(lead) == figures[lead.pk]
        hand_off = LeadEvent.objects.get(lead=lead, kind="transition", to_state="handed_off")
        ae = Lead.objects.get(pk=lead.pk).assigned_ae
        assert hand_off.payload == {"transition": "hand_off", "ae_id": ae.pk, "ae": str(ae),
                                    "erased": True}  # fmt: skip
    assert not Prospect.objects.filter(email=KARI).exists()
    assert Suppression.objects.filter(email_hash=email_hash(KARI), email__isnull=True).exists()
    entries = AuditEntry.objects.filter(action="privacy_erase").order_by("target_id")
    assert [(e.actor_id, e.target_id, e.changes["reason"]) for e in entries] == [
        (crew.privacy.pk, str(pk), "DSR-2025-017")
        for pk in sorted([alpha.prospect_id, beta.prospect_id])
    ]
    assert entries[0].changes["leads.prospect"] == "changed"  # names only, never values
    follow = client.get("/privacy/")
    assert "erased (2 records, one per team)" in follow.content.decode()


def test_the_officer_is_told_when_the_address_was_erased(crew, both, client):
    client.force_login(crew.privacy)
    _erase(client)

    response = client.post("/privacy/", {"email": KARI})

    assert response.status_code == 200
    assert response.context["people"] == []
    assert "A person with this address was erased" in response.content.decode()


def test_the_officer_sees_nothing_of_the_sales_work(crew, both, client):
    alpha, beta = both
    client.force_login(crew.privacy)

    assert client.get("/")["Location"] == "/privacy/"
    for lead in (alpha, beta):
        assert client.get(f"/leads/{lead.pk}/").status_code == 404
        assert client.get(f"/privacy/leads/{lead.pk}/export/").status_code == 404
        assert client.get(f"/privacy/leads/{lead.pk}/erase/").status_code == 404
    refused = (
        "/leads/", "/leads/export/", "/dashboards/", "/dashboards/commission/",
        "/dashboards/commission/export/csv/", "/today/", "/cadences/", "/imports/",
        "/coaching/", "/qualification/notifications/", "/settings/api-tokens/",
    )  # fmt: skip
    for path in refused:
        assert client.get(path).status_code == 403, path
    page = client.get("/privacy/").content.decode()
    for link in ('href="/leads/"', 'href="/dashboards/"', 'href="/settings/api-tokens/"',
                 'href="/today/"', 'href="/qualification/notifications/"'):  # fmt: skip
        assert link not in page
    assert 'href="/privacy/"' in page and 'href="/account/two-factor/"' in page


def test_the_officer_gets_no_api_data_by_session_or_by_token(crew, both, client):
    alpha, _ = both
    client.force_login(crew.privacy)
    # A token made while the user had another role: the API still refuses it.
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(crew.privacy)}")
    for api in (client, token):
        for path in ("/api/leads/", f"/api/leads/{alpha.pk}/", "/api/prospects/",
                     f"/api/prospects/{alpha.prospect_id}/", "/api/companies/", "/api/tasks/",
                     "/api/imports/", "/api/schema/"):  # fmt: skip
            response = api.get(path)
            assert response.status_code == 403, path
            # The schema's renderer is YAML: its refusal is made JSON by ApiErrorMiddleware.
            detail = "Forbidden" if path == "/api/schema/" else "Your role does not use the API."
            assert response.json() == {"detail": detail}, path


def test_the_officer_cannot_make_an_api_token(crew, client):
    from api.models import ApiToken

    client.force_login(crew.privacy)
    assert client.post("/settings/api-tokens/", {"name": "CLI"}).status_code == 403
    assert not ApiToken.objects.filter(user=crew.privacy).exists()


# --- A team manager ------------------------------------------------------------------------


def test_a_manager_finds_and_exports_only_the_teams_own_person(crew, both, client):
    alpha, beta = both
    client.force_login(crew.manager)

    found = client.post("/privacy/", {"email": KARI})
    exported = client.post("/privacy/export/", {"email": KARI})

    assert [p.pk for p in found.context["people"]] == [alpha.prospect_id]
    assert "Beta" not in found.content.decode()
    data = json.loads(exported.content)
    assert data["prospect_ids"] == [alpha.prospect_id]
    assert [t["name"] for t in data["teams"]] == ["Alpha"]
    assert "beta-secret" not in exported.content.decode()


def test_a_managers_erase_leaves_the_other_teams_person_untouched(crew, both, client):
    alpha, beta = both
    before = rows_of(beta)
    client.force_login(crew.manager)

    response = _erase(client)

    assert (response.status_code, response["Location"]) == (302, "/privacy/")
    assert Prospect.objects.get(pk=alpha.prospect_id).first_name == ERASED_NAME
    assert rows_of(beta) == before
    assert list(Prospect.objects.filter(email=KARI).values_list("pk", flat=True)) == [
        beta.prospect_id
    ]
    assert AuditEntry.objects.filter(action="privacy_erase").count() == 1


def test_a_manager_learns_nothing_of_another_teams_person(crew, other_crew, both, client):
    """Beta erased Kari; Alpha's manager searching an address only Beta holds, or one Beta
    erased, hears the same: nobody in your team."""
    alpha, beta = both
    beta_manager = Client()
    beta_manager.force_login(other_crew.manager)
    assert _erase(beta_manager).status_code == 302
    only_alpha = rows_of(alpha)
    client.force_login(crew.manager)
    Prospect.objects.filter(pk=alpha.prospect_id).update(email="kari@alpha-only.example")

    for email in (KARI, "nobody@nowhere.example"):
        response = client.post("/privacy/", {"email": email})
        text = response.content.decode()
        assert response.status_code == 200
        assert "Nobody is held with this address in your team." in text
        assert response.context["was_erased"] is False
        assert "A person with this address was erased" not in text
        erase = _erase(client, email=email)
        assert (erase.status_code, erase["Location"]) == (302, "/privacy/")
    assert rows_of(alpha)["lead"] == only_alpha["lead"]
    assert AuditEntry.objects.filter(action="privacy_erase", actor=crew.manager).count() == 0


# --- Everyone else -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sdr", "bdr", "ae", "marketing"])
def test_other_roles_are_refused_and_nothing_changes(crew, both, client, role):
    alpha, beta = both
    before = (rows_of(alpha), rows_of(beta))
    client.force_login(getattr(crew, role))

    assert client.get("/privacy/").status_code == 403
    assert client.post("/privacy/", {"email": KARI}).status_code == 403
    assert client.post("/privacy/export/", {"email": KARI}).status_code == 403
    assert _erase(client).status_code == 403

    assert (rows_of(alpha), rows_of(beta)) == before
    assert not AuditEntry.objects.filter(action__startswith="privacy_").exists()


# --- Hostile input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("kari.nordmann", "Enter a valid email address."),
        ("kari@fjordkraft.example\x00", "Null characters are not allowed."),
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("a" * 250 + "@x.example", "Ensure this value has at most 254 characters"),
        ("<script>@x.example", "Enter a valid email address."),
    ],
)
@pytest.mark.parametrize("path", ["/privacy/", "/privacy/export/", "/privacy/erase/"])
def test_a_bad_address_is_a_clear_400_and_changes_nothing(crew, both, client, email, message,
                                                          path):  # fmt: skip
    alpha, beta = both
    before = (rows_of(alpha), rows_of(beta))
    client.force_login(crew.privacy)

    response = client.post(path, {"email": email, "confirm": "erase", "reason": "DSR-1"})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<script>" not in response.content.decode()
    assert (rows_of(alpha), rows_of(beta)) == before
    assert not AuditEntry.objects.filter(action__startswith="privacy_").exists()


@pytest.mark.parametrize("path", ["/privacy/", "/privacy/export/", "/privacy/erase/"])
def test_a_nul_byte_in_a_browsers_form_post_is_a_400_and_changes_nothing(crew, both, client,
                                                                         path):  # fmt: skip
    """A browser posts url-encoded forms: the NUL is refused before the view (the house's
    input guard); the multipart case above is refused by the form itself."""
    from urllib.parse import urlencode

    alpha, beta = both
    before = (rows_of(alpha), rows_of(beta))
    client.force_login(crew.privacy)
    body = urlencode({"email": KARI, "confirm": "erase", "reason": "DSR\x00"})

    response = client.post(path, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert (rows_of(alpha), rows_of(beta)) == before
    assert not AuditEntry.objects.filter(action__startswith="privacy_").exists()


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"confirm": ""}, "confirm", "This field is required."),
        ({"confirm": "yes"}, "confirm", 'Type "erase" to confirm.'),
        ({"reason": ""}, "reason", "This field is required."),
        ({"reason": "asked by kari.nordmann@fjordkraft.example"}, "reason",
         "Give a ticket reference, not an email address"),
        ({"reason": "x" * 101}, "reason", "Ensure this value has at most 100 characters"),
        ({"reason": "DSR\x00"}, "reason", "Null characters are not allowed."),
    ],
)  # fmt: skip
def test_an_erasure_without_confirmation_or_reason_erases_nothing(crew, both, client, extra,
                                                                  field, message):  # fmt: skip
    alpha, beta = both
    before = (rows_of(alpha), rows_of(beta))
    client.force_login(crew.privacy)

    response = _erase(client, **extra)

    assert response.status_code == 400
    assert message in " ".join(response.context["erase_form"].errors[field])
    # The page shows the people again, with the error beside the field.
    assert len(response.context["people"]) == 2
    assert (rows_of(alpha), rows_of(beta)) == before
    assert not AuditEntry.objects.filter(action="privacy_erase").exists()


@pytest.mark.parametrize("path", ["/privacy/export/", "/privacy/erase/"])
def test_get_on_export_or_erase_is_405_and_changes_nothing(crew, both, client, path):
    alpha, beta = both
    before = (rows_of(alpha), rows_of(beta))
    client.force_login(crew.privacy)

    response = client.get(path, {"email": KARI, "confirm": "erase", "reason": "DSR-1"})

    assert response.status_code == 405
    assert (rows_of(alpha), rows_of(beta)) == before
    assert not AuditEntry.objects.exists()


def test_a_forged_post_without_the_csrf_token_is_refused(crew, both):
    alpha, beta = both
    before = (rows_of(alpha), rows_of(beta))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(crew.privacy)

    response = _erase(browser)

    assert response.status_code == 403
    assert (rows_of(alpha), rows_of(beta)) == before


def test_a_second_erasure_is_a_no_op_with_a_message(crew, both, client):
    client.force_login(crew.privacy)
    first = _erase(client)
    after_first = [rows_of(lead) for lead in both]
    audit = AuditEntry.objects.count()

    second = _erase(client)

    assert (first.status_code, second.status_code) == (302, 302)
    assert second["Location"] == "/privacy/"
    text = client.get("/privacy/").content.decode()
    assert "Nobody is held with this address: nothing was erased." in text
    assert [rows_of(lead) for lead in both] == after_first
    assert AuditEntry.objects.count() == audit


def test_exporting_an_address_nobody_holds_is_a_404_page(crew, client):
    client.force_login(crew.privacy)

    response = client.post("/privacy/export/", {"email": "nobody@nowhere.example"})

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Nobody is held with this address in any team." in response.content.decode()
    assert not AuditEntry.objects.exists()


# --- Query count ---------------------------------------------------------------------------


@pytest.mark.parametrize("people", [1, 5])
def test_the_page_costs_the_same_queries_for_one_or_five_people(crew, client,
                                                                django_assert_num_queries,
                                                                people):  # fmt: skip
    for _ in range(people):
        team = TeamFactory()
        prospect = ProspectFactory(team=team, email=KARI)
        for _closed in range(2):  # one open lead per person: the others are closed
            walk(LeadFactory(team=team, owner=None, prospect=prospect), "disqualified",
                 sdr=crew.admin)  # fmt: skip
        LeadFactory(team=team, owner=None, prospect=prospect)
    client.force_login(crew.privacy)

    # Session, user, the people with their teams, and their leads.
    with django_assert_num_queries(4):
        response = client.post("/privacy/", {"email": KARI})

    assert response.status_code == 200
    people_shown = response.context["people"]
    assert [len(p.subject_leads) for p in people_shown] == [3] * people
