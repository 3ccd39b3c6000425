"""The Jinja2 partials: the long lists and cards that a page repeats many times (the lead list's
rows, the timeline, the Today queue, the score and hand-off cards), in partials/ with
autoescaping on. The pages stay Django templates; a template tag gathers the partial's values
and renders it with ``render_partial`` (docs/architecture.md, "Templates").

Why two engines: 50 lead rows take ~2 ms in Jinja2 and ~10 ms in a Django template loop
(docs/performance.md). Every value printed in a partial is escaped unless it is already safe
(``__html__``: Django's SafeString, Jinja2's Markup), as in a Django template.

Also here: lookups a partial uses many times, made once per render (labels, month names, a
URL pattern reversed once for a whole list)."""

from __future__ import annotations

from django.template import engines
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext, ngettext
from jinja2 import Environment, StrictUndefined

from .money import format_amount, format_money

_ID = 918273645546372819  # stands for the object's id while the URL is reversed


def environment(**options) -> Environment:
    """The Jinja2 environment of settings.TEMPLATES (``OPTIONS["environment"]``). Django's
    backend has set autoescaping and the loader of partials/; a name the context lacks is an
    error (StrictUndefined), not an empty string, and a block tag's own line break is dropped."""
    options.update(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    # Translation as in Django templates: {{ _("Due today") }}, {{ _("%(n)s leads", n=n) }}
    # (autoescaped, the active language). `make messages` extracts _("...") from partials/.
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.filters.update(date=_date, floatformat=floatformat, money=format_money,
                       amount=format_amount)  # fmt: skip
    return env


def _date(value, fmt: str) -> str:
    """Django's ``date`` filter: the value in the current time zone, formatted; '' for None."""
    return date_format(template_localtime(value), fmt) if value else ""


def render_partial(template_name: str, context: dict) -> SafeString:
    """``template_name`` (in partials/) rendered with ``context`` alone (no context processors:
    a partial gets what it prints), as HTML a Django template includes as it is."""
    html = engines["jinja2"].env.get_template(template_name).render(context)
    return mark_safe(html)  # noqa: S308 - the output of an autoescaping template


def csrf_token(context) -> str:
    """The CSRF token of a Django template context, or '' (what ``{% csrf_token %}`` reads: the
    csrf context processor says "NOTPROVIDED" when the request has none)."""
    token = context.get("csrf_token")
    return "" if not token or token == "NOTPROVIDED" else str(token)


def url_pattern(name: str) -> str:
    """``reverse(name, args=[id])`` as a ``str.format`` pattern: one reverse for a whole list."""
    return reverse(name, args=[_ID]).replace(str(_ID), "{}")


def labels(choices) -> dict[str, str]:
    """The display labels of a TextChoices class, by value (in the current language)."""
    return {c.value: str(c.label) for c in choices}


def months() -> dict[int, str]:
    """What the date filter's ``M`` gives: 'Jan' … 'Dec' (translated)."""
    return {m: str(name).title() for m, name in MONTHS_3.items()}


def weekdays() -> dict[int, str]:
    """What the date filter's ``D`` gives, by ``weekday()``: 'Mon' … 'Sun' (translated)."""
    return {d: str(name) for d, name in WEEKDAYS_ABBR.items()}


def dates() -> dict:
    """What a partial needs to print local dates quickly: the current time zone, and the
    month and weekday abbreviations."""
    return {"tz": timezone.get_current_timezone(), "months": months(), "weekdays": weekdays()}
