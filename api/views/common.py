"""What the API's views share: the documented error answers, the cursor pagination, the lead
as the user may see it, the 409 answer."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
)
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from leads import selectors as lead_selectors
from leads.models import Lead
from leads.services import (
    LeadConflict,
)
from sdrcrm.inputs import parse_id
from sdrcrm.tasks import enqueue_on_commit

from .. import serializers as s
from ..models import EVENT_FOR_STATE

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: field → messages"),
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    413: s.ErrorOut,
    429: s.ErrorOut,
}


def _errors(*codes):
    return {c: ERRORS[c] for c in codes}


class IdCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        # DRF falls back to the default for a bad page_size; a typo must not pass unnoticed.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = parse_id(raw)
        if size is None or size > self.max_page_size:
            raise ValidationError(
                {
                    "page_size": [
                        _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def decode_cursor(self, request):
        # DRF answers a forged cursor with 404; it is bad input: 400, naming the parameter.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [_("Invalid cursor.")]}) from None


def _require_lead_reader(user) -> None:
    if not user.sees_leads:
        raise PermissionDenied(_("Your role does not work with leads."))


def _lead(request, lead_id) -> Lead:
    """A lead out of the user's scope (any lead, for marketing) is not there: 404."""
    return lead_selectors.lead_get_for_user(user=request.user, lead_id=lead_id)


def _conflict(lead_id: int, error: LeadConflict) -> Response:
    current = Lead.objects.filter(pk=lead_id).values("state", "version").first() or {}
    return Response({"detail": str(error), **current}, status=409)


def _after_transition(lead: Lead) -> None:
    """Outgoing webhooks for the states they exist for go out without waiting for the tick."""
    if lead.state in EVENT_FOR_STATE:
        enqueue_on_commit("api.webhook_outbox_task")
