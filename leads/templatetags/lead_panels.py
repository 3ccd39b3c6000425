"""``{% panels slot arg... %}``: the panels other apps registered at a slot (leads/panels.py),
each rendered with its own template and context, as an inclusion tag would."""

from django import template
from django.utils.safestring import mark_safe

from ..panels import panels_at

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, slot, *args):
    out = []
    for panel in panels_at(slot):
        data = panel.context(context, *args)
        if data is None:
            continue
        new_context = context.new(data)
        csrf_token = context.get("csrf_token")
        if csrf_token is not None:
            new_context["csrf_token"] = csrf_token
        out.append(context.template.engine.get_template(panel.template_name).render(new_context))
    return mark_safe("\n".join(out))  # noqa: S308  each part is a rendered template
