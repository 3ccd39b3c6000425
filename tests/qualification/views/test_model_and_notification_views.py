"""The scoring model editor (managers only, a version per change), the notifications page
and its badge, and the qualification panel on the lead page."""

import pytest

from qualification.forms import ScoringModelForm
from qualification.models import ScoringModel
from qualification.scoring import DEFAULT_CONFIG, ScoringConfig
from qualification.services import lead_qualify, notifications_sweep
from tests.qualification.services.test_lead_qualify import qualify


def model_post(version: int, **changes) -> dict:
    initial = ScoringModelForm.initial_for(ScoringConfig.from_dict(DEFAULT_CONFIG), version)
    data = {k: ("" if v is None else v) for k, v in initial.items()}
    data = {k: v for k, v in data.items() if v is not False}  # unticked boxes are not posted
    data.update(changes)
    return data


# session, user (with their team), the team's current model, its versions (with who saved them)
def test_the_editor_shows_the_current_model(crew, model, client, django_assert_num_queries):
    client.force_login(crew.manager)

    with django_assert_num_queries(4):
        response = client.get("/qualification/model/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Version 1, saved" in content
    assert 'name="size_2_min" value="51"' in content
    assert "Gambling</textarea>" in content
    assert "The most points a lead can get with this model: 105." in content


def test_saving_creates_the_next_version(crew, model, client):
    client.force_login(crew.manager)

    response = client.post(
        "/qualification/model/",
        model_post(1, threshold="70", industry_4_name="Retail", industry_4_points="3",
                   note="Stricter; retail counts"),
    )  # fmt: skip

    assert response.status_code == 302
    v2 = ScoringModel.objects.get(team=crew.team, version=2)
    assert (v2.scoring.threshold, v2.note, v2.created_by_id) == (
        70,
        "Stricter; retail counts",
        crew.manager.pk,
    )
    assert v2.scoring.target_industries[-1] == ("Retail", 3)
    assert v2.scoring.to_dict() == {
        **DEFAULT_CONFIG,
        "threshold": 70,
        "target_industries": [*DEFAULT_CONFIG["target_industries"], ["Retail", 3]],
    }
    page = client.get("/qualification/model/").content.decode()
    assert "Saved as version 2." in page


def test_saving_unchanged_makes_no_version(crew, model, client):
    client.force_login(crew.manager)

    client.post("/qualification/model/", model_post(1))

    assert ScoringModel.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"size_1_min": "5"}, "Size bands overlap: 1–10 employees and 5–50 employees"),
        ({"industry_5_name": "Media"}, "Give the industry its points."),
        ({"threshold": "101"}, "Ensure this value is less than or equal to 100."),
    ],
)
def test_an_invalid_model_is_shown_again_and_nothing_is_saved(
    crew, model, client, changes, message
):
    client.force_login(crew.manager)

    response = client.post("/qualification/model/", model_post(1, **changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert ScoringModel.objects.count() == 1


def test_a_stale_editor_is_refused(crew, model, client):
    ScoringModel.objects.create(team=crew.team, version=2, config=DEFAULT_CONFIG)
    client.force_login(crew.manager)

    response = client.post("/qualification/model/", model_post(1, threshold="10"))

    assert response.status_code == 400
    assert "after you opened it. Nothing was saved" in response.content.decode()
    assert ScoringModel.objects.count() == 2


def test_a_team_without_a_model_sees_the_defaults_and_saves_version_1(crew, client):
    client.force_login(crew.manager)

    assert "Not saved yet" in client.get("/qualification/model/").content.decode()
    client.post("/qualification/model/", model_post(0))

    assert ScoringModel.objects.get().version == 1


@pytest.mark.parametrize("viewer", ["sdr", "bdr", "ae", "marketing", "admin"])
def test_only_managers_edit_the_model(crew, model, client, viewer):
    client.force_login(getattr(crew, viewer))

    assert client.get("/qualification/model/").status_code == 403
    assert client.post("/qualification/model/", model_post(1, threshold="5")).status_code == 403
    assert ScoringModel.objects.count() == 1


# --- Notifications ------------------------------------------------------------------------------


def test_notifications_page_badge_and_mark_read(crew, model, make_lead, client):
    lead = make_lead("engaged")
    lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))
    client.force_login(crew.ae)

    badge = client.get("/qualification/notifications/badge/").content.decode()
    assert '<span id="notification-badge" class="notif-badge">1<span class="sr-only"> unread' in (
        badge
    )
    page = client.get("/qualification/notifications/").content.decode()
    assert f"{crew.sdr} handed you a lead: {lead.prospect.full_name}" in page
    assert '<li class="notification unread kind-handoff">' in page

    assert client.post("/qualification/notifications/").status_code == 302

    badge = client.get("/qualification/notifications/badge/").content.decode()
    assert 'class="notif-badge none-unread"' in badge
    page = client.get("/qualification/notifications/").content.decode()
    assert '<li class="notification kind-handoff">' in page


