from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from leads import contact_links
from sdrcrm.partials import csrf_token, dates, render_partial, url_pattern

from ..models import TaskOutcome

register = template.Library()


@register.filter
def outcomes_for(outcomes: dict, channel: str) -> list[tuple[str, str]]:
    """The one-click outcomes of a manual touch on ``channel``, as (value, label)."""
    return [(o.value, TaskOutcome(o).label) for o in outcomes.get(channel, [TaskOutcome.DONE])]


@register.simple_tag(takes_context=True)
def today_items(context, items, outcomes, owner):
    """The ``<li>`` of each item of the Today queue (templates/cadences/today.html):
    partials/cadences/_today_items.jinja. A Jinja2 partial: an item with its outcome buttons cost
    ~0.5 ms as a Django template, and a queue holds 70 (docs/performance.md)."""
    today_url = reverse("today")
    channels = {item.obj.channel for item in items if item.kind == "touch"}
    return render_partial(
        "cadences/_today_items.jinja",
        {
            "items": items,
            "choices": {channel: outcomes_for(outcomes, channel) for channel in channels},
            "csrf_token": csrf_token(context),
            "today_url": today_url,
            # an item's outcome brings the SDR back to the day shown (a manager's view of it)
            "own_url": today_url + (f"?sdr={owner.pk}" if owner != context["user"] else ""),
            "detail": url_pattern("leads:detail"),
            "edit": url_pattern("leads:edit"),
            "complete": url_pattern("cadences:complete"),
            "skip": url_pattern("cadences:skip"),
            "release": url_pattern("cadences:release"),
            "settle": url_pattern("cadences:settle"),
            "scrap": url_pattern("cadences:scrap"),
            "override": url_pattern("cadences:override"),
            # Only its owner can reconnect a mailbox: the link is on their own day.
            "mailbox_page": reverse("mailboxes:mine") if owner == context["user"] else "",
            "texts": {
                "try_again": _("Try again"),
                "your_mailbox": _("Your mailbox"),
                "was_sent": _("It was sent"),
                "send_again": _("Send it again"),
                "not_sent": _("It was not sent"),
                "scrap": _("Scrap"),
                "override": _("Override and send"),
                "call": _("Call"),
                "no_phone": _("No phone number recorded."),
                "script": _("Script"),
                "linkedin_profile": _("Open the LinkedIn profile"),
                "new_tab": _("(opens in a new tab)"),
                "no_linkedin": _("No LinkedIn profile recorded."),
                # formatted in the partial (make messages misses _() with arguments in {{ }})
                "step": _("%(cadence)s, step %(n)s"),
                "score": _("score %(n)s"),
            },
            "reminder_done": url_pattern("cadences:reminder_done"),
            "tel_href": contact_links.tel_href,
            "linkedin_href": contact_links.linkedin_href,
            **dates(),
        },
    )
