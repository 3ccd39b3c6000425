"""The inbound panel on the lead page (``leads`` does not import ``intake``: its template loads
this tag). No query for leads that did not come from a web form, two for those that did."""

from django import template
from django.utils import timezone

from sdrcrm import clock

from ..selectors import lead_inbound_capture

register = template.Library()


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"{minutes} min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


@register.inclusion_tag("intake/_inbound_panel.html")
def inbound_panel(lead):
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
