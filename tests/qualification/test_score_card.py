"""qualification_tags.score_card writes the score and its breakdown in Python (the lead page's
panel, the qualify page and its preview, each AE queue card): its exact HTML, every value
escaped."""

from types import SimpleNamespace

from django.template import Context, engines

from qualification.scoring import Disqualifier, FactorResult, ScoreResult
from qualification.templatetags.qualification_tags import score_card

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
