"""Give every company and prospect the team that uses it, splitting rows shared by teams so
that nothing is lost and nothing stays shared:

1. A prospect takes the team of its first lead (lowest id). For each other team with leads of
   the same prospect, a copy of the prospect (every field) is made for that team and that
   team's leads are re-pointed to it. ``Lead.prospect`` is the only foreign key to a prospect.
2. A company takes the team of its first prospect (lowest id, after step 1); each other team
   whose prospects use it gets its own copy, and those prospects are re-pointed to it.
   ``Prospect.company`` is the only foreign key to a company.
3. Rows no lead reaches (a prospect without a lead, a company without a prospect: made in the
   Django admin, or left by a failed hand edit) are visible to no team. A prospect without a
   lead takes its company's team; otherwise, with exactly one team in the database, the row
   goes to that team; otherwise it is deleted (no page, API or report could reach it).

Timeline entries, hand-off briefs, answers, cadences and everything else hang off the lead,
which keeps its id and its team, so each team keeps its own history.
"""

from django.db import migrations
from django.db.models import Min, OuterRef, Subquery

PROSPECT_COPY = (
    "company_id", "first_name", "last_name", "email", "phone", "title", "role",
    "is_decision_maker", "linkedin_url", "time_zone", "do_not_contact", "email_bounced_at",
    "created_at",
)  # fmt: skip
COMPANY_COPY = (
    "name", "domain", "website", "industry", "employee_count", "annual_revenue", "country",
    "time_zone", "linkedin_url", "created_at",
)  # fmt: skip


def _copy(model, row, fields, team_id):
    return model.objects.create(team_id=team_id, **{f: getattr(row, f) for f in fields})


def split(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    Company = apps.get_model("leads", "Company")
    Prospect = apps.get_model("leads", "Prospect")
    Lead = apps.get_model("leads", "Lead")

    # 1. Prospects: the team of the first lead, then one copy per other team.
    first_lead = Lead.objects.filter(prospect_id=OuterRef("pk")).order_by("pk")
    Prospect.objects.update(team_id=Subquery(first_lead.values("team_id")[:1]))
    shared = (
        Lead.objects.exclude(team_id=Subquery(
            Prospect.objects.filter(pk=OuterRef("prospect_id")).values("team_id")[:1]
        ))
        .values("prospect_id", "team_id")
        .annotate(first=Min("pk"))
        .order_by("prospect_id", "first")
    )  # fmt: skip
    for pair in list(shared):
        original = Prospect.objects.get(pk=pair["prospect_id"])
        copy = _copy(Prospect, original, PROSPECT_COPY, pair["team_id"])
        Lead.objects.filter(prospect_id=original.pk, team_id=pair["team_id"]).update(
            prospect_id=copy.pk
        )

    # 2. Companies: the team of the first prospect, then one copy per other team.
    first_prospect = Prospect.objects.filter(
        company_id=OuterRef("pk"), team_id__isnull=False
    ).order_by("pk")
    Company.objects.update(team_id=Subquery(first_prospect.values("team_id")[:1]))
    shared = (
        Prospect.objects.filter(company_id__isnull=False, team_id__isnull=False)
        .exclude(team_id=Subquery(
            Company.objects.filter(pk=OuterRef("company_id")).values("team_id")[:1]
        ))
        .values("company_id", "team_id")
        .annotate(first=Min("pk"))
        .order_by("company_id", "first")
    )  # fmt: skip
    for pair in list(shared):
        original = Company.objects.get(pk=pair["company_id"])
        copy = _copy(Company, original, COMPANY_COPY, pair["team_id"])
        Prospect.objects.filter(company_id=original.pk, team_id=pair["team_id"]).update(
            company_id=copy.pk
        )

    # 3. Rows no lead reaches.
    orphans = Prospect.objects.filter(team_id__isnull=True)
    orphans.filter(company_id__isnull=False).update(
        team_id=Subquery(Company.objects.filter(pk=OuterRef("company_id")).values("team_id")[:1])
    )
    teams = list(Team.objects.values_list("pk", flat=True)[:2])
    only_team = teams[0] if len(teams) == 1 else None
    # A company (of an orphan prospect) that has no team yet goes with the single team too.
    if only_team is not None:
        Prospect.objects.filter(team_id__isnull=True).update(team_id=only_team)
        Company.objects.filter(team_id__isnull=True).update(team_id=only_team)
        return
    # Prospects whose company has no team either, then companies used by no prospect.
    Prospect.objects.filter(team_id__isnull=True).delete()
    used = Prospect.objects.filter(company_id=OuterRef("pk"))
    Company.objects.filter(team_id__isnull=True).exclude(
        pk__in=Subquery(used.values("company_id"))
    ).delete()
    # A company without a team still used by a prospect cannot remain (every prospect with a
    # company has a team here, so its company got that team in step 2): nothing left to do.


class Migration(migrations.Migration):

    dependencies = [("leads", "0010_team_owns_companies_and_prospects")]

    operations = [migrations.RunPython(split, migrations.RunPython.noop, elidable=False)]
