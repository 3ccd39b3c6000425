"""A team is a workspace (issue 16): companies and prospects get a team. This step adds the
column (nullable for now) and drops the site-wide unique domain and email, so that the next
migration can split rows shared by several teams; 0012 adds the per-team constraints."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_team_time_zone_dashboards"),
        ("leads", "0009_leadevent_erasure_keeps_structure"),
    ]

    operations = [
        migrations.AddField(
            model_name="company",
            name="team",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="companies",
                to="accounts.team",
            ),
        ),
        migrations.AddField(
            model_name="prospect",
            name="team",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="prospects",
                to="accounts.team",
            ),
        ),
        migrations.RemoveConstraint(model_name="company", name="company_unique_domain"),
        migrations.RemoveConstraint(model_name="prospect", name="prospect_unique_email"),
    ]
