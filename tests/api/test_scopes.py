"""Every list endpoint shows exactly what each role sees on the pages (lead_scope), per role."""

import pytest

from cadences.models import Enrollment
from tests.cadences.helpers import at, enroll, make_cadence, task
from tests.fixtures import walk

# The leads each role sees (the "view" rows of tests/test_permissions_matrix.py); None: 403.
VISIBLE = {
    "sdr": {"sdr_lead", "pool", "handed"},
    "sdr2": {"pool"},
    "bdr": {"pool"},
    "ae": {"handed"},
    "ae2": set(),
    "manager": {"sdr_lead", "pool", "handed"},
    "marketing": None,
    "admin": {"sdr_lead", "pool", "handed", "other_team"},
    "o_manager": {"other_team"},
    "o_sdr": {"other_team"},
}
# Cadences: the team's for prospectors and managers, every team's for admins, none otherwise;
# an SDR's personal cadence ("mine") for that SDR, the team's managers and admins.
CADENCES = {
    "sdr": {"alpha", "mine"}, "sdr2": {"alpha"}, "bdr": {"alpha"}, "ae": set(), "ae2": set(),
    "manager": {"alpha", "mine"}, "marketing": set(), "admin": {"alpha", "beta", "mine"},
    "o_manager": {"beta"}, "o_sdr": {"beta"},
}  # fmt: skip


@pytest.fixture
def world(crew, other_crew, time_machine):
    time_machine.move_to(at(2027, 5, 3, 10, 0), tick=False)
    alpha = make_cadence(crew.manager, [task()], name="Alpha cadence")
    beta = make_cadence(other_crew.manager, [task()], name="Beta cadence")
    mine = make_cadence(crew.sdr, [task()], name="Sara's own")
    leads = {
        "sdr_lead": crew.lead(owner="sdr"),
        "pool": crew.lead(owner=None),
        "handed": walk(crew.lead(owner="sdr"), "handed_off", ae=crew.ae),
        "other_team": other_crew.lead(owner="sdr"),
    }
    enroll(crew.sdr, leads["sdr_lead"], alpha)
    enroll(other_crew.sdr, leads["other_team"], beta)
    return crew, other_crew, leads, {"alpha": alpha.pk, "beta": beta.pk, "mine": mine.pk}


def _user(crew, other_crew, role):
    return getattr(other_crew, role[2:]) if role.startswith("o_") else getattr(crew, role)


def _ids(client, path):
    response = client.get(path)
    if response.status_code != 200:
        return response.status_code
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("role", list(VISIBLE))
def test_each_list_shows_what_the_role_sees(world, api, role):
    crew, other_crew, leads, cadences = world
    client = api(_user(crew, other_crew, role))
    visible = VISIBLE[role]

    results = {
        path: _ids(client, f"/api/{path}/")
        for path in ("leads", "prospects", "companies", "enrollments", "cadences")
    }

    if visible is None:
        expected = {p: 403 for p in ("leads", "prospects", "companies", "enrollments")}
    else:
        shown = [leads[k] for k in visible]
        expected = {
            "leads": {lead.pk for lead in shown},
            "prospects": {lead.prospect_id for lead in shown},
            "companies": {lead.prospect.company_id for lead in shown},
            "enrollments": set(
                Enrollment.objects.filter(lead__in=shown).values_list("pk", flat=True)
            ),
        }
    expected["cadences"] = {cadences[c] for c in CADENCES[role]}
    assert results == expected


@pytest.mark.parametrize("kind", ["prospects", "companies", "enrollments"])
def test_marketing_gets_404_not_403_on_an_object(world, api, kind):
    """Marketing works with no lead: a list is refused (403), but an object, even of its own
    team, is simply not there (404), as /api/leads/<id>/ answers."""
    crew, _, leads, _ = world
    lead = leads["sdr_lead"]
    pk = {
        "prospects": lead.prospect_id,
        "companies": lead.prospect.company_id,
        "enrollments": Enrollment.objects.filter(lead=lead).values_list("pk", flat=True).first(),
    }[kind]
    assert api(crew.manager).get(f"/api/{kind}/{pk}/").status_code == 200
    assert api(crew.marketing).get(f"/api/{kind}/{pk}/").status_code == 404
