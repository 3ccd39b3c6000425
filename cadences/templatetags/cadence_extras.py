from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from sdrcrm.fasthtml import csrf_input, escape, months, url_pattern, weekdays

from ..models import TaskOutcome

register = template.Library()


@register.filter
def outcomes_for(outcomes: dict, channel: str) -> list[tuple[str, str]]:
    """The one-click outcomes of a manual touch on ``channel``, as (value, label)."""
    return [(o.value, TaskOutcome(o).label) for o in outcomes.get(channel, [TaskOutcome.DONE])]


@register.simple_tag(takes_context=True)
def today_items(context, items, outcomes, owner):
    """The ``<li>`` of each item of the Today queue (templates/cadences/today.html).

    Written in Python: an item with its outcome buttons cost ~0.5 ms through the template
    engine, and a queue holds 70 (docs/performance.md). Every value is escaped."""
    user = context["user"]
    csrf = csrf_input(context)
    today_url = escape(reverse("today"))
    back = f'<input type="hidden" name="next" value="{today_url}">'
    own = today_url + (f"?sdr={int(owner.pk)}" if owner != user else "")
    back_own = f'<input type="hidden" name="next" value="{own}">'
    detail, edit = url_pattern("leads:detail"), url_pattern("leads:edit")
    complete, skip = url_pattern("cadences:complete"), url_pattern("cadences:skip")
    release, reminder_done = url_pattern("cadences:release"), url_pattern("cadences:reminder_done")
    tz = timezone.get_current_timezone()
    month, days = months(), weekdays()
    choices = {}
    out = []
    for item in items:
        lead, obj, kind = item.lead, item.obj, item.kind
        at = timezone.localtime(item.due_at, tz)
        due = f"due {days[at.weekday()]} {at.day} {month[at.month]} {at:%H:%M}"
        what = '<span class="badge tag-overdue">Overdue</span> ' if item.overdue else ""
        what += f'{escape(item.label)} · <a href="{detail.format(int(lead.pk))}">'
        what += f"{escape(item.lead_name)}</a>"
        if company := item.company:
            what += f' <span class="muted">({escape(company)})</span>'
        if kind == "reminder":
            info = due
        else:
            info = f"{escape(obj.enrollment.cadence.name)}, step {int(obj.position)} · {due}"
        if lead.score is not None:
            info += f" · score {int(lead.score)}"
        phone = lead.prospect.phone
        if phone and kind == "touch":
            info += f' · <a href="tel:{escape(phone)}">{escape(phone)}</a>'
        instructions = ""
        if kind == "touch" and obj.instructions:
            instructions = f'<p class="instructions prewrap">{escape(obj.instructions)}</p>'
        if kind == "touch":
            if obj.channel not in choices:
                choices[obj.channel] = outcomes_for(outcomes, obj.channel)
            action = complete.format(int(obj.pk))
            actions = "".join(
                f'<form method="post" action="{action}">{csrf}'
                f'<input type="hidden" name="outcome" value="{escape(value)}">{back_own}'
                f'<button type="submit" class="{"primary" if i == 0 else ""}" '
                f'data-outcome="{escape(value)}">{escape(label)}</button></form>'
                for i, (value, label) in enumerate(choices[obj.channel])
            )
            actions += (
                f'<form method="post" action="{skip.format(int(obj.pk))}">{csrf}{back}'
                '<button type="submit" class="link">Skip</button></form>'
            )
        elif kind == "held":
            actions = (
                f'<a class="button" href="{edit.format(int(lead.pk))}">Fix the lead</a>'
                f'<form method="post" action="{release.format(int(obj.pk))}">{csrf}{back}'
                '<button type="submit" class="primary">Send now</button></form>'
            )
        else:
            actions = (
                f'<form method="post" action="{reminder_done.format(int(obj.pk))}">{csrf}{back}'
                '<button type="submit" class="primary">Done</button></form>'
            )
        out.append(
            f'<li class="queue-item{" overdue" if item.overdue else ""}" '
            f'data-kind="{escape(kind)}"><div><div class="what">{what}</div>'
            f'<div class="muted small">{info}</div>{instructions}</div>'
            f'<div class="queue-actions">{actions}</div></li>'
        )
    return mark_safe("\n".join(out))  # noqa: S308  every value above is escaped
