from django import template

from leads import contact_links
from leads import fields as lead_fields
from leads.models import CallOutcome, DisqualifyReason, EventKind, LeadSource, LeadState
from sdrcrm.partials import dates, labels, render_partial, url_pattern

register = template.Library()


def _label(choices, value) -> str:
    try:
        return choices(value).label
    except ValueError:
        return str(value or "")


@register.filter
def http_url(value) -> str:
    """The address if a link may point at it (http or https), else '': whatever a row holds,
    no page renders a javascript: or data: href."""
    return lead_fields.http_url(value)


@register.filter
def tel_href(value) -> str:
    """A phone number's ``tel:`` href (digits only), or '' when it is no number: show it as
    text (leads/contact_links.py). Pages use the include leads/_phone.html."""
    return contact_links.tel_href(value)


@register.filter
def linkedin_href(value) -> str:
    """The address if it is an http(s) address on linkedin.com, else ''."""
    return contact_links.linkedin_href(value)


@register.filter
def disqualify_label(value) -> str:
    return _label(DisqualifyReason, value)


@register.filter
def call_outcome_label(value) -> str:
    return _label(CallOutcome, value)


@register.simple_tag
def lead_rows(rows, show_select: bool):
    """The lead list's table rows (partials/leads/_lead_rows.jinja), from the dicts of
    ``lead_paginate(fields=LIST_ROW_FIELDS)``. A Jinja2 partial: 50 rows of eight cells as a
    Django template loop cost ~10 ms a page, in Jinja2 ~2 ms (docs/performance.md)."""
    return render_partial(
        "leads/_lead_rows.jinja",
        {
            "rows": rows,
            "show_select": show_select,
            "tel_href": contact_links.tel_href,
            "detail": url_pattern("leads:detail"),
            "states": labels(LeadState),
            "sources": labels(LeadSource),
            **dates(),
        },
    )


def timeline_context() -> dict:
    """The lookups of partials/leads/_timeline_entries.jinja besides its ``events``."""
    return {
        "kinds": labels(EventKind),
        "states": labels(LeadState),
        "call_outcomes": labels(CallOutcome),
        "reasons": labels(DisqualifyReason),
        **dates(),
    }


@register.simple_tag
def timeline_entries(events):
    """The ``<li>`` of each timeline entry on the lead page (templates/leads/_timeline.html):
    partials/leads/_timeline_entries.jinja, for the same reason as ``lead_rows``."""
    return render_partial("leads/_timeline_entries.jinja", {"events": events, **timeline_context()})
