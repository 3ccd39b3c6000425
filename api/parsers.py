from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from sdrcrm import inputs

from .errors import PayloadTooLarge


def read_limited(stream, limit: int) -> bytes:
    """Read at most ``limit`` bytes; raise PayloadTooLarge if there is more."""
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise PayloadTooLarge(limit)
    return data


class LimitedJSONParser(JSONParser):
    """JSON bodies up to SDRCRM_API_MAX_BODY bytes; the top level must be an object, at most
    ``inputs.MAX_JSON_DEPTH`` deep, with no NUL character in any key or string."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.SDRCRM_API_MAX_BODY
        raw = read_limited(stream, limit)
        try:
            data = inputs.loads(raw) if raw else {}
        except inputs.JsonRefused as exc:
            raise ParseError(str(exc)) from exc
        except ValueError as exc:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(data, dict):
            raise ParseError(_("The body must be a JSON object."))
        return data
