"""A first draft of the hand-off brief from what the SDR found out (budget, timeline,
authority, need): the qualification form starts from it and the SDR edits it. Pure: the
answers' facts in, one sentence per brief field out ('' where nothing is known yet, and
always for the next step, which only the SDR can say). In the current language (gettext).

The form never puts a draft over a brief the SDR wrote (qualification.views, ``_brief_initial``).
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .scoring import Authority, LeadFacts, Need, Timeline, effective_authority


def _need(value: str) -> str:
    return {
        Need.CONFIRMED: _("Need confirmed by the prospect."),
        Need.POSSIBLE: _("Possible need, not confirmed yet."),
        Need.NONE: _("No need stated."),
    }.get(value, "")


def _budget(value: int | None) -> str:
    if value is None:
        return ""
    return _("Stated budget: %(amount)s a year.") % {
        "amount": number_format(value, decimal_pos=0, force_grouping=True)
    }


def _timeline(value: str) -> str:
    return {
        Timeline.THIS_MONTH: _("Wants to start this month."),
        Timeline.THIS_QUARTER: _("Wants to start this quarter."),
        Timeline.THIS_YEAR: _("Wants to start this year."),
        Timeline.NONE: _("No timeline yet."),
    }.get(value, "")


def _authority(facts: LeadFacts, who: str) -> str:
    authority, derived = effective_authority(facts)
    texts = {
        Authority.DECISION_MAKER: _("%(who)s is the decision maker."),
        Authority.INFLUENCER: _("%(who)s influences the decision."),
        Authority.NONE: _("%(who)s does not decide; the decision maker is still to be found."),
    }
    text = texts.get(authority)
    if text is None:
        return ""
    text = text % {"who": who}
    return text + " " + _("(From the prospect's role.)") if derived else text


def brief_draft(facts: LeadFacts, *, who: str) -> dict[str, str]:
    """The draft of each brief field (``services.BRIEF_FIELDS``' names) from ``facts``
    (``scoring.lead_facts``); ``who`` names the contact ('Kari Nordmann, CFO')."""
    return {
        "need": _need(facts.need),
        "budget": _budget(facts.budget),
        "timeline": _timeline(facts.timeline),
        "decision_maker": _authority(facts, who or _("Our contact")),
        "next_step": "",
    }
