"""Team cadences are changed by managers only; an SDR or BDR makes personal cadences (new, or
a copy of a team cadence) and changes those. Forged POSTs change nothing."""

import pytest

from cadences.errors import CadenceForbidden, CadenceInvalid
from cadences.models import Cadence, Enrollment
from cadences.services import (
    CadenceData,
    cadence_set_archived,
    cadence_update,
    enrollment_create,
)
from tests.cadences.helpers import cadence_snapshot, email, make_cadence
from tests.cadences.views.test_cadence_pages import CALL_STEP, EMAIL_STEP, editor_post

pytestmark = pytest.mark.django_db


def edit_post(cadence, name, steps):
    data = editor_post(name, steps)
    data["steps-INITIAL_FORMS"] = "0"
    return data


@pytest.mark.parametrize("role", ["sdr", "bdr"])
def test_a_prospector_gets_a_clear_refusal_and_the_copy_button_for_a_team_cadence(
    crew, client, role
):
    team = make_cadence(crew.manager, [email(subject="Team subject")], name="Team way")
    client.force_login(getattr(crew, role))

    page = client.get(f"/cadences/{team.pk}/edit/")

    assert page.status_code == 403
    html = page.content.decode()
    assert "“Team way” is your team's cadence: only managers change it" in html
    assert f'action="/cadences/{team.pk}/copy/"' in html
    assert "Copy to my cadences" in html
    assert "Team subject" not in html  # no editor


@pytest.mark.parametrize("role", ["sdr", "bdr"])
def test_forged_posts_by_a_prospector_change_no_team_cadence(crew, client, role):
    team = make_cadence(crew.manager, [email(subject="Team subject")], name="Team way")
    before = cadence_snapshot()
    client.force_login(getattr(crew, role))

    edit = client.post(f"/cadences/{team.pk}/edit/", edit_post(team, "Hijacked", [EMAIL_STEP]))
    archive = client.post(f"/cadences/{team.pk}/archive/", {"archived": "1"})

    assert (edit.status_code, archive.status_code) == (403, 403)
    assert cadence_snapshot() == before


def test_the_services_refuse_a_prospector_on_a_team_cadence(crew):
    team = make_cadence(crew.manager, [email(subject="Team subject")], name="Team way")
    before = cadence_snapshot()
    with pytest.raises(CadenceForbidden):
        cadence_update(
            actor=crew.sdr, cadence_id=team.pk, data=CadenceData(name="X", steps=[email()])
        )
    with pytest.raises(CadenceForbidden):
        cadence_set_archived(actor=crew.sdr, cadence_id=team.pk, archived=True)
    assert cadence_snapshot() == before


def test_the_detail_page_offers_a_prospector_the_copy_and_a_manager_the_edit(crew, client):
    team = make_cadence(crew.manager, [email()], name="Team way")
    client.force_login(crew.sdr)
    html = client.get(f"/cadences/{team.pk}/").content.decode()
    assert f'href="/cadences/{team.pk}/edit/"' not in html
    assert f'action="/cadences/{team.pk}/archive/"' not in html
    assert "Copy to my cadences" in html

    client.force_login(crew.manager)
    html = client.get(f"/cadences/{team.pk}/").content.decode()
    assert f'href="/cadences/{team.pk}/edit/"' in html
    assert f'action="/cadences/{team.pk}/archive/"' in html


def test_an_sdr_copies_a_team_cadence_and_edits_the_copy(crew, client):
    team = make_cadence(crew.manager, [email(subject="Team subject"), email(day_offset=2)])
    client.force_login(crew.sdr)

    response = client.post(f"/cadences/{team.pk}/copy/")

    copy = Cadence.objects.get(owner=crew.sdr)
    assert response["Location"] == f"/cadences/{copy.pk}/edit/"
    assert copy.team_id == crew.team.pk
    assert list(copy.steps.values_list("position", "subject_template", "day_offset")) == list(
        team.steps.values_list("position", "subject_template", "day_offset")
    )
    assert client.get(f"/cadences/{copy.pk}/edit/").status_code == 200
    saved = client.post(f"/cadences/{copy.pk}/edit/", edit_post(copy, "My way", [CALL_STEP]))
    assert saved.status_code == 302
    copy.refresh_from_db()
    assert (copy.name, copy.owner_id) == ("My way", crew.sdr.pk)
    assert list(copy.steps.values_list("channel", flat=True)) == ["call"]
    team.refresh_from_db()
    assert team.name == "Test cadence"  # the team's cadence is unchanged


