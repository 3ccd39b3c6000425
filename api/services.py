"""Writes of the api app: tokens, inbound events (each processed once), outgoing webhook
subscriptions, the outbox and deliveries.

Inbound events call the cadences exit rules (``lead_record_reply``, ``email_record_bounce``,
``email_record_unsubscribe``, ``email_record_complaint``); nothing here changes a lead or an
enrollment by itself.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cadences.services import (
    email_record_bounce,
    email_record_complaint,
    email_record_unsubscribe,
    lead_record_reply,
)
from leads.models import ACTIVE_STATES, EventKind, Lead, LeadEvent
from leads.normalize import normalize_email
from leads.services import LeadForbidden, LeadInvalid
from sdrcrm.errors import NotFound
from sdrcrm.tasks import enqueue

from . import signing
from .models import (
    EVENT_FOR_STATE,
    ApiToken,
    DeliveryStatus,
    InboundSecret,
    OutboxCursor,
    ProcessedEvent,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

log = logging.getLogger(__name__)

TOKEN_PREFIX = "sdr_"
MAX_TOKENS_PER_USER = 20


# --- API tokens -------------------------------------------------------------------------------


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class NewToken:
    token: ApiToken
    raw: str  # shown once, never stored


def api_token_create(*, actor: User, name: str) -> NewToken:
    name = " ".join(name.split())
    if not name:
        raise LeadInvalid(_("Give the token a name, e.g. the tool that will use it."), field="name")
    if len(name) > 80:
        raise LeadInvalid(_("A token name is at most 80 characters."), field="name")
    if not actor.is_active:
        raise LeadForbidden(_("Inactive users cannot create tokens."))
    if not actor.does_sales_work:
        raise LeadForbidden(_("Your role does not use the API."))
    with transaction.atomic():
        # Serialise one user's creations so the cap holds.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        active = ApiToken.objects.filter(user=actor, revoked_at__isnull=True)
        if active.count() >= MAX_TOKENS_PER_USER:
            raise LeadInvalid(
                _("You have %(n)s active tokens: revoke one first.") % {"n": MAX_TOKENS_PER_USER},
                field="name",
            )
        prefix = secrets.token_hex(4)
        raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(24)}"
        token = ApiToken.objects.create(user=actor, name=name, prefix=prefix, key_hash=_hash(raw))
    return NewToken(token=token, raw=raw)


def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens (someone else's is not there: 404). Revoking a
    revoked token changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=actor, pk=token_id).first()
        if token is None:
            raise NotFound(_("No such token"))
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token ``raw`` is, with its user, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = (
        ApiToken.objects.select_related("user", "user__team")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, _hash(raw)):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    # At most one write a minute per token, not one per request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- Inbound events: each (source, event id) once ---------------------------------------------


class InboundError(Exception):
    """The event cannot be processed; ``str(error)`` is returned to the sender (400)."""


INBOUND_KINDS = ("reply", "delivered", "bounce", "complaint", "unsubscribe")


@dataclass
class InboundEvent:
    source: str
    event_id: str
    kind: str
    email: str = ""
    lead_id: int | None = None
    body: str = ""
    team_id: int | None = None  # replies only touch leads of this team (None: any team)


def inbound_secret_get(team_id: int) -> str | None:
    row = InboundSecret.objects.filter(team_id=team_id).first()
    return row.secret if row else None


def inbound_secret_rotate(*, actor: User, team_id: int) -> InboundSecret:
    _require_team_manager(actor, team_id)
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        row, _ = InboundSecret.objects.select_for_update().get_or_create(
            team_id=team_id, defaults={"secret": secret}
        )
        row.secret = secret
        row.created_at = timezone.now()
        row.save(update_fields=["secret", "created_at"])
    return row


def _reply_lead(event: InboundEvent) -> Lead | None:
    if event.lead_id is not None:
        leads = Lead.objects.filter(pk=event.lead_id)
    else:
        email = normalize_email(event.email)
        if not email:
            raise InboundError(_("A reply needs the sender's 'email' or a 'lead_id'."))
        leads = Lead.objects.filter(prospect__email=email, state__in=ACTIVE_STATES)
    if event.team_id is not None:
        leads = leads.filter(team_id=event.team_id)
    return leads.order_by("-created_at").first()


def inbound_event_process(event: InboundEvent) -> tuple[bool, str]:
    """Apply one inbound event exactly once. Returns (processed now, what happened); a repeat
    of an event already processed returns (False, ...) and changes nothing. The event row and
    the change it makes commit together: a failure leaves neither."""
    if event.kind not in INBOUND_KINDS:
        raise InboundError(
            _("Unknown event type '%(kind)s'; use one of %(kinds)s.")
            % {"kind": event.kind, "kinds": ", ".join(INBOUND_KINDS)}
        )
    if not event.event_id or len(event.event_id) > 200:
        raise InboundError(_("Each event needs an 'id' of 1 to 200 characters."))
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = ProcessedEvent.objects.create(
                    source=event.source, event_id=event.event_id, kind=event.kind
                )
        except IntegrityError:
            return False, "already processed"
        if event.kind == "reply":
            lead = _reply_lead(event)
            if lead is None:
                result = "no matching lead"
            else:
                lead_record_reply(
                    lead_id=lead.pk, actor=None, body=event.body[:10_000], source="webhook"
                )
                result = f"reply recorded on lead {lead.pk}"
        elif event.kind == "delivered":
            result = "noted"
        else:
            if not normalize_email(event.email):
                raise InboundError(
                    _("A %(kind)s event needs the recipient's 'email'.") % {"kind": event.kind}
                )
            note = f"webhook {event.source} {event.event_id}"
            service = {
                "bounce": email_record_bounce,
                "complaint": email_record_complaint,
                "unsubscribe": email_record_unsubscribe,
            }[event.kind]
            stopped = service(email=event.email, note=note)
            result = f"{event.kind}: address suppressed, {stopped} cadence(s) stopped"
        row.result = result[:200]
        row.save(update_fields=["result"])
    return True, result


# --- Outgoing webhooks: subscriptions ---------------------------------------------------------


def _require_team_manager(actor: User, team_id: int | None) -> None:
    if team_id is None:
        raise LeadForbidden(_("Choose a team."))
    if actor.is_admin_role:
        return
    if not (actor.is_manager and actor.team_id == team_id):
        raise LeadForbidden(_("Only managers of the team and admins manage its webhooks."))


def url_blocked_reason(url: str) -> str:
    """Why the server must not POST to ``url`` ('' if it may): it resolves to a loopback,
    private, link-local or otherwise internal address (a webhook must not reach into the
    server's own network), unless SDRCRM_WEBHOOK_ALLOW_PRIVATE is on (tests, intranet tools).
    Checked when a subscription is saved and again before every POST."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Enter an http(s) URL.")
    if settings.SDRCRM_WEBHOOK_ALLOW_PRIVATE:
        return ""
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        return _("The host %(host)s does not resolve.") % {"host": parts.hostname}
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            return _("The host %(host)s is an internal address (%(address)s): refused.") % {
                "host": parts.hostname,
                "address": address,
            }
    return ""


