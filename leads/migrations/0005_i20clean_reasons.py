"""Issue 20, "Data that stays clean":

- the decision-maker checkbox merges into the buying role (a ticked box becomes the role
  "decision maker", whatever role was chosen next to it: the box was the stronger statement,
  the one scoring read);
- a prospect without a company says why (``no_company_reason``);
- each team's list of disqualification and rejection reasons, seeded from the fixed choices
  the code had until now (the codes stay, so old leads and figures keep their reason);
- a rejection keeps the code of its reason beside the AE's words.
"""

import django.db.models.deletion
from django.db import migrations, models

# The lists as they were when this migration was written (leads.models.DisqualifyReason and
# RejectReason may change later; a migration does not follow them).
DISQUALIFY = [
    ("no_need", "No need"),
    ("too_small", "Too small"),
    ("no_budget", "No budget"),
    ("no_authority", "Not the decision maker and no path"),
    ("competitor", "Competitor customer"),
    ("no_response", "No response"),
    ("wrong_industry", "Excluded industry"),
    ("bad_data", "Wrong or unusable contact data"),
    ("duplicate", "Duplicate"),
    ("other", "Other"),
]
REJECT = [
    ("not_qualified", "Not qualified after all"),
    ("no_budget", "No budget"),
    ("wrong_person", "Not the right person"),
    ("bad_timing", "Bad timing"),
    ("already_worked", "Already in our pipeline"),
    ("thin_brief", "The brief is missing information"),
    ("other", "Other"),
]


def seed_reasons(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    Reason = apps.get_model("leads", "Reason")
    rows = [
        Reason(team_id=team_id, kind=kind, code=code, label=label, position=i)
        for team_id in Team.objects.values_list("pk", flat=True)
        for kind, items in (("disqualify", DISQUALIFY), ("reject", REJECT))
        for i, (code, label) in enumerate(items)
    ]
    Reason.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_team_email_via'),
        ('leads', '0004_i20pace_leadevent_actor_time'),
    ]

    operations = [
        migrations.RunSQL(
            "UPDATE leads_prospect SET role = 'decision_maker' "
            "WHERE is_decision_maker AND role <> 'decision_maker'",
            "UPDATE leads_prospect SET is_decision_maker = true WHERE role = 'decision_maker'",
        ),
        migrations.RemoveField(
            model_name='prospect',
            name='is_decision_maker',
        ),
        migrations.AddField(
            model_name='lead',
            name='rejection_code',
            field=models.CharField(blank=True, db_default='', default='', max_length=20),
        ),
        migrations.AddField(
            model_name='prospect',
            name='no_company_reason',
            field=models.CharField(blank=True, db_default='', default='', max_length=200),
        ),
        migrations.AlterField(
            model_name='lead',
            name='disqualify_reason',
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AlterField(
            model_name='prospect',
            name='role',
            field=models.CharField(blank=True, choices=[('', 'Unknown'), ('decision_maker', 'Decision maker'), ('champion', 'Champion'), ('influencer', 'Influencer'), ('user', 'User'), ('gatekeeper', 'Gatekeeper')], max_length=20, verbose_name='buying role'),
        ),
        migrations.CreateModel(
            name='Reason',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('disqualify', 'Disqualification (scrap)'), ('reject', 'Rejection of a hand-off')], max_length=12)),
                ('code', models.CharField(max_length=20)),
                ('label', models.CharField(max_length=100)),
                ('is_active', models.BooleanField(db_default=True, default=True)),
                ('position', models.PositiveSmallIntegerField(db_default=0, default=0)),
                ('team', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.team')),
            ],
            options={
                'ordering': ['position', 'id'],
                'constraints': [models.UniqueConstraint(fields=('team', 'kind', 'code'), name='reason_unique_team_kind_code')],
            },
        ),
        migrations.RunPython(seed_reasons, migrations.RunPython.noop),
    ]
