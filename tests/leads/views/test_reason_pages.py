"""The manager's page of the team's reasons, and the scrap and reject forms that offer them:
each team sees and uses only its own list; a forged reason is a clear error that changes
nothing."""

import pytest
from django.contrib.messages import get_messages

from leads.models import DisqualifyReason, Lead, Reason, ReasonKind, RejectReason
from leads.services import reason_create, reason_update, reasons_ensure
from tests.fixtures import walk
from tests.html import parse

from ..helpers import lead_snapshot

pytestmark = pytest.mark.django_db

DISQUALIFY, REJECT = ReasonKind.DISQUALIFY, ReasonKind.REJECT


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _reasons(team):
    return list(
        Reason.objects.filter(team=team)
        .order_by("kind", "position", "id")
        .values_list("kind", "code", "label", "is_active", "position")
    )


def _options(html: str, select_name: str) -> list[tuple[str, str]]:
    select = parse(html).one("select", name=select_name)
    return [(o.attrs.get("value", ""), o.text) for o in select.find_all("option")]


# --- The manager's page ------------------------------------------------------------------------


def test_the_page_lists_both_lists_of_the_managers_team(crew, other_crew, client):
    reason_create(actor=other_crew.manager, kind=DISQUALIFY, label="Only in Beta")
    client.force_login(crew.manager)
    response = client.get("/leads/reasons/")
    assert response.status_code == 200
    page = parse(response.content.decode())
    rows = {
        kind: [
            tr.attrs["data-reason"]
            for tr in page.one("section", data_kind=kind).find_all("tr")
            if "data-reason" in tr.attrs
        ]
        for kind in ReasonKind.values
    }
    assert rows == {"disqualify": DisqualifyReason.values, "reject": RejectReason.values}
    assert "Only in Beta" not in response.content.decode()


def test_the_manager_adds_a_reason(crew, client):
    client.force_login(crew.manager)
    response = client.post("/leads/reasons/", {"kind": "reject", "label": "Partner deal"})
    assert (response.status_code, response["Location"]) == (302, "/leads/reasons/")
    assert _messages(response) == ["Reason added."]
    added = Reason.objects.get(team=crew.team, kind=REJECT, label="Partner deal")
    assert (added.is_active, added.position) == (True, len(RejectReason.values))


def test_an_empty_or_duplicate_name_is_a_form_error(crew, client):
    client.force_login(crew.manager)
    client.get("/leads/reasons/")
    before = _reasons(crew.team)
    response = client.post("/leads/reasons/", {"kind": "disqualify", "label": "No budget"})
    assert response.status_code == 400
    assert "Your team already has a reason with this name." in response.content.decode()
    response = client.post("/leads/reasons/", {"kind": "bogus", "label": "Fine"})
    assert response.status_code == 400
    assert _reasons(crew.team) == before


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ({"action": "rename", "label": "Nothing to solve"}, ("Nothing to solve", True, 0)),
        ({"action": "deactivate"}, ("No need", False, 0)),
        ({"action": "down"}, ("No need", True, 1)),
    ],
)
def test_the_manager_renames_deactivates_and_moves(crew, client, post, expected):
    reasons_ensure(team_id=crew.team.pk)
    reason = Reason.objects.get(team=crew.team, kind=DISQUALIFY, code="no_need")
    client.force_login(crew.manager)
    response = client.post(f"/leads/reasons/{reason.pk}/", post)
    assert (response.status_code, response["Location"]) == (302, "/leads/reasons/")
    assert _messages(response) == ["Reasons saved."]
    reason.refresh_from_db()
    assert (reason.label, reason.is_active, reason.position) == expected
    assert reason.code == "no_need"


def test_another_teams_reason_id_is_not_found_and_unchanged(crew, other_crew, client):
    reasons_ensure(team_id=other_crew.team.pk)
    theirs = Reason.objects.get(team=other_crew.team, kind=DISQUALIFY, code="no_need")
    before = _reasons(other_crew.team)
    client.force_login(crew.manager)
    for post in ({"action": "rename", "label": "Hacked"}, {"action": "deactivate"}):
        assert client.post(f"/leads/reasons/{theirs.pk}/", post).status_code == 404
    assert _reasons(other_crew.team) == before


@pytest.mark.parametrize("role", ["sdr", "ae", "marketing", "admin"])
def test_only_a_manager_uses_the_page(crew, client, role):
    reasons_ensure(team_id=crew.team.pk)
    reason = Reason.objects.filter(team=crew.team).first()
    before = _reasons(crew.team)
    client.force_login(getattr(crew, role))
    assert client.get("/leads/reasons/").status_code == 403
    assert client.post("/leads/reasons/", {"kind": "reject", "label": "X"}).status_code == 403
    assert client.post(f"/leads/reasons/{reason.pk}/", {"action": "up"}).status_code == 403
    assert _reasons(crew.team) == before