def test_a_new_cadence_is_personal_for_an_sdr_and_the_teams_for_a_manager(crew, client):
    client.force_login(crew.sdr)
    client.post("/cadences/new/", editor_post("Mine", [EMAIL_STEP]))
    client.force_login(crew.manager)
    client.post("/cadences/new/", editor_post("Ours", [EMAIL_STEP]))
    assert dict(Cadence.objects.values_list("name", "owner_id")) == {
        "Mine": crew.sdr.pk,
        "Ours": None,
    }


def test_a_personal_cadence_is_seen_by_its_owner_and_the_managers_only(crew, client):
    mine = make_cadence(crew.sdr, [email()], name="Kari's own")
    for role, listed, status in (("sdr", True, 200), ("manager", True, 200), ("sdr2", False, 404),
                                 ("bdr", False, 404)):  # fmt: skip
        client.force_login(getattr(crew, role))
        assert ("Kari&#x27;s own" in client.get("/cadences/").content.decode()) is listed, role
        assert client.get(f"/cadences/{mine.pk}/").status_code == status, role
    before = cadence_snapshot()
    client.force_login(crew.sdr2)
    assert (
        client.post(f"/cadences/{mine.pk}/edit/", edit_post(mine, "X", [CALL_STEP])).status_code
        == 404
    )
    assert client.post(f"/cadences/{mine.pk}/archive/", {"archived": "1"}).status_code == 404
    assert client.post(f"/cadences/{mine.pk}/copy/").status_code == 404
    assert cadence_snapshot() == before


def test_a_manager_edits_an_sdrs_personal_cadence(crew, client):
    mine = make_cadence(crew.sdr, [email()], name="Kari's own")
    client.force_login(crew.manager)
    response = client.post(f"/cadences/{mine.pk}/edit/", edit_post(mine, "Coached", [CALL_STEP]))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.name, mine.owner_id) == ("Coached", crew.sdr.pk)


def test_another_teams_manager_gets_404_and_changes_nothing(crew, other_crew, client):
    team = make_cadence(crew.manager, [email()], name="Team way")
    mine = make_cadence(crew.sdr, [email()], name="Kari's own")
    before = cadence_snapshot()
    client.force_login(other_crew.manager)
    for cadence in (team, mine):
        assert client.get(f"/cadences/{cadence.pk}/edit/").status_code == 404
        edited = client.post(f"/cadences/{cadence.pk}/edit/", edit_post(cadence, "X", [CALL_STEP]))
        assert edited.status_code == 404
        assert client.post(f"/cadences/{cadence.pk}/copy/").status_code == 404
    assert cadence_snapshot() == before


def test_a_colleagues_personal_cadence_cannot_be_enrolled_in_by_a_forged_post(crew, client):
    theirs = make_cadence(crew.sdr, [email()], name="Sara's own")
    lead = crew.lead(owner="sdr2")
    before = cadence_snapshot()
    client.force_login(crew.sdr2)

    response = client.post(
        "/cadences/enroll/", {"cadence": theirs.pk, "lead": lead.pk, "next": "/leads/"}
    )

    assert response.status_code == 302
    assert cadence_snapshot() == before  # no enrollment, no touch
    assert Enrollment.objects.count() == 0


def test_the_enrollment_service_refuses_a_colleagues_personal_cadence(crew, now):
    theirs = make_cadence(crew.sdr, [email()], name="Sara's own")
    lead = crew.lead(owner="sdr2")
    before = cadence_snapshot()
    with pytest.raises(CadenceInvalid, match="Choose an active cadence of the lead's team."):
        enrollment_create(actor=crew.sdr2, lead_id=lead.pk, cadence_id=theirs.pk)
    assert cadence_snapshot() == before

    own_lead = crew.lead(owner="sdr")
    enrollment = enrollment_create(actor=crew.sdr, lead_id=own_lead.pk, cadence_id=theirs.pk)
    assert enrollment.cadence_id == theirs.pk
    by_manager = enrollment_create(actor=crew.manager, lead_id=lead.pk, cadence_id=theirs.pk)
    assert by_manager.cadence_id == theirs.pk
