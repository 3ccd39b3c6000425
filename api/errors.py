"""Errors as JSON: domain errors of the services become 400/403/404/409, never a 500."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from sdrcrm.errors import Conflict as DomainConflict
from sdrcrm.errors import DomainError, NotAllowed, NotFound


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, limit: int):
        super().__init__(
            _("The body is larger than the limit of %(limit)s bytes.") % {"limit": limit}
        )


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def input_name(view, field: str) -> str:
    """The name of the API input a service's error is about. Services name the fields of the
    pages' forms (``ae``, ``brief_need``); a view whose input names differ maps them in
    ``service_error_fields`` (``{"ae": "ae_id", "brief_need": "brief.need"}``)."""
    return getattr(view, "service_error_fields", {}).get(field, field)


def exception_handler(exc, context):
    """The one place where the services' errors (``sdrcrm.errors``) become API answers."""
    if isinstance(exc, DomainConflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotFound):
        exc = Http404(str(exc))
    elif isinstance(exc, NotAllowed):
        exc = PermissionDenied(str(exc))
    elif isinstance(exc, DomainError):  # Invalid and the rest: the input is wrong
        field = exc.field or "non_field_errors"
        exc = ValidationError({input_name(context.get("view"), field): [str(exc)]})
    response = drf_exception_handler(exc, context)
    if isinstance(exc, Http404) and response is not None:
        response.data = {"detail": str(exc) or _("Not found.")}
    return response
