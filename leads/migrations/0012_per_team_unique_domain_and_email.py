"""Every company and prospect has its team (0011): make the column required and unique the
domain and the email per team. The email keeps an index of its own for the two
organisation-wide lookups by address (suppression list, data-subject rights)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("leads", "0011_split_shared_companies_and_prospects")]

    operations = [
        migrations.AlterField(
            model_name="company",
            name="team",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="companies",
                to="accounts.team",
            ),
        ),
        migrations.AlterField(
            model_name="prospect",
            name="team",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="prospects",
                to="accounts.team",
            ),
        ),
        migrations.AddConstraint(
            model_name="company",
            constraint=models.UniqueConstraint(
                condition=models.Q(("domain__isnull", False)),
                fields=("team", "domain"),
                name="company_unique_team_domain",
            ),
        ),
        migrations.AddConstraint(
            model_name="prospect",
            constraint=models.UniqueConstraint(
                condition=models.Q(("email__isnull", False)),
                fields=("team", "email"),
                name="prospect_unique_team_email",
            ),
        ),
        migrations.AddIndex(
            model_name="prospect",
            index=models.Index(
                condition=models.Q(("email__isnull", False)),
                fields=["email"],
                name="prospect_email",
            ),
        ),
    ]
