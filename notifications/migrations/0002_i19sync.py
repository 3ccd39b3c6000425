# Issue 19: an SDR hears of a reply the system found (their mailbox, a provider's webhook).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("handoff", "Lead handed off to you"),
                    ("accepted", "Lead accepted"),
                    ("rejected", "Lead rejected"),
                    ("escalated", "Hand-off escalated"),
                    ("inbound", "Inbound lead"),
                    ("reply", "Reply to your cadence"),
                ],
                max_length=20,
            ),
        ),
    ]
