"""The inbound panel on the lead page (registered in apps.py; leads/panels.py). No query for
leads that did not come from a web form, two for those that did."""

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from sdrcrm import clock

from .selectors import lead_inbound_capture


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return _("under a minute")
    if minutes < 90:
        return _("%(n)s min") % {"n": minutes}
    hours = minutes / 60
    if hours < 48:
        return _("%(n)s h") % {"n": number_format(hours, decimal_pos=1)}
    return _("%(n)s days") % {"n": number_format(hours / 24, decimal_pos=1)}


def inbound_panel(context, lead) -> dict:
    capture, first = lead_inbound_capture(lead=lead)
    if capture is None:
        return {"capture": None}
    end = first.created_at if first else clock.now()
    return {
        "capture": capture,
        "first": first,
        "speed": _duration((end - capture.captured_at).total_seconds()),
        "captured_local": timezone.localtime(capture.captured_at),
    }
