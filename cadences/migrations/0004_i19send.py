# Issue 19, sending through the SDRs' mailboxes: why a touch waits (Touch.hold_reason; the
# "held" label no longer says "fields missing"), the resolver's index of uncertain sends and the
# tick's index of emails held for a mailbox.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cadences", "0003_i19sync"),
        ("leads", "0002_i19sync"),
        ("mailboxes", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="touch",
            name="hold_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("fields", "Fields missing"),
                    ("no_mailbox", "No connected mailbox"),
                    ("mailbox", "The mailbox is not working"),
                    ("ask_sdr", "Not known whether it was sent"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="touch",
            name="status",
            field=models.CharField(
                choices=[
                    ("planned", "Planned"),
                    ("scheduled", "Scheduled"),
                    ("due", "Due"),
                    ("sending", "Sending"),
                    ("uncertain", "Sent? Being confirmed"),
                    ("held", "Held"),
                    ("sent", "Sent"),
                    ("done", "Done"),
                    ("skipped", "Skipped"),
                    ("failed", "Failed"),
                    ("cancelled", "Cancelled"),
                ],
                default="planned",
                max_length=12,
            ),
        ),
        migrations.AddIndex(
            model_name="touch",
            index=models.Index(
                condition=models.Q(("status", "uncertain")),
                fields=["lease_until"],
                name="touch_uncertain",
            ),
        ),
        migrations.AddIndex(
            model_name="touch",
            index=models.Index(
                condition=models.Q(
                    ("hold_reason__in", ["no_mailbox", "mailbox"]), ("status", "held")
                ),
                fields=["owner"],
                name="touch_mailbox_held",
            ),
        ),
    ]