def subscription_create(
    *, actor: User, team_id: int | None, url: str, events: list[str]
) -> WebhookSubscription:
    _require_team_manager(actor, team_id)
    events = sorted(set(events))
    if not events or any(e not in WebhookEvent.values for e in events):
        raise LeadInvalid(_("Choose at least one event."), field="events")
    blocked = url_blocked_reason(url)
    if blocked:
        raise LeadInvalid(blocked, field="url")
    return WebhookSubscription.objects.create(
        team_id=team_id,
        url=url,
        events=events,
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by=actor,
    )


def subscription_set_active(*, actor: User, subscription_id: int, active: bool):
    with transaction.atomic():
        sub = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        if sub is None or not (actor.is_admin_role or actor.team_id == sub.team_id):
            raise NotFound(_("No such subscription"))
        _require_team_manager(actor, sub.team_id)
        if sub.is_active != active:
            sub.is_active = active
            sub.save(update_fields=["is_active"])
    return sub


# --- The outbox: lead timeline → delivery rows ------------------------------------------------

OUTBOX = "webhooks"
# Events committed late (a long transaction that took its id before the cursor moved on) are
# still found while they are this young; the unique constraint drops what was already done.
OUTBOX_LOOKBACK = timedelta(minutes=2)
OUTBOX_BATCH = 500


