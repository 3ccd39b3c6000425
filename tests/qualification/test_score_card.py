"""qualification_tags.score_card and handoff_card write the score with its breakdown (the lead
page's panel, the qualify page and its preview, each hand-off) and the hand-off cards of the AE
queue and the hand-offs page in Python: their exact HTML, every value escaped."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.template import Context, engines

from qualification.scoring import Disqualifier, FactorResult, ScoreResult
from qualification.templatetags.qualification_tags import handoff_card, score_card

NASTY = "<b>\"Tom\" & 'Jerry'</b>"
NASTY_ESCAPED = "&lt;b&gt;&quot;Tom&quot; &amp; &#x27;Jerry&#x27;&lt;/b&gt;"


def _result(**kw):
    fields = {
        "points": 55,
        "score": 72,
        "threshold": 60,
        "factors": (
            FactorResult("size", "51-200", 20, "51–200 employees: +20"),
            FactorResult("budget", "", 0, NASTY),
            FactorResult("fit", "poor", -10, "Poor fit: -10"),
        ),
        "disqualifiers": (),
    }
    return ScoreResult(**{**fields, **kw})


def test_a_qualified_score_with_its_breakdown_exactly():
    html = score_card(Context({"result": _result(), "model": SimpleNamespace(version=3)}))

    assert html == (
        '<div class="score-card verdict-qualified" id="score-preview" aria-live="polite">\n'
        '  <div class="score-head">\n'
        '    <span class="score-number" data-score="72">72</span>\n'
        "    <div>\n"
        '      <span class="badge verdict">Qualified</span>\n'
        '      <p class="muted small">Qualified from 60 · 55 points · model v3</p>\n'
        "    </div>\n"
        "  </div>\n"
        "  \n"
        '  <ul class="breakdown">\n'
        "    \n"
        '    <li class="factor plus" data-factor="size">\n'
        '      <span class="factor-label">Company size</span> '
        '<span class="factor-text">51–200 employees: +20</span>\n'
        "    </li>\n"
        "    \n"
        '    <li class="factor unknown" data-factor="budget">\n'
        f'      <span class="factor-label">Budget</span> <span class="factor-text">{NASTY_ESCAPED}'
        "</span>\n"
        "    </li>\n"
        "    \n"
        '    <li class="factor minus" data-factor="fit">\n'
        '      <span class="factor-label">Fit</span> '
        '<span class="factor-text">Poor fit: -10</span>\n'
        "    </li>\n"
        "    \n"
        "  </ul>\n"
        "</div>\n"
    )


def test_disqualifiers_who_may_override_and_the_card_id():
    result = _result(points=1, score=1, disqualifiers=(Disqualifier("competitor", NASTY),))

    for_sdr = score_card(Context({"result": result, "is_manager": False}), score_for=41)
    for_manager = score_card(Context({"result": result, "is_manager": True}))

    assert for_sdr.startswith('<div class="score-card verdict-disqualified" id="score-41">')
    assert "aria-live" not in for_sdr
    assert "Qualified from 60 · 1 point · default model</p>" in for_sdr
    assert (
        f'<ul class="disqualifiers">\n    <li><strong>Scrap:</strong> {NASTY_ESCAPED}</li>\n'
        "  </ul>\n"
        '  <p class="small muted">Only a manager can qualify a lead with a hard disqualifier.</p>'
    ) in for_sdr
    assert '<p class="small muted">A manager can still qualify it, with a reason.</p>' in (
        for_manager
    )
    assert "Only a manager" not in for_manager
    assert '<span class="badge verdict">Hard disqualifier</span>' in for_manager


def test_the_preview_template_renders_the_tag():
    """qualification/_score.html (the qualify page's live preview) is the tag, nothing more."""
    template = engines["django"].get_template("qualification/_score.html")
    context = {"result": _result(score=10), "model": SimpleNamespace(version=0)}

    assert template.render(context) == score_card(Context(context))
    assert "verdict-below_threshold" in template.render(context)


class _Name:
    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name


def _entry(**kw):
    at = datetime(2026, 3, 19, 7, 0, tzinfo=UTC)  # 08:00 in Oslo
    prospect = SimpleNamespace(
        full_name=NASTY, title="", company=None, email="", phone="",
        get_role_display=lambda: "", is_decision_maker=True,
    )  # fmt: skip
    lead = SimpleNamespace(
        pk=7, prospect=prospect, owner=None, handed_off_at=at, handoff_brief=NASTY,
        checklist=[("role_known", "Role known", True), ("need", "Need understood", False)],
        timeline=[], assigned_ae=_Name("Anders & co"),
    )  # fmt: skip
    estimate = SimpleNamespace(enough=False, outcomes=3, needed=20)
    fields = dict(
        lead=lead, overdue=True, escalation=None, waiting_hours=12.345, due_at=at,
        decision=SimpleNamespace(
            override="below_threshold", get_override_display=lambda: "Qualified BELOW",
            actor=_Name("Mona <M>"), override_reason=NASTY,
        ),
        result=_result(), estimate=estimate,
    )  # fmt: skip
    return SimpleNamespace(**{**fields, **kw})


@pytest.mark.django_db
def test_a_hand_off_card_exactly_where_it_varies(settings):
    settings.TIME_ZONE = "Europe/Oslo"
    entry = _entry()
    context = Context({"csrf_token": "tok<en>", "history_limit": 10})

    card = handoff_card(context, entry, ae_view=True)

    assert card.startswith(
        '\n<article class="card handoff overdue" id="handoff-7" aria-labelledby="handoff-7-h">\n'
        '  <header class="handoff-head">\n'
        f'    <h2 class="h3" id="handoff-7-h"><a href="/leads/7/">{NASTY_ESCAPED}</a>\n'
        '      <span class="muted small">Title unknown</span></h2>\n'
        '    <p class="muted small">From the pool · handed off Thu 19 Mar 08:00 · waiting 12.3 '
        "business hours\n"
        '      <span class="badge tag-overdue">Overdue since Thu 19 Mar 08:00</span></p>\n'
    )
    assert f'<p class="prewrap brief">{NASTY_ESCAPED}</p>' in card
    assert (
        '<p class="small override"><strong>Override — qualified below</strong> by Mona &lt;M&gt;: '
        f"{NASTY_ESCAPED}</p>"
    ) in card
    assert "<dt>Email</dt><dd>—</dd>\n        <dt>Phone</dt><dd>—</dd>\n" in card
    assert "<dt>Buying role</dt><dd>Unknown · decision maker</dd>\n        \n" in card  # no company
    assert (
        '<dd><span class="chk done">✓ Role known</span> · <span class="chk">✗ Need understood'
        "</span></dd>"
    ) in card
    assert 'id="score-7"' in card and "Appears once the team has 20 outcomes" in card
    assert "<summary>Full history (0 events)</summary>" in card
    token = '<input type="hidden" name="csrfmiddlewaretoken" value="tok&lt;en&gt;">'
    assert f'<form method="post" action="/qualification/leads/7/accept/">{token}' in card
    assert f'action="/qualification/leads/7/reject/" class="transition-form">\n        {token}' in (
        card
    )
    assert card.endswith("  </div>\n  \n</article>\n\n")

    escalated = _entry(escalation=SimpleNamespace(escalated_at=entry.due_at), overdue=False)
    for_manager = handoff_card(Context({}), escalated)

    assert '<span class="badge tag-overdue">Escalated Thu 19 Mar 08:00</span></p>' in for_manager
    assert '<p class="small">AE: <strong>Anders &amp; co</strong></p>' in for_manager
    assert "csrfmiddlewaretoken" not in for_manager and "<details" not in for_manager
