import django.db.models.deletion
import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models

# The closed days a new team of these countries starts with (accounts.calendar.DEFAULT_CLOSED
# as it was when this migration was written): Christmas Eve and New Year's Eve, which the
# public-holiday tables do not list but offices in Norway and Sweden close on.
DEFAULTS = {
    "NO": ((12, 24, "Julaften"), (12, 31, "Nyttårsaften")),
    "SE": ((12, 24, "Julafton"), (12, 31, "Nyårsafton")),
}
YEARLY_YEAR = 2000


def add_defaults(apps, schema_editor):
    import datetime

    Team = apps.get_model("accounts", "Team")
    ClosedDay = apps.get_model("accounts", "ClosedDay")
    site = (getattr(settings, "SDRCRM_COUNTRY", "") or "").upper()
    rows = []
    for team in Team.objects.all():
        for month, day, label in DEFAULTS.get((team.country or site).upper(), ()):
            rows.append(
                ClosedDay(
                    team=team,
                    on=datetime.date(YEARLY_YEAR, month, day),
                    yearly=True,
                    label=label,
                )
            )
    ClosedDay.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_i21_language_currency"),
    ]

    operations = [
        migrations.AddField(
            model_name="team",
            name="country",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="ISO code (NO, SE…) whose public holidays the team does not work; "
                "blank: the site's country",
                max_length=2,
            ),
        ),
        migrations.CreateModel(
            name="ClosedDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("on", models.DateField()),
                ("yearly", models.BooleanField(db_default=False, default=False)),
                ("label", models.CharField(blank=True, db_default="", default="", max_length=80)),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True,
                        db_default=django.db.models.functions.datetime.Now(),
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="closed_days",
                        to="accounts.team",
                    ),
                ),
            ],
            options={
                "ordering": ["on"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("team", "on", "yearly"), name="closed_day_one_per_team_day"
                    )
                ],
            },
        ),
        migrations.RunPython(add_defaults, migrations.RunPython.noop),
    ]
