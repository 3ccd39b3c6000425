"""leads 0013: rows written before the field gate are brought to what it accepts. Migrated back,
old rows inserted, migrated forward: bare domains get https://, other schemes and junk are
blanked, time zones and countries fixed or blanked, every change logged, good rows untouched."""

import logging

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("leads", "0012_per_team_unique_domain_and_email")]
GATE = [("leads", "0013_lead_fields_gate")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_old_rows_are_fixed_and_the_changes_logged(caplog):
    old = _migrate(BEFORE)
    Company = old.get_model("leads", "Company")
    Prospect = old.get_model("leads", "Prospect")
    team = old.get_model("accounts", "Team").objects.create(name="Alpha")
    rows = {
        # name: (website, linkedin_url, country, time_zone)
        "bare": ("fjord.example", "linkedin.com/company/fjord", "no", "europe/oslo"),
        "script": ("javascript://host/%0Aalert(document.cookie)", "javascript:alert(1)", "NO", ""),
        "data": ("data:text/html,<script>x</script>", "https://evil.example/x", "UK", "Mars/Base"),
        "ftp": ("ftp://files.example", "", "XX", ""),
        "upper": ("HTTPS://WWW.Upper.Example/Om", "", "", ""),
        "junk": ("not a website", "", "", ""),
        "good": ("https://good.example/x?y=1", "https://www.linkedin.com/company/good", "SE",
                 "Europe/Stockholm"),
        "empty": ("", "", "", ""),
    }  # fmt: skip
    ids = {}
    for name, (website, linkedin, country, tz) in rows.items():
        ids[name] = Company.objects.create(
            team=team, name=name, website=website, linkedin_url=linkedin, country=country,
            time_zone=tz,
        ).pk
    kari = Prospect.objects.create(
        team=team, first_name="Kari", linkedin_url="www.linkedin.com/in/kari"
    )
    ola = Prospect.objects.create(team=team, first_name="Ola", linkedin_url="vbscript:msgbox(1)")
    Prospect.objects.create(team=team, first_name="Per", time_zone="Not/AZone")

    with caplog.at_level(logging.INFO, logger="leads.migrations"):
        new = _migrate(GATE)

    Company = new.get_model("leads", "Company")
    Prospect = new.get_model("leads", "Prospect")
    got = {
        c.name: (c.website, c.linkedin_url, c.country, c.time_zone)
        for c in Company.objects.filter(pk__in=ids.values())
    }
    assert got == {
        "bare": ("https://fjord.example", "https://linkedin.com/company/fjord", "NO",
                 "Europe/Oslo"),
        "script": ("", "", "NO", ""),
        "data": ("", "", "GB", ""),
        "ftp": ("", "", "", ""),
        "upper": ("https://www.upper.example/Om", "", "", ""),
        "junk": ("", "", "", ""),
        "good": ("https://good.example/x?y=1", "https://www.linkedin.com/company/good", "SE",
                 "Europe/Stockholm"),
        "empty": ("", "", "", ""),
    }  # fmt: skip
    assert {p.first_name: (p.linkedin_url, p.time_zone) for p in Prospect.objects.all()} == {
        "Kari": ("https://www.linkedin.com/in/kari", ""),
        "Ola": ("", ""),
        "Per": ("", ""),
    }
    lines = [r.getMessage() for r in caplog.records if r.name == "leads.migrations"]
    assert f"leads company {ids['bare']} website: normalised 'fjord.example' -> " \
           "'https://fjord.example'" in lines  # fmt: skip
    assert (
        f"leads company {ids['script']} website: blanked (scheme) "
        "'javascript://host/%0Aalert(document.cookie)' -> ''"
    ) in lines
    assert f"leads company {ids['junk']} website: blanked (invalid_url) 'not a website' -> ''" in (
        lines
    )
    # A person's LinkedIn address is not written to the log.
    assert f"leads prospect {kari.pk} linkedin_url: normalised" in lines
    assert f"leads prospect {ola.pk} linkedin_url: blanked (scheme)" in lines
    assert "leads prospect time_zone 'Not/AZone' -> '': blanked on 1 row(s)" in lines
    assert [line for line in lines if "good" in line or "Stockholm" in line] == []  # untouched
    # bare: website, linkedin, country, zone; upper: website; data: country; kari: 4+1+1+1 = 7
    # normalised. script: 2; data: 3; ftp: 2; junk: 1; ola: 1; per: 1 = 10 blanked.
    assert lines[-1] == (
        "leads: the field gate migration normalised 7 value(s) and blanked 10 "
        "(details in the lines above)"
    )