# --- The scrap form on the lead page -----------------------------------------------------------


def test_the_scrap_form_offers_the_teams_active_reasons(crew, other_crew, client):
    mine = reason_create(actor=crew.manager, kind=DISQUALIFY, label="Went bankrupt")
    reason_create(actor=other_crew.manager, kind=DISQUALIFY, label="Only in Beta")
    no_need = Reason.objects.get(team=crew.team, kind=DISQUALIFY, code="no_need")
    reason_update(actor=crew.manager, reason_id=no_need.pk, is_active=False)
    lead = walk(crew.lead(), "contacting")
    client.force_login(crew.sdr)
    options = _options(client.get(f"/leads/{lead.pk}/").content.decode(), "reason")
    assert options == [
        ("", "Choose a reason"),
        *[(c.value, c.label) for c in DisqualifyReason if c != DisqualifyReason.NO_NEED],
        (mine.code, "Went bankrupt"),
    ]


def test_a_forged_scrap_reason_of_another_team_is_refused(crew, other_crew, client):
    theirs = reason_create(actor=other_crew.manager, kind=DISQUALIFY, label="Only in Beta")
    lead = walk(crew.lead(), "contacting")
    before = lead_snapshot(lead.pk)
    client.force_login(crew.sdr)
    response = client.post(
        f"/leads/{lead.pk}/transition/disqualify/",
        {"reason": theirs.code, "expected_state": "contacting"},
    )
    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _messages(response) == ["Choose a reason for disqualifying."]
    assert lead_snapshot(lead.pk) == before


def test_the_scrapped_lead_shows_its_reason_as_the_team_names_it(crew, client):
    mine = reason_create(actor=crew.manager, kind=DISQUALIFY, label="Went bankrupt")
    lead = walk(crew.lead(), "contacting")
    client.force_login(crew.sdr)
    client.post(
        f"/leads/{lead.pk}/transition/disqualify/",
        {"reason": mine.code, "note": "Court papers", "expected_state": "contacting"},
    )
    assert Lead.objects.get(pk=lead.pk).disqualify_reason == mine.code
    reason_update(actor=crew.manager, reason_id=mine.pk, label="Bankrupt")
    page = parse(client.get(f"/leads/{lead.pk}/").content.decode())
    notices = [n.text for n in page.find_all("div", class_="notice")]
    assert "Disqualified: Bankrupt — Court papers" in notices


# --- The AE's reject form ----------------------------------------------------------------------


def test_the_ae_rejects_with_a_reason_and_words(crew, client):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    client.force_login(crew.ae)
    queue = client.get("/qualification/queue/").content.decode()
    assert _options(queue, "reason_code") == [
        ("", "Choose a reason"),
        *[(c.value, c.label) for c in RejectReason],
    ]
    response = client.post(
        f"/qualification/leads/{lead.pk}/reject/",
        {"reason_code": "thin_brief", "reason": "Who is the buyer?"},
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.state, lead.rejection_code, lead.rejection_reason) == (
        "engaged",
        "thin_brief",
        "Who is the buyer?",
    )
    client.force_login(crew.sdr)
    page = parse(client.get(f"/leads/{lead.pk}/").content.decode())
    notice = page.one("div", class_="warn").text
    assert notice.endswith(": The brief is missing information — Who is the buyer?")


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"reason": "  "}, "Say why you reject the lead: the SDR reads it."),
        ({"reason_code": "FORGED"}, "Choose one of your team's reasons."),
        ({"reason_code": "other"}, "Describe the reason when you choose 'Other'."),
    ],
)
def test_a_rejection_without_a_valid_reason_is_refused(crew, client, post, message):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    before = lead_snapshot(lead.pk)
    client.force_login(crew.ae)
    response = client.post(f"/qualification/leads/{lead.pk}/reject/", post)
    assert response.status_code == 302
    assert _messages(response) == [message]
    assert lead_snapshot(lead.pk) == before


def test_another_teams_rejection_reason_is_refused(crew, other_crew, client):
    theirs = reason_create(actor=other_crew.manager, kind=REJECT, label="Only in Beta")
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    before = lead_snapshot(lead.pk)
    client.force_login(crew.ae)
    response = client.post(
        f"/qualification/leads/{lead.pk}/reject/", {"reason_code": theirs.code, "reason": "x"}
    )
    assert _messages(response) == ["Choose one of your team's reasons."]
    assert lead_snapshot(lead.pk) == before