def test_one_sees_only_ones_own_notifications(crew, make_lead, client):
    make_lead("accepted")
    notifications_sweep()
    client.force_login(crew.sdr2)

    assert "No notifications." in client.get("/qualification/notifications/").content.decode()


def test_the_nav_loads_the_badge_lazily_and_links_by_role(crew, client):
    client.force_login(crew.ae)
    nav = client.get("/qualification/notifications/").content.decode()
    assert 'hx-get="/qualification/notifications/badge/" hx-trigger="load"' in nav
    assert ">AE queue</a>" in nav
    assert ">Scoring model</a>" not in nav

    client.force_login(crew.manager)
    nav = client.get("/qualification/notifications/").content.decode()
    assert ">Scoring model</a>" in nav and ">Hand-offs</a>" in nav
    assert ">AE queue</a>" not in nav


# --- The panel on the lead page -----------------------------------------------------------------


def test_the_lead_page_shows_score_breakdown_and_how_many_outcomes_the_estimate_needs(
    crew, model, make_lead, client
):
    lead = make_lead("engaged")
    client.force_login(crew.sdr)

    content = client.get(f"/leads/{lead.pk}/").content.decode()

    assert 'id="qualification-panel"' in content
    assert '<span class="factor-text">51–200 employees: +20</span>' in content
    assert "it has 0 so far." in content
    assert f'href="/qualification/leads/{lead.pk}/">Qualify or scrap…</a>' in content


def test_the_panel_shows_the_judgement_and_the_ae_sees_no_qualify_button(
    crew, model, make_lead, client
):
    lead = make_lead("engaged")
    from dataclasses import replace

    from tests.qualification.conftest import LOW

    lead_qualify(
        actor=crew.sdr,
        lead_id=lead.pk,
        data=replace(qualify(ae_id=crew.ae.pk), answers=LOW, override_reason="Warm intro"),
    )
    client.force_login(crew.ae)

    content = client.get(f"/leads/{lead.pk}/").content.decode()

    assert "Score at hand-off: <strong>55</strong> (model v1)" in content
    assert "<strong>Override — qualified below the threshold:</strong> Warm intro" in content
    assert "Qualify or scrap…" not in content


# session, user (with their team), the notifications with their lead and prospect;
# the badge: session, user, the count
@pytest.mark.parametrize("n", [1, 5])
def test_notification_query_counts_do_not_grow(crew, make_lead, client, django_assert_num_queries,
                                               n):  # fmt: skip
    for _ in range(n):
        make_lead("handed_off")
    notifications_sweep()
    client.force_login(crew.ae)

    with django_assert_num_queries(3):
        page = client.get("/qualification/notifications/").content.decode()
    with django_assert_num_queries(3):
        badge = client.get("/qualification/notifications/badge/").content.decode()

    assert page.count('<li class="notification unread kind-handoff">') == n
    assert f'>{n}<span class="sr-only"> unread' in badge