def webhook_payload(event: LeadEvent, lead: Lead, event_type: str) -> dict:
    prospect = lead.prospect
    company = prospect.company
    return {
        "id": f"evt_{event.pk}",
        "type": event_type,
        "created_at": event.created_at.isoformat(),
        "data": {
            "lead": {
                "id": lead.pk,
                "team_id": lead.team_id,
                "state": event.to_state,
                "from_state": event.from_state,
                "owner_id": lead.owner_id,
                "assigned_ae_id": lead.assigned_ae_id,
                "score": lead.score,
                "prospect": {
                    "id": prospect.pk,
                    "name": prospect.full_name,
                    "email": prospect.email,
                    "title": prospect.title,
                },
                "company": {"id": company.pk, "name": company.name, "domain": company.domain}
                if company
                else None,
            },
            "actor_id": event.actor_id,
            "payload": event.payload,
        },
    }


def webhook_outbox_run(*, now: datetime | None = None) -> list[int]:
    """Turn new transition events into delivery rows, one per (subscription, event). Returns
    the ids of the deliveries created. Safe to run from several workers at once: the cursor
    row is locked (a second run waits, then sees the advanced cursor)."""
    now = now or timezone.now()
    targets = list(EVENT_FOR_STATE)
    created: list[int] = []
    with transaction.atomic():
        cursor, _ = OutboxCursor.objects.get_or_create(name=OUTBOX)
        cursor = OutboxCursor.objects.select_for_update().get(name=OUTBOX)
        events = list(
            LeadEvent.objects.filter(kind=EventKind.TRANSITION, to_state__in=targets)
            .filter(Q(pk__gt=cursor.last_event_id) | Q(created_at__gte=now - OUTBOX_LOOKBACK))
            .select_related("lead__prospect__company")
            .order_by("pk")[:OUTBOX_BATCH]
        )
        if not events:
            return created
        teams = {e.lead.team_id for e in events}
        subs_by_team: dict[int, list[WebhookSubscription]] = {}
        for sub in WebhookSubscription.objects.filter(team_id__in=teams, is_active=True):
            subs_by_team.setdefault(sub.team_id, []).append(sub)
        rows = []
        for event in events:
            event_type = EVENT_FOR_STATE[event.to_state]
            for sub in subs_by_team.get(event.lead.team_id, []):
                if event_type in sub.events and event.created_at >= sub.created_at:
                    rows.append(
                        WebhookDelivery(
                            subscription=sub,
                            lead_event=event,
                            lead_id=event.lead_id,
                            event_type=event_type,
                            payload=webhook_payload(event, event.lead, event_type),
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
        if rows:
            created = _insert_new(rows)
        cursor.last_event_id = max(cursor.last_event_id, events[-1].pk)
        cursor.updated_at = now
        cursor.save(update_fields=["last_event_id", "updated_at"])
    return created


def _insert_new(rows: list[WebhookDelivery]) -> list[int]:
    """Insert deliveries, skipping those that exist; return the ids of the new ones."""
    pairs = {(r.subscription_id, r.lead_event_id) for r in rows}
    before = set(
        WebhookDelivery.objects.filter(
            subscription_id__in={p[0] for p in pairs}, lead_event_id__in={p[1] for p in pairs}
        ).values_list("subscription_id", "lead_event_id")
    )
    WebhookDelivery.objects.bulk_create(
        [r for r in rows if (r.subscription_id, r.lead_event_id) not in before],
        ignore_conflicts=True,
    )
    fresh = pairs - before
    return (
        list(
            WebhookDelivery.objects.filter(
                subscription_id__in={p[0] for p in fresh}, lead_event_id__in={p[1] for p in fresh}
            ).values_list("pk", flat=True)
        )
        if fresh
        else []
    )


# --- Deliveries -------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after ``attempts`` failed attempts: base, 2×base, 4×base, … ≤ 30 min."""
    base = settings.SDRCRM_WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 1800))


