"""Refusing an oversized upload while it arrives, before it is spooled to disk.

``LimitedUploadHandler`` comes first in ``FILE_UPLOAD_HANDLERS``: it sees the declared size of
the body (``Content-Length``) and every chunk of every file before Django's memory and
temporary-file handlers do. A body declared larger than ``SDRCRM_IMPORT_MAX_BYTES`` (plus
``FORM_OVERHEAD`` for the form's other fields and the multipart framing) is refused when its
first file begins, and a file is refused as soon as the bytes received pass the limit. The
handler stops the parse without reading the rest of the body (``connection_reset``), the
temporary file already started is closed (and so deleted), and the request carries the reason:
the view answers 413 with it (``upload_refusal``). The fields before the file (the CSRF token)
are parsed as usual.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

from .xlsx import human_size

FORM_OVERHEAD = 1_000_000  # bytes of a body that are not the file: other fields, part headers
REFUSAL_ATTR = "sdrcrm_upload_refusal"


def too_large_message(size: int | None = None) -> str:
    limit = human_size(settings.SDRCRM_IMPORT_MAX_BYTES)
    if size is None:
        return _("The file is larger than the limit of %(limit)s. Split it into smaller files.") % {
            "limit": limit
        }
    return _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.") % {
        "size": human_size(size),
        "limit": limit,
    }


class LimitedUploadHandler(FileUploadHandler):
    """Counts what arrives and stops the upload once it is over the limit; stores nothing
    itself (it hands every chunk on to the next handler)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.declared = content_length or 0
        self.received = 0
        return None  # the multipart parser does the parsing

    def _refuse(self, message: str):
        if self.request is not None:
            setattr(self.request, REFUSAL_ATTR, message)
        raise StopUpload(connection_reset=True)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        limit = settings.SDRCRM_IMPORT_MAX_BYTES
        if getattr(self, "declared", 0) > limit + FORM_OVERHEAD:
            self._refuse(too_large_message(self.declared))

    def receive_data_chunk(self, raw_data, start):
        self.received = getattr(self, "received", 0) + len(raw_data)
        if self.received > settings.SDRCRM_IMPORT_MAX_BYTES:
            self._refuse(too_large_message())
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler makes the file


def upload_refusal(request) -> str | None:
    """Why the upload handler refused this request's file, or None. Reading it parses the body
    (it must be parsed to know)."""
    django_request = getattr(request, "_request", request)  # a DRF request wraps Django's
    request.POST  # noqa: B018  the parse runs the handlers
    return getattr(django_request, REFUSAL_ATTR, None)
