"""leads 0010-0012: rows shared by teams the old way (one prospect, one company, leads of two
teams) are split into one row per team, each team's leads re-pointed, nothing lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("leads", "0009_leadevent_erasure_keeps_structure")]
AFTER = [("leads", "0012_per_team_unique_domain_and_email")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps(transactional_db):
    apps = _migrate(BEFORE)
    yield apps
    _migrate(AFTER)  # leave the database as the rest of the suite expects it


def test_shared_rows_are_split_per_team(old_apps):
    Team = old_apps.get_model("accounts", "Team")
    Company = old_apps.get_model("leads", "Company")
    Prospect = old_apps.get_model("leads", "Prospect")
    Lead = old_apps.get_model("leads", "Lead")
    alpha, beta = Team.objects.create(name="Alpha"), Team.objects.create(name="Beta")
    acme = Company.objects.create(name="Acme", domain="acme.example", industry="Energy")
    kari = Prospect.objects.create(
        company=acme, first_name="Kari", email="kari@acme.example", phone="+47 1", title="CFO"
    )
    ola = Prospect.objects.create(company=acme, first_name="Ola", email="ola@acme.example")
    lone = Company.objects.create(name="Lone", domain="lone.example")  # no prospect at all
    orphan = Prospect.objects.create(company=acme, first_name="Orphan")  # no lead
    a1 = Lead.objects.create(team=alpha, prospect=kari, source="outbound", state="accepted")
    b1 = Lead.objects.create(team=beta, prospect=kari, source="inbound", state="new")
    a2 = Lead.objects.create(team=alpha, prospect=kari, source="outbound", state="disqualified",
                             disqualify_reason="no_need")  # fmt: skip
    b2 = Lead.objects.create(team=beta, prospect=ola, source="outbound", state="new")

    new_apps = _migrate(AFTER)
    Company = new_apps.get_model("leads", "Company")
    Prospect = new_apps.get_model("leads", "Prospect")
    Lead = new_apps.get_model("leads", "Lead")

    # Kari: Alpha (her first lead's team) keeps the row; Beta gets a copy of every field.
    leads = {lead.pk: lead for lead in Lead.objects.select_related("prospect__company")}
    assert leads[a1.pk].prospect_id == leads[a2.pk].prospect_id == kari.pk
    kari_b = leads[b1.pk].prospect
    assert kari_b.pk != kari.pk
    fields = ("first_name", "email", "phone", "title")
    assert [getattr(kari_b, f) for f in fields] == ["Kari", "kari@acme.example", "+47 1", "CFO"]
    assert (Prospect.objects.get(pk=kari.pk).team_id, kari_b.team_id) == (alpha.pk, beta.pk)
    # Ola is Beta's only; Acme: Alpha keeps the row (Kari's), Beta's prospects share a copy.
    assert Prospect.objects.get(pk=ola.pk).team_id == beta.pk
    acme_b = kari_b.company
    assert acme_b.pk != acme.pk
    assert (acme_b.team_id, acme_b.name, acme_b.domain, acme_b.industry) == (
        beta.pk, "Acme", "acme.example", "Energy"
    )  # fmt: skip
    assert Prospect.objects.get(pk=ola.pk).company_id == acme_b.pk
    assert Company.objects.get(pk=acme.pk).team_id == alpha.pk
    assert Prospect.objects.get(pk=kari.pk).company_id == acme.pk
    # Every lead kept its id, team and prospect's person; nothing lost.
    assert {pk: (lead.team_id, lead.prospect.email) for pk, lead in leads.items()} == {
        a1.pk: (alpha.pk, "kari@acme.example"), a2.pk: (alpha.pk, "kari@acme.example"),
        b1.pk: (beta.pk, "kari@acme.example"), b2.pk: (beta.pk, "ola@acme.example"),
    }  # fmt: skip
    # A prospect without a lead takes its company's team; a company nothing uses (with two
    # teams in the database) is deleted: no team could reach it.
    assert Prospect.objects.get(pk=orphan.pk).team_id == alpha.pk
    assert not Company.objects.filter(pk=lone.pk).exists()
    assert Prospect.objects.filter(email="kari@acme.example").count() == 2
    assert Company.objects.filter(domain="acme.example").count() == 2
