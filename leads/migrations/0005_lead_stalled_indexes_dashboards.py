# Dashboards (issue 6): leads stalled in a working state, oldest first, per team or overall.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0004_cadence_support"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(
                    (
                        "state__in",
                        ["new", "researching", "contacting", "engaged", "qualified", "handed_off"],
                    )
                ),
                fields=["team", "state_changed_at"],
                include=("state", "owner"),
                name="lead_team_stalled",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(
                    (
                        "state__in",
                        ["new", "researching", "contacting", "engaged", "qualified", "handed_off"],
                    )
                ),
                fields=["state_changed_at"],
                include=("state", "owner"),
                name="lead_stalled",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(
                    (
                        "state__in",
                        ["new", "researching", "contacting", "engaged", "qualified", "handed_off"],
                    )
                ),
                fields=["owner", "state_changed_at"],
                include=("state", "team"),
                name="lead_owner_stalled",
            ),
        ),
    ]
