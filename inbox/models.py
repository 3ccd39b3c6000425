"""What the sync read from SDRs' mailboxes (issue 19): a cursor per folder, a lease per mailbox
(so two sync processes never sync one mailbox), and the messages that concern a lead."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FolderCursor(models.Model):
    """How far a folder (INBOX, Sent) of a mailbox was read: every UID up to ``last_uid`` under
    ``uidvalidity`` is processed. A changed UIDVALIDITY means the folder was rebuilt."""

    mailbox = models.ForeignKey("mailboxes.Mailbox", on_delete=models.CASCADE, related_name="+")
    folder = models.CharField(max_length=200)
    uidvalidity = models.BigIntegerField()
    last_uid = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "folder"], name="foldercursor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id} {self.folder} {self.uidvalidity}:{self.last_uid}"


class SyncLease(models.Model):
    """Which sync process holds a mailbox, until when. Taken with SKIP LOCKED and renewed while
    the process lives; an expired lease is free for another process."""

    mailbox = models.OneToOneField(
        "mailboxes.Mailbox", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    holder = models.CharField(max_length=200, blank=True)
    until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.mailbox_id} held by {self.holder or '-'} until {self.until}"


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Delivery failure")
    OPT_OUT = "opt_out", _("Opt-out by reply")
    SDR_REPLY = "sdr_reply", _("The SDR's own reply")  # read from the Sent folder
    OTHER = "other", _("Other")


class InboundMessage(models.Model):
    """A message read from a mailbox that concerns a lead of the owner's team, processed once
    (unique per folder position)."""

    mailbox = models.ForeignKey("mailboxes.Mailbox", on_delete=models.CASCADE, related_name="+")
    folder = models.CharField(max_length=200)
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=998, blank=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    from_email = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    touch = models.ForeignKey(
        "cadences.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How it was matched: "thread" (In-Reply-To/References), "sender", "domain".
    matched_by = models.CharField(max_length=10, blank=True)
    text = models.TextField(blank=True)  # a reply without the quoted history
    return_on = models.DateField(null=True, blank=True)  # an automatic reply's return date
    bounce_status = models.CharField(max_length=20, blank=True)  # e.g. 5.1.1
    bounce_recipient = models.CharField(max_length=254, blank=True)
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "folder", "uidvalidity", "uid"], name="inboundmessage_position"
            )
        ]
        indexes = [
            models.Index(fields=["lead", "processed_at"], name="inboundmessage_lead"),
            # A message is processed once per mailbox whatever its place (a folder rebuilt
            # under a new UIDVALIDITY, a copy filed twice), and a thread is followed through
            # the messages stored before.
            models.Index(
                fields=["mailbox", "message_id"],
                name="inboundmessage_message_id",
                condition=~models.Q(message_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"
