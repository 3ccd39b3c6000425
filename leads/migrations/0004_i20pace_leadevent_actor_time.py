"""The SDR's own timeline entries of a day (their pace on Today, cadences/pace.py): automatic
entries, written with no actor and most of the timeline, are left out of the index."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0003_i20search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="leadevent",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)),
                fields=["actor", "created_at"],
                name="leadevent_actor_time",
            ),
        ),
    ]
