from django import template

from ..models import TaskOutcome

register = template.Library()


@register.filter
def outcomes_for(outcomes: dict, channel: str) -> list[tuple[str, str]]:
    """The one-click outcomes of a manual touch on ``channel``, as (value, label)."""
    return [(o.value, TaskOutcome(o).label) for o in outcomes.get(channel, [TaskOutcome.DONE])]
