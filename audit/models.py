from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who changed what, outside the lead timeline: users, teams and settings changed in the
    admin, leads, prospects and companies changed in the admin, two-factor on/off, and
    personal-data exports and erasures. Append-only in the database itself (a trigger
    refuses UPDATE and DELETE: sdrcrm.db.append_only_trigger in audit/migrations/0001)."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # the entry outlives the user
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40)
    target_type = models.CharField(_("target type"), max_length=100, help_text="app_label.model")
    target_id = models.CharField(_("target id"), max_length=64)
    # {field: [old, new]}; for prospects only the names of the fields (no personal data).
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_type}"