def delivery_claim(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Claim one due delivery (SKIP LOCKED): it becomes 'sending' under a lease, committed
    before anything is sent. None if it is not due, not pending, or another worker has it."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.SDRCRM_WEBHOOK_TIMEOUT_SECONDS * 3 + 30)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        delivery.status = DeliveryStatus.SENDING
        delivery.lease_until = now + lease
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.save(update_fields=["status", "lease_until", "attempts", "last_attempt_at"])
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery.pk)


@dataclass
class PostResult:
    ok: bool
    status_code: int | None
    error: str


def _post(delivery: WebhookDelivery) -> PostResult:
    blocked = url_blocked_reason(delivery.subscription.url)
    if blocked:
        return PostResult(False, None, blocked)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "sdrcrm-webhooks/1",
        "X-Sdrcrm-Event": delivery.event_type,
        "X-Sdrcrm-Event-Id": delivery.payload.get("id", ""),
        "X-Sdrcrm-Delivery": str(delivery.pk),
        **signing.signed_headers(delivery.subscription.secret, body),
    }
    try:
        response = requests.post(
            delivery.subscription.url,
            data=body,
            headers=headers,
            timeout=settings.SDRCRM_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return PostResult(False, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return PostResult(True, response.status_code, "")
    return PostResult(False, response.status_code, f"HTTP {response.status_code}")


def delivery_send(delivery_id: int) -> str:
    """Send one delivery if it is due: 'delivered', 'retry' (with next_attempt_at set),
    'failed' (attempts used up) or 'skipped' (not due, done, or claimed elsewhere)."""
    delivery = delivery_claim(delivery_id)
    if delivery is None:
        return "skipped"
    result = _post(delivery)
    now = timezone.now()
    fields = ["status", "lease_until", "last_status_code", "last_error"]
    delivery.lease_until = None
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    if result.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        fields.append("delivered_at")
        outcome = "delivered"
    elif delivery.attempts >= settings.SDRCRM_WEBHOOK_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        outcome = "failed"
    else:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        fields.append("next_attempt_at")
        outcome = "retry"
    # Only the holder of the lease records the result (a recovered lease went to another).
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        **{f: getattr(delivery, f) for f in fields}
    )
    return outcome


def delivery_resend(*, actor: User, delivery_id: int) -> WebhookDelivery:
    """A manager sends a delivery again now (delivered or failed ones too). One more attempt is
    allowed even if the attempts were used up."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or not (
            actor.is_admin_role or actor.team_id == delivery.subscription.team_id
        ):
            raise NotFound(_("No such delivery"))
        _require_team_manager(actor, delivery.subscription.team_id)
        if delivery.status == DeliveryStatus.SENDING:
            raise LeadInvalid(_("This delivery is being sent right now."))
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.attempts = min(delivery.attempts, settings.SDRCRM_WEBHOOK_MAX_ATTEMPTS - 1)
        delivery.save(update_fields=["status", "next_attempt_at", "attempts"])
        _enqueue_after_commit([delivery.pk])
    return delivery


def deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries whose time has come (retries, and any whose message was lost), and expired
    leases of dead workers put back to pending."""
    now = now or timezone.now()
    WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING, lease_until__lt=now).update(
        status=DeliveryStatus.PENDING, lease_until=None, next_attempt_at=now
    )
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def _enqueue_after_commit(ids: list[int]) -> None:
    if not ids:
        return

    def send():
        for pk in ids:
            enqueue("api.webhook_delivery_send_task", pk)

    transaction.on_commit(send)


def webhook_outbox_tick() -> dict:
    """The periodic task's work: fill the outbox, then ring the bell for what is due."""
    created = webhook_outbox_run()
    due = deliveries_due()
    ids = sorted(set(created) | set(due))
    with transaction.atomic():
        _enqueue_after_commit(ids)
    return {"created": len(created), "enqueued": len(ids)}
