"""The qualification panel on the lead page. ``leads`` does not import ``qualification``: its
template loads this tag, which runs three queries (score and answers, the team's model, the
team's outcome counts) whatever the lead."""

from django import template
from django.utils.safestring import mark_safe

from sdrcrm.fasthtml import escape

from ..selectors import lead_panel

register = template.Library()


@register.inclusion_tag("qualification/_lead_panel.html", takes_context=True)
def qualification_panel(context, lead):
    user = context["request"].user
    panel = lead_panel(lead=lead, user=user)
    panel["is_manager"] = user.is_manager or user.is_admin_role
    return panel


@register.simple_tag(takes_context=True)
def score_card(context, **given):
    """A score and its breakdown (templates/qualification/_score.html): the lead page's panel,
    the qualify page and its live preview, and each card of the AE queue (nine on a page).

    Written in Python like the long lists (docs/performance.md): through the template engine
    a card took ~0.5 ms. Reads ``result``, ``model``, ``is_manager`` and ``score_for`` from the
    context, or from the tag's arguments. Every value is escaped."""
    get = lambda name: given[name] if name in given else context.get(name)  # noqa: E731
    result, model, score_for = get("result"), get("model"), get("score_for")
    points = int(result.points)
    version = getattr(model, "version", None)
    the_id = (
        f'id="score-{escape(score_for)}"' if score_for else 'id="score-preview" aria-live="polite"'
    )
    out = [
        f'<div class="score-card verdict-{escape(result.verdict)}" {the_id}>\n'
        '  <div class="score-head">\n'
        f'    <span class="score-number" data-score="{int(result.score)}">{int(result.score)}'
        "</span>\n"
        "    <div>\n"
        f'      <span class="badge verdict">{escape(result.verdict_label)}</span>\n'
        f'      <p class="muted small">Qualified from {int(result.threshold)} · {points} '
        f"point{'' if points == 1 else 's'}"
        + (f" · model v{escape(version)}" if version else " · default model")
        + "</p>\n    </div>\n  </div>\n  "
    ]
    if result.disqualifiers:
        items = "".join(
            f"<li><strong>Scrap:</strong> {escape(d.explanation)}</li>"
            for d in result.disqualifiers
        )
        who = (
            "A manager can still qualify it, with a reason."
            if get("is_manager")
            else "Only a manager can qualify a lead with a hard disqualifier."
        )
        out.append(
            f'\n  <ul class="disqualifiers">\n    {items}\n  </ul>\n'
            f'  <p class="small muted">{who}</p>\n  '
        )
    out.append('\n  <ul class="breakdown">\n    ')
    for f in result.factors:
        css = "" if f.known else " unknown"
        css += " plus" if f.points > 0 else " minus" if f.points < 0 else ""
        out.append(
            f'\n    <li class="factor{css}" data-factor="{escape(f.factor)}">\n'
            f'      <span class="factor-label">{escape(f.label)}</span> '
            f'<span class="factor-text">{escape(f.explanation)}</span>\n'
            "    </li>\n    "
        )
    out.append("\n  </ul>\n</div>\n")
    return mark_safe("".join(out))  # noqa: S308  every value above is escaped
