from django import template

from leads.models import CallOutcome, DisqualifyReason, LeadState

register = template.Library()


def _label(choices, value) -> str:
    try:
        return choices(value).label
    except ValueError:
        return str(value or "")


@register.filter
def state_label(value) -> str:
    """'handed_off' -> 'Handed off'."""
    return _label(LeadState, value)


@register.filter
def disqualify_label(value) -> str:
    return _label(DisqualifyReason, value)


@register.filter
def call_outcome_label(value) -> str:
    return _label(CallOutcome, value)
