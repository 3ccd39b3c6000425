"""The demo data command: the documented users, 40 leads in every state walked today and 21
with six weeks of history (seed_demo_dashboards), idempotent, and it prints the logins."""

from collections import defaultdict
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from accounts.models import Role, Team, User
from cadences.services import company_workers
from leads.management.commands.seed_demo import DEMO_PASSWORD, SHOWCASE_COMPANY
from leads.models import Company, Lead, LeadEvent, LeadState, Prospect

USERS = {
    # username: (role, first name)
    "maria": (Role.MANAGER, "Maria"),
    "sara": (Role.SDR, "Sara"),
    "sindre": (Role.SDR, "Sindre"),
    "bjorn": (Role.BDR, "Bjørn"),
    "anders": (Role.AE, "Anders"),
    "ingrid": (Role.AE, "Ingrid"),
    "mia": (Role.MARKETING, "Mia"),
}
# seed_demo's 40 leads, plus the history's 21 stories: 3 still in their cadence, 1 handed off,
# 7 accepted, 10 scrapped (4 by the SDR, 3 after the AE's rejection, 3 after the break-up).
PER_STATE = {
    LeadState.NEW: 8,
    LeadState.RESEARCHING: 6,
    LeadState.CONTACTING: 6 + 3,
    LeadState.ENGAGED: 4,
    LeadState.QUALIFIED: 3,
    LeadState.HANDED_OFF: 3 + 1,
    LeadState.ACCEPTED: 3 + 7,
    LeadState.DISQUALIFIED: 4 + 10,
    LeadState.NURTURE: 3,
}


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict:
    return {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "leads": Lead.objects.count(),
        "prospects": Prospect.objects.count(),
        "companies": Company.objects.count(),
        "events": LeadEvent.objects.count(),
    }


@pytest.fixture
def seeded(db, time_machine):
    # The history is laid out over the business days before today: a fixed day, fixed figures.
    time_machine.move_to(datetime(2026, 12, 7, 14, 0, tzinfo=ZoneInfo("Europe/Oslo")), tick=False)
    return _seed()


def test_creates_the_documented_users_in_one_team(seeded):
    team = Team.objects.get(name="Nordlys Sales")
    # make run writes the demo's emails to files: the team sends through the site backend.
    assert team.email_via == "site"
    # The team works in bokmål; maria chose English (README): the others follow the team.
    assert team.language == "nb"
    assert dict(User.objects.filter(team=team).values_list("username", "language")) == {
        username: ("en" if username == "maria" else "") for username in USERS
    }
    for username, (role, first_name) in USERS.items():
        user = User.objects.get(username=username)
        assert (user.role, user.first_name, user.team_id, user.is_staff) == (
            role, first_name, team.pk, False,
        ), username  # fmt: skip
        assert user.check_password(DEMO_PASSWORD), username
    admin = User.objects.get(username="admin")
    assert (admin.role, admin.is_superuser, admin.is_staff, admin.team_id) == (
        Role.ADMIN, True, True, None,
    )  # fmt: skip
    assert admin.check_password(DEMO_PASSWORD)
    petra = User.objects.get(username="petra")
    assert (petra.role, petra.is_superuser, petra.is_staff, petra.team_id) == (
        Role.PRIVACY, False, False, None,
    )  # fmt: skip
    assert petra.check_password(DEMO_PASSWORD)
    assert User.objects.count() == 9


def test_creates_61_leads_covering_every_state(seeded):
    by_state = {s: Lead.objects.filter(state=s).count() for s in LeadState}
    assert by_state == PER_STATE
    assert Lead.objects.count() == 61
    assert set(by_state) == set(LeadState)
    assert Lead.objects.filter(team__name="Nordlys Sales").count() == 61


def test_leads_have_real_timelines_and_owners(seeded):
    sara, sindre, bjorn = (User.objects.get(username=u) for u in ("sara", "sindre", "bjorn"))
    anders, ingrid = (User.objects.get(username=u) for u in ("anders", "ingrid"))
    # Every lead starts with its creation event; every state change is on its timeline.
    for lead in Lead.objects.all():
        kinds = list(lead.events.order_by("id").values_list("kind", flat=True))
        assert kinds[0] == "created", lead.pk
        last_move = lead.events.filter(kind="transition").order_by("-id").first()
        assert (last_move.to_state if last_move else "new") == lead.state, lead.pk
    # Some leads wait in the pool; the others belong to the prospectors.
    assert set(Lead.objects.values_list("owner_id", flat=True)) == {
        sara.pk, sindre.pk, bjorn.pk, None,
    }  # fmt: skip
    assert set(Lead.objects.filter(owner=None).values_list("state", flat=True)) == {"new"}
    # Handed-off and accepted leads went to the two AEs.
    handed = Lead.objects.filter(state__in=[LeadState.HANDED_OFF, LeadState.ACCEPTED])
    assert set(handed.values_list("assigned_ae_id", flat=True)) == {anders.pk, ingrid.pk}


