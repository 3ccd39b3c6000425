# Issue 19, the sync: a message is processed once per mailbox, found by its Message-ID.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="inboundmessage",
            index=models.Index(
                condition=models.Q(("message_id", ""), _negated=True),
                fields=["mailbox", "message_id"],
                name="inboundmessage_message_id",
            ),
        ),
    ]
