"""Inbound webhooks: the generic signed JSON endpoint and django-anymail's provider webhooks.

Both read at most SDRCRM_API_MAX_BODY bytes, answer every bad request with a 4xx and a JSON
message, and change nothing unless the whole event is applied (one transaction per event).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sdrcrm import inputs

from . import services, signing


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def _read_body(request) -> bytes | None:
    limit = settings.SDRCRM_API_MAX_BODY
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not inputs.is_ascii_digits(length, 19) or int(length) > limit:
        return None
    data = request.read(limit + 1)
    return None if len(data) > limit else data


@csrf_exempt
@login_not_required
@require_POST
def inbound_generic(request, team_id: int):
    """One event a request:

        {"id": "evt_1", "type": "reply|delivered|bounce|complaint|unsubscribe",
         "email": "prospect@example.com", "lead_id": 12, "body": "…"}

    signed with the team's inbound secret (X-Sdrcrm-Timestamp, X-Sdrcrm-Signature)."""
    body = _read_body(request)
    if body is None:
        return _error(
            413, _("The body is larger than %(n)s bytes.") % {"n": settings.SDRCRM_API_MAX_BODY}
        )
    secret = services.inbound_secret_get(team_id)
    if secret is None:
        return _error(404, _("No inbound webhook is set up for this team."))
    try:
        signing.verify(
            secret,
            timestamp=request.headers.get(signing.TIMESTAMP_HEADER),
            signature=request.headers.get(signing.SIGNATURE_HEADER),
            body=body,
            tolerance=settings.SDRCRM_WEBHOOK_TOLERANCE_SECONDS,
        )
    except signing.SignatureError as exc:
        return _error(401, str(exc))
    try:
        data = inputs.loads(body)
    except inputs.JsonRefused as exc:
        return _error(400, str(exc))
    except ValueError:
        return _error(400, _("The body is not valid JSON."))
    if not isinstance(data, dict):
        return _error(400, _("The body must be a JSON object."))
    allowed = {"id", "type", "email", "lead_id", "body"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        return _error(400, _("Unknown field(s): %(fields)s.") % {"fields": ", ".join(unknown)})
    event_id, kind = data.get("id"), data.get("type")
    email, lead_id, text = data.get("email", ""), data.get("lead_id"), data.get("body", "")
    if not isinstance(event_id, str) or not isinstance(kind, str):
        return _error(400, _("'id' and 'type' are required strings."))
    if not isinstance(email, str) or not isinstance(text, str):
        return _error(400, _("'email' and 'body' must be strings."))
    if lead_id is not None and (
        not isinstance(lead_id, int) or isinstance(lead_id, bool) or not 0 < lead_id < 2**63
    ):
        return _error(400, _("'lead_id' must be a positive integer."))
    try:
        processed, result = services.inbound_event_process(
            services.InboundEvent(
                source=f"generic:{team_id}",
                event_id=event_id,
                kind=kind,
                email=email[:254],
                lead_id=lead_id,
                body=text,
                team_id=team_id,
            )
        )
    except services.InboundError as exc:
        return _error(400, str(exc))
    return JsonResponse({"processed": processed, "result": result}, status=200)


def anymail_view(view):
    """Wrap one of django-anymail's webhook views: no login redirect, refused unless the
    webhook secret (basic auth) is configured, bounded body, and an event it cannot apply is
    a 400, not a 500."""

    @csrf_exempt
    @login_not_required
    def wrapped(request, *args, **kwargs):
        if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
            return _error(
                404, _("Provider webhooks are off: set ANYMAIL_WEBHOOK_SECRET to turn them on.")
            )
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not inputs.is_ascii_digits(length, 19) or int(length) > settings.SDRCRM_API_MAX_BODY:
            return _error(
                413, _("The body is larger than %(n)s bytes.") % {"n": settings.SDRCRM_API_MAX_BODY}
            )
        try:
            return view(request, *args, **kwargs)
        except services.InboundError as exc:
            return _error(400, str(exc))
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            # A provider payload anymail could not read (malformed JSON, nested too deep,
            # missing fields; a NUL character, which PostgreSQL refuses, is a ValueError).
            return _error(
                400,
                _("The provider's payload could not be read: %(error)s.")
                % {"error": type(exc).__name__},
            )

    return wrapped
