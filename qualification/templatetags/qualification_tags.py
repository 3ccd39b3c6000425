"""The score, estimate and hand-off cards: Jinja2 partials in partials/qualification/
(sdrcrm/partials.py). (The lead page's qualification panel is in qualification/panels.py.)"""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leads.contact_links import tel_href
from leads.fields import http_url
from leads.templatetags.leads_extras import timeline_context
from sdrcrm.partials import csrf_token, render_partial, url_pattern

register = template.Library()


def _texts() -> dict:
    """The partials' texts with placeholders, translated here: ``make messages`` reads a
    partial with Django's template lexer, which misses ``_("…", n=n)`` (docs/i18n.md). A
    partial formats them: ``texts.qualified_from|format(threshold=…)``."""
    return {
        "qualified_from": _("Qualified from %(threshold)s"),
        # A count's words: ``texts.points(n)``.
        "points": lambda n: ngettext("%(num)s point", "%(num)s points", n) % {"num": n},
        "basis": _(
            "— naive Bayes over this team's %(outcomes)s past outcomes (%(positives)s "
            "accepted, %(negatives)s scrapped or rejected)"
        ),
        "appears": _(
            "Appears once the team has %(needed)s outcomes (accepted, scrapped or rejected "
            "leads, at least 5 of each kind); it has %(outcomes)s so far."
        ),
        "at_company": _("at %(company)s"),
        "waiting": _("waiting %(hours)s business hours"),
        "override": _("Override — %(override)s"),
        "by": _("by %(actor)s:"),
        "employees": _("%(n)s employees"),
        "latest": _("History: the latest %(n)s events"),
        "full_history": lambda n: (
            ngettext("Full history (%(num)s event)", "Full history (%(num)s events)", n)
            % {"num": n}
        ),
    }


def _score_context(context, given: dict) -> dict:
    get = lambda name: given[name] if name in given else context.get(name)  # noqa: E731
    return {
        "texts": _texts(),
        "result": get("result"),
        "version": getattr(get("model"), "version", None),
        "score_for": get("score_for"),
        "is_manager": bool(get("is_manager")),
    }


@register.simple_tag(takes_context=True)
def score_card(context, **given):
    """A score and its breakdown (partials/qualification/_score_card.jinja): the lead page's
    panel, the qualify page and its live preview (templates/qualification/_score.html). Reads
    ``result``, ``model``, ``is_manager`` and ``score_for`` from the tag's arguments, or else
    from the context."""
    return render_partial("qualification/_score_card.jinja", _score_context(context, given))


@register.simple_tag
def estimate_card(estimate):
    """The learned estimate (partials/qualification/_estimate.jinja), as each hand-off card
    shows it."""
    return render_partial(
        "qualification/_estimate.jinja", {"estimate": estimate, "texts": _texts()}
    )


@register.simple_tag(takes_context=True)
def handoff_card(context, entry, ae_view=False):
    """One hand-off of the AE queue (``ae_view``: with its history and the accept and reject
    buttons) or of the team's hand-offs page (partials/qualification/_handoff_card.jinja).
    A Jinja2 partial: nine cards as Django templates took ~9 ms of the AE queue."""
    return render_partial(
        "qualification/_handoff_card.jinja",
        {
            **_score_context(context, {}),
            **(timeline_context() if ae_view else {}),
            "entry": entry,
            "ae_view": ae_view,
            "history_limit": int(context.get("history_limit") or 0),
            "csrf_token": csrf_token(context),
            "http_url": http_url,  # a link only to http(s), whatever the row holds
            "tel_href": tel_href,
            "detail_url": url_pattern("leads:detail"),
            "accept_url": url_pattern("qualification:accept"),
            "reject_url": url_pattern("qualification:reject"),
            "reject_choices": context.get("reject_choices") or (),
            # The partial's words, translated here (the Jinja2 environment has no gettext).
            "reject_words": {
                "reason": _("Reason"),
                "text": _("In your words, for the SDR (required for “Other”)"),
            },
        },
    )
