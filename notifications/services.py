"""Writes for notifications: create them (at most once per person and timeline event), mark
them read, email each once. The apps that notify (intake, qualification) decide who hears
what and build the rows; the email goes after commit, by task name."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from leads.models import Lead
from sdrcrm.i18n import user_language
from sdrcrm.links import public_url
from sdrcrm.tasks import enqueue_on_commit

from .models import Notification


def lead_name(lead: Lead) -> str:
    """How a notification names a lead: the prospect, and the company in brackets."""
    prospect = lead.prospect
    company = prospect.company
    return prospect.full_name + (f" ({company.name})" if company else "")


def lead_path(lead_id: int) -> str:
    return f"/leads/{lead_id}/"


def notifications_email_after_commit(notifications: list[Notification]) -> None:
    for n in notifications:
        if n.pk:
            enqueue_on_commit("notifications.notification_email_task", n.pk, robust=True)


def notification_create(**fields) -> Notification:
    """Save one notification and email it after commit (in the caller's transaction)."""
    note = Notification.objects.create(**fields)
    notifications_email_after_commit([note])
    return note


def notifications_create_once(notifications: list[Notification]) -> list[Notification]:
    """Save these notifications, skipping any whose person was already told about its event
    (a unique constraint decides, so two workers never double one), and email the new ones
    after commit. Returns the ones saved now."""
    created = []
    for n in notifications:
        try:
            with transaction.atomic():
                n.save()
        except IntegrityError:  # already notified (the sweep and the service met)
            continue
        created.append(n)
    notifications_email_after_commit(created)
    return created


def notifications_mark_read(
    *, actor: User, ids: list[int] | None = None, lead_id: int | None = None
) -> int:
    """Mark read the actor's unread notifications: these ids, or those about this lead, or all."""
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if lead_id is not None:
        qs = qs.filter(lead_id=lead_id)
    return qs.update(read_at=timezone.now())


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification through Django's email backend, once. Returns whether it
    was sent now."""
    with transaction.atomic():
        n = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user__team", "lead")
            .filter(pk=notification_id)
            .first()
        )
        if n is None or n.emailed_at is not None or not n.user.email:
            return False
        link = public_url(lead_path(n.lead_id)) if n.lead_id else None
        with translation.override(user_language(n.user)):
            body = render_to_string("notifications/email.txt", {"body": n.body, "link": link})
        send_mail(n.title, body.rstrip("\n") or n.title, None, [n.user.email])
        n.emailed_at = timezone.now()
        n.save(update_fields=["emailed_at"])
    return True
