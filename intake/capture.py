"""Inbound web-form capture: a company's website posts its contact form to /in/<token>/.

The submission creates an inbound lead assigned at once, round-robin, to the next active SDR or
BDR of the team (the rotation row is locked, so two submissions at once go to two SDRs). Speed to
lead runs from ``InboundCapture.captured_at`` to the lead's first touch on the timeline.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Role, User
from leads import fields as lead_fields
from leads.fields import email_valid
from leads.models import EventKind, Lead, LeadSource
from leads.normalize import normalize_email
from leads.services import LeadData, LeadInvalid, lead_create_inbound, lead_event_record
from notifications.models import Notification, NotificationKind
from notifications.services import lead_name, notification_create
from sdrcrm.i18n import prospect_translation, user_language

from .models import CaptureOutcome, InboundCapture, InboundRotation, WebForm

log = logging.getLogger(__name__)

HONEYPOT = "_gotcha"
FIELDS = {  # posted name -> (max length, LeadData field)
    "email": (254, "email"),
    "first_name": (100, "first_name"),
    "last_name": (100, "last_name"),
    "name": (201, None),
    "company": (200, "company_name"),
    "website": (300, "company_website"),
    "phone": (40, "phone"),
    "title": (150, "title"),
    "message": (5000, None),
}


@dataclass
class CaptureResult:
    status: int
    message: str
    redirect_url: str = ""
    capture: InboundCapture | None = None
    language: str = ""  # the team's, which the answer to the visitor is in ("" unknown form)


def webform_create(*, actor: User, name: str, redirect_url: str = "") -> WebForm:
    if not (actor.is_manager or actor.is_marketing or actor.is_admin_role) or not actor.team_id:
        raise PermissionError("Your role cannot manage web forms.")
    return WebForm.objects.create(team_id=actor.team_id, name=name, redirect_url=redirect_url)


def webform_deactivate(*, actor: User, form_id: int) -> None:
    WebForm.objects.filter(pk=form_id, team_id=actor.team_id).update(is_active=False)


def _rate_limited(form_id: int, ip: str) -> bool:
    key = f"webform:{form_id}:{hashlib.sha256(ip.encode()).hexdigest()[:16]}"
    if cache.add(key, 1, timeout=60):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=60)
        return False
    return count > settings.SDRCRM_WEBFORM_RATE_PER_MINUTE


def _next_owner(team_id: int) -> int | None:
    """The next active SDR/BDR of the team after the last one given an inbound lead."""
    rotation, _created = InboundRotation.objects.get_or_create(team_id=team_id)
    rotation = InboundRotation.objects.select_for_update().get(pk=rotation.pk)
    ids = list(
        User.objects.filter(team_id=team_id, role__in=[Role.SDR, Role.BDR], is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return None
    last = rotation.last_owner_id or 0
    owner = next((i for i in ids if i > last), ids[0])
    rotation.last_owner_id = owner
    rotation.save(update_fields=["last_owner"])
    return owner


def capture_submission(*, token: str, data, ip: str, referrer: str = "") -> CaptureResult:
    form = WebForm.objects.select_related("team").filter(token=token, is_active=True).first()
    if form is None:
        # No form, no team: answered in the visitor's browser language (the request's).
        return CaptureResult(404, _("This form does not exist or no longer accepts submissions."))
    # The visitor is answered in the team's language (sdrcrm/i18n.py); the lead's timeline
    # entries are written in it too (the team's SDRs read them).
    with prospect_translation(form.team) as language:
        result = _capture(form, data=data, ip=ip, referrer=referrer)
    result.language = language
    return result


def _capture(form: WebForm, *, data, ip: str, referrer: str) -> CaptureResult:
    if (data.get(HONEYPOT) or "").strip():
        # A bot filled the hidden field: answer as if all went well, store nothing.
        return CaptureResult(200, _("Thank you!"), form.redirect_url)
    if _rate_limited(form.pk, ip):
        return CaptureResult(
            429, _("Too many submissions from your address: try again in a minute.")
        )
    values = {}
    for name, (limit, _column) in FIELDS.items():
        value = (
            " ".join(str(data.get(name, "")).split())
            if name != "message"
            else str(data.get(name, "")).strip()
        )
        if len(value) > limit:
            return CaptureResult(
                400,
                _("The field '%(name)s' is longer than %(limit)s characters.")
                % {"name": name, "limit": limit},
            )
        if "\x00" in value:  # PostgreSQL refuses NUL in text (a multipart body's field)
            return CaptureResult(
                400, _("The field '%(name)s' holds a NUL character.") % {"name": name}
            )
        try:  # any other control character, the message's included
            lead_fields.clean_multiline(
                value, label=_("The field '%(name)s'") % {"name": name}, max_length=limit
            )
        except ValidationError as exc:
            return CaptureResult(400, exc.messages[0])
        values[name] = value
    email = normalize_email(values["email"])
    if not email or not email_valid(email):
        return CaptureResult(400, _("Please give a valid email address."))
    first, last = values["first_name"], values["last_name"]
    if not first and values["name"]:
        first, _space, rest = values["name"].partition(" ")
        last = last or rest
    if not first:
        return CaptureResult(400, _("Please give your name."))
    try:  # the gate of every way a lead is made: a bad website is refused, not dropped
        lead_data = LeadData(
            first_name=first, last_name=last, email=email, phone=values["phone"],
            title=values["title"], company_name=values["company"],
            company_website=values["website"], source=LeadSource.WEB_FORM,
            no_company_reason=lead_fields.NO_COMPANY_ON_WEB_FORM,  # cleared if a company is given
        )  # fmt: skip
    except LeadInvalid as exc:
        return CaptureResult(400, str(exc))
    now = timezone.now()
    stored = {k: v for k, v in values.items() if v}
    with transaction.atomic():
        owner_id = _next_owner(form.team_id)
        try:
            lead, existing = lead_create_inbound(
                team_id=form.team_id, owner_id=owner_id, data=lead_data, at=now,
                body=_("Inbound: web form “%(form)s”") % {"form": form.name},
                payload={"web_form_id": form.pk, "captured_at": now.isoformat()},
            )  # fmt: skip
        except LeadInvalid as exc:
            return CaptureResult(400, str(exc))
        if lead is None:
            # Known prospect of this team (another team's people are not looked at): note it
            # on their lead; the rotation position is given back.
            InboundRotation.objects.filter(team_id=form.team_id).update(
                last_owner_id=_previous(form.team_id, owner_id)
            )
            lead_event_record(
                lead=existing, kind=EventKind.NOTE, actor=None, at=now,
                body=_("Submitted the web form “%(form)s” again.") % {"form": form.name}
                + (f"\n\n{values['message']}" if values["message"] else ""),
                payload={"web_form_id": form.pk},
            )  # fmt: skip
            outcome, target = CaptureOutcome.EXISTING, existing
            notify_inbound(lead=existing, form_name=form.name, message=values["message"],
                           again=True)  # fmt: skip
        else:
            if values["message"]:
                lead_event_record(
                    lead=lead, kind=EventKind.NOTE, actor=None, at=now,
                    body=_("Message from the web form:") + f"\n\n{values['message']}",
                )  # fmt: skip
            outcome, target = CaptureOutcome.CREATED, lead
            notify_inbound(lead=lead, form_name=form.name, message=values["message"], again=False)
        capture = InboundCapture.objects.create(
            form=form, lead=target, captured_at=now, outcome=outcome, fields=stored,
            referrer=referrer.replace("\x00", "")[:300],
        )  # fmt: skip
    return CaptureResult(200, _("Thank you! We will be in touch soon."), form.redirect_url, capture)


def _previous(team_id: int, owner_id: int | None) -> int | None:
    """The rotation position before ``owner_id`` was chosen (a known prospect takes no turn)."""
    if owner_id is None:
        return None
    return (
        User.objects.filter(
            team_id=team_id, role__in=[Role.SDR, Role.BDR], is_active=True, pk__lt=owner_id
        )
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def notify_inbound(*, lead: Lead, form_name: str, message: str, again: bool) -> Notification | None:
    """Tell the lead's SDR at once that a web form brought them a lead (or that a prospect of
    theirs submitted again): speed to lead starts at the capture. In the caller's transaction;
    the email goes after commit. None when the lead has no owner (no active SDR)."""
    if lead.owner_id is None:
        return None
    name = lead_name(lead)
    owner = User.objects.select_related("team").get(pk=lead.owner_id)
    with override(user_language(owner)):  # stored text: in the SDR's language (docs/i18n.md)
        title = (
            _("%(name)s submitted the web form “%(form)s” again")
            if again
            else _("New inbound lead for you: %(name)s")
        ) % {"name": name, "form": form_name}
        body = message or _("From the web form “%(form)s”.") % {"form": form_name}
    return notification_create(
        user_id=lead.owner_id,
        lead=lead,
        kind=NotificationKind.INBOUND,
        title=title[:200],
        body=body,
    )
