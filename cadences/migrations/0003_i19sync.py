# Issue 19, the sync of SDRs' mailboxes: the exit rule "someone else at the company replied",
# the stop reasons read from the mailbox, and the index that matches a reply to its touch.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cadences", "0002_mailboxes"),
    ]

    operations = [
        migrations.AddField(
            model_name="cadence",
            name="stop_on_colleague_reply",
            field=models.BooleanField(
                default=False, verbose_name="Stop when someone else at the company replies"
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="stop_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("replied", "Prospect replied"),
                    ("bounced", "Email bounced"),
                    ("unsubscribed", "Unsubscribed"),
                    ("meeting_booked", "Meeting booked"),
                    ("lead_moved", "Lead left contacting"),
                    ("manual", "Stopped by hand"),
                    ("no_response", "No response after the break-up email"),
                    ("send_failed", "Email could not be sent"),
                    ("colleague_replied", "Someone else at the company replied"),
                    ("sdr_replied", "The SDR answered in the thread from their mailbox"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddIndex(
            model_name="enrollment",
            index=models.Index(
                condition=models.Q(("resume_at__isnull", False), ("status", "paused")),
                fields=["resume_at"],
                name="enrollment_resume_due",
            ),
        ),
        migrations.AddIndex(
            model_name="touch",
            index=models.Index(
                condition=models.Q(("message_id", ""), _negated=True),
                fields=["message_id"],
                name="touch_message_id",
            ),
        ),
    ]
