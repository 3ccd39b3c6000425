"""The score card and hand-off card, written in Python. (The lead page's qualification panel
is in qualification/panels.py.)"""

from django import template
from django.template.defaultfilters import floatformat
from django.template.loader import get_template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from leads.fields import http_url
from leads.templatetags.leads_extras import timeline_entries
from sdrcrm.fasthtml import csrf_input, escape, text, url_pattern

register = template.Library()


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


def _when(value) -> str:
    """``{{ value|date:"D j M H:i" }}`` in the current time zone."""
    return escape(date_format(timezone.localtime(value), "D j M H:i")) if value else ""


@register.simple_tag(takes_context=True)
def handoff_card(context, entry, ae_view=False):
    """One hand-off of the AE queue (``ae_view``: with its history and the accept and reject
    buttons) or of the team's hand-offs page: brief, research, score, estimate.

    Written in Python like the long lists (docs/performance.md): nine cards through the template
    engine took ~9 ms of the AE queue. Every value is escaped."""
    lead = entry.lead
    prospect = lead.prospect
    company = prospect.company
    pk = int(lead.pk)
    detail = url_pattern("leads:detail").format(pk)
    out = [
        f'\n<article class="card handoff{" overdue" if entry.overdue else ""}" '
        f'id="handoff-{pk}" aria-labelledby="handoff-{pk}-h">\n'
        '  <header class="handoff-head">\n'
        f'    <h2 class="h3" id="handoff-{pk}-h"><a href="{detail}">'
        f"{escape(prospect.full_name)}</a>\n"
        f'      <span class="muted small">{escape(prospect.title or "Title unknown")}'
        f"{f' at {escape(company.name)}' if company else ''}</span></h2>\n"
        f'    <p class="muted small">From {escape(lead.owner or "the pool")} · handed off '
        f"{_when(lead.handed_off_at)} · waiting {escape(floatformat(entry.waiting_hours, 1))} "
        "business hours\n      "
    ]
    if entry.escalation:
        out.append(
            '<span class="badge tag-overdue">Escalated '
            f"{_when(entry.escalation.escalated_at)}</span>"
        )
    elif entry.overdue:
        out.append(f'<span class="badge tag-overdue">Overdue since {_when(entry.due_at)}</span>')
    else:
        out.append(f'<span class="muted">· decide by {_when(entry.due_at)}</span>')
    decision = entry.decision
    override = ""
    if decision and decision.override:
        override = (
            '<p class="small override"><strong>Override — '
            f"{escape(str(decision.get_override_display()).lower())}</strong> by "
            f"{text(decision.actor)}: {text(decision.override_reason)}</p>"
        )
    if prospect.email:
        email = escape(prospect.email)
        email = f'<a href="mailto:{email}">{email}</a>'
    else:
        email = "—"
    role = escape(prospect.get_role_display() or "Unknown")
    if prospect.is_decision_maker:
        role += " · decision maker"
    facts = ""
    if company:
        site = ""
        href = http_url(company.website)  # a link only to http(s), whatever the row holds
        if href:
            site = (
                f' · <a href="{escape(href)}" rel="noopener noreferrer" '
                f'target="_blank">{escape(company.domain or href)}</a>'
            )
        elif company.website:
            site = f" · {escape(company.domain or company.website)}"
        size = "?" if company.employee_count is None else text(company.employee_count)
        facts = (
            f"<dt>Company</dt><dd>{escape(company.name)}{site}</dd>\n"
            f"        <dt>Size, industry</dt><dd>{size} employees · "
            f"{escape(company.industry or 'industry unknown')}</dd>"
        )
    checklist = " · ".join(
        f'<span class="chk{" done" if done else ""}">{"✓" if done else "✗"} {escape(label)}</span>'
        for _name, label, done in lead.checklist
    )
    estimate = get_template("qualification/_estimate.html").render({"estimate": entry.estimate})
    out.append(
        "</p>\n"
        "  </header>\n"
        '  <div class="handoff-body">\n'
        "    <div>\n"
        '      <h3 class="h4">Brief</h3>\n'
        f'      <p class="prewrap brief">{escape(lead.handoff_brief or "No brief was written.")}'
        "</p>\n"
        f"      {override}\n"
        '      <h3 class="h4">Research</h3>\n'
        '      <dl class="facts">\n'
        f"        <dt>Email</dt><dd>{email}</dd>\n"
        f"        <dt>Phone</dt><dd>{escape(prospect.phone or '—')}</dd>\n"
        f"        <dt>Buying role</dt><dd>{role}</dd>\n"
        f"        {facts}\n"
        f"        <dt>Checklist</dt><dd>{checklist}</dd>\n"
        "      </dl>\n"
        "    </div>\n"
        "    <div>\n"
        f"      {score_card(context, result=entry.result, score_for=pk)}\n"
        f"      {estimate}\n"
        "    </div>\n"
        "  </div>\n  "
    )
    if ae_view:
        timeline, limit = lead.timeline, int(context.get("history_limit") or 0)
        n = len(timeline)
        if n >= limit:
            summary = f"History: the latest {limit} events"
            older = (
                f'<p class="small">Older events: <a href="{detail}#timeline">all on the lead\'s '
                "page</a>.</p>"
            )
        else:
            summary, older = f"Full history ({n} event{'' if n == 1 else 's'})", ""
        csrf = csrf_input(context)
        out.append(
            '\n  <details class="history">\n'
            f"    <summary>{summary}</summary>\n"
            f"    {older}\n"
            '    <ol class="timeline">\n'
            f"    {timeline_entries(timeline)}\n"
            "    </ol>\n"
            "  </details>\n"
            '  <div class="actions handoff-actions">\n'
            f'    <form method="post" action="{url_pattern("qualification:accept").format(pk)}">'
            f'{csrf}<button type="submit" class="primary">Accept</button></form>\n'
            '    <details class="transition">\n'
            '      <summary class="button danger">Reject…</summary>\n'
            f'      <form method="post" action="{url_pattern("qualification:reject").format(pk)}"'
            ' class="transition-form">\n'
            f"        {csrf}\n"
            f'        <div class="field"><label for="reject-{pk}">Why are you rejecting it? '
            "The SDR reads this.</label>\n"
            f'          <textarea id="reject-{pk}" name="reason" rows="2" required></textarea>'
            "</div>\n"
            '        <button type="submit" class="danger-solid">Reject and return to the SDR'
            "</button>\n"
            "      </form>\n"
            "    </details>\n"
            "  </div>\n  "
        )
    else:
        out.append(f'\n  <p class="small">AE: <strong>{text(lead.assigned_ae)}</strong></p>\n  ')
    out.append("\n</article>\n\n")
    return mark_safe("".join(out))  # noqa: S308  every value above is escaped