def test_running_it_twice_creates_nothing_new(seeded):
    before = _counts()
    states = dict(Lead.objects.values_list("pk", "state"))

    output = _seed()

    assert _counts() == before
    assert dict(Lead.objects.values_list("pk", "state")) == states
    assert "Demo data ready (0 new leads)." in output


def test_prints_the_logins(seeded):
    assert "Demo data ready (40 new leads)." in seeded
    assert f"Demo logins (password for all: {DEMO_PASSWORD})" in seeded
    lines = seeded.splitlines()
    logins = [line.split()[0] for line in lines[lines.index(
        f"Demo logins (password for all: {DEMO_PASSWORD})") + 1:]]  # fmt: skip
    assert logins == [
        "maria", "sara", "sindre", "bjorn", "anders", "ingrid", "mia", "admin", "petra",
    ]  # fmt: skip
    assert "  maria    Sales manager      Maria Berg" in lines
    assert "  admin    Administrator      (Django admin at /admin/)" in lines
    assert "  petra    Privacy officer    (data subjects at /privacy/)" in lines


def test_the_demo_privacy_officer_lands_on_the_data_subject_page(seeded, client):
    client.post("/login/", {"username": "petra", "password": DEMO_PASSWORD})
    assert client.get("/")["Location"] == "/privacy/"
    response = client.post("/privacy/", {"email": Prospect.objects.first().email})
    assert response.status_code == 200
    assert [p.team.name for p in response.context["people"]] == ["Nordlys Sales"]
    assert client.get("/leads/").status_code == 403


def test_demo_users_can_log_in_and_see_their_work(seeded, client):
    client.post("/login/", {"username": "sara", "password": DEMO_PASSWORD})
    response = client.get("/leads/")
    assert response.status_code == 200
    sara = User.objects.get(username="sara")
    expected = Lead.objects.filter(owner=sara).count() + Lead.objects.filter(owner=None).count()
    assert response.context["page"].count == expected

    client.post("/logout/")
    client.post("/login/", {"username": "mia", "password": DEMO_PASSWORD})
    assert client.get("/")["Location"] == "/imports/"
    overview = client.get("/leads/overview/")
    assert overview.context["total"] == 61


def test_no_accidental_duplicates_and_two_sdrs_at_one_company_only_on_purpose(seeded):
    team = Team.objects.get(name="Nordlys Sales")
    emails = [e.strip().lower() for e in Prospect.objects.values_list("email", flat=True)]
    assert len(emails) == len(set(emails)) == 61
    assert set(Prospect.objects.values_list("team_id", flat=True)) == {team.pk}
    names = [n.strip().lower() for n in Company.objects.values_list("name", flat=True)]
    assert len(names) == len(set(names)) == 20
    assert set(Company.objects.values_list("team_id", flat=True)) == {team.pk}
    # No two people at one company look like one person twice (the same first or last name).
    people = defaultdict(list)
    for first, last, company in Prospect.objects.values_list(
        "first_name", "last_name", "company__name"
    ):
        people[company].append((first, last))
    for company, them in people.items():
        assert len({first for first, _ in them}) == len(them), (company, them)
        assert len({last for _, last in them}) == len(them), (company, them)
    # Another SDR working the company of a lead still being worked or left to enroll: only
    # the showcase, Sara's new lead where Bjørn works two (seed_demo.SHOWCASE_COMPANY).
    asked = {}
    open_leads = Lead.objects.filter(
        owner__isnull=False,
        state__in=[LeadState.NEW, LeadState.RESEARCHING, LeadState.CONTACTING, LeadState.ENGAGED],
    ).select_related("prospect__company", "owner")
    for lead in open_leads:
        workers = company_workers(lead)
        if workers:
            key = (lead.prospect.company.name, lead.owner.username, lead.state)
            asked[key] = [(name, n) for _pk, name, n in workers]
    assert asked == {(SHOWCASE_COMPANY, "sara", LeadState.NEW): [("Bjørn Moe", 2)]}
