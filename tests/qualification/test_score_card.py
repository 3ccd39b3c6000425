"""qualification_tags.score_card and handoff_card render the score with its breakdown (the lead
page's panel, the qualify page and its preview, each hand-off) and the hand-off cards of the AE
queue and the hand-offs page (partials/qualification/): what each element says, every value
escaped."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.template import Context, engines

from qualification.scoring import Disqualifier, FactorResult, ScoreResult
from qualification.templatetags.qualification_tags import handoff_card, score_card
from tests.html import parse

NASTY = "<b>\"Tom\" & 'Jerry'</b>"


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


def test_a_qualified_score_with_its_breakdown():
    card = parse(score_card(Context({"result": _result(), "model": SimpleNamespace(version=3)})))

    (div,) = card.elements
    assert div.attrs == {
        "class": "score-card verdict-qualified", "id": "score-preview", "aria-live": "polite",
    }  # fmt: skip
    number = div.one("span", class_="score-number")
    assert (number["data-score"], number.text) == ("72", "72")
    assert div.one("span", class_="verdict").text == "Qualified"
    assert div.one("p", class_="muted").text == "Qualified from 60 · 55 points · model v3"
    assert div.find_all("ul", class_="disqualifiers") == []
    factors = div.one("ul", class_="breakdown").find_all("li")
    assert [(f.classes, f["data-factor"]) for f in factors] == [
        (["factor", "plus"], "size"), (["factor", "unknown"], "budget"),
        (["factor", "minus"], "fit"),
    ]  # fmt: skip
    assert [
        (f.one("span", class_="factor-label").text, f.one("span", class_="factor-text").text)
        for f in factors
    ] == [
        ("Company size", "51–200 employees: +20"), ("Budget", NASTY), ("Fit", "Poor fit: -10"),
    ]  # fmt: skip
    assert div.find_all("b") == []  # escaped, not markup


def test_disqualifiers_who_may_override_and_the_card_id():
    result = _result(points=1, score=1, disqualifiers=(Disqualifier("competitor", NASTY),))

    for_sdr = parse(score_card(Context({"result": result, "is_manager": False}), score_for=41))
    for_manager = parse(score_card(Context({"result": result, "is_manager": True})))

    (card,) = for_sdr.elements
    assert card.attrs == {"class": "score-card verdict-disqualified", "id": "score-41"}
    assert card.one("div", class_="score-head").one("p").text == (
        "Qualified from 60 · 1 point · default model"
    )
    (scrap,) = card.one("ul", class_="disqualifiers").find_all("li")
    assert scrap.text == f"Scrap: {NASTY}" and scrap.find_all("b") == []
    assert card.find_all("p", class_="small")[-1].text == (
        "Only a manager can qualify a lead with a hard disqualifier."
    )
    (card,) = for_manager.elements
    assert card["id"] == "score-preview"
    assert card.find_all("p", class_="small")[-1].text == (
        "A manager can still qualify it, with a reason."
    )
    assert card.one("span", class_="verdict").text == "Hard disqualifier"


def test_the_preview_template_renders_the_tag():
    """qualification/_score.html (the qualify page's live preview) is the tag, nothing more."""
    template = engines["django"].get_template("qualification/_score.html")
    context = {"result": _result(score=10), "model": SimpleNamespace(version=0)}

    assert template.render(context) == score_card(Context(context))
    assert parse(template.render(context)).find("div")["class"] == (
        "score-card verdict-below_threshold"
    )


class _Name:
    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name


def _entry(**kw):
    at = datetime(2026, 3, 19, 7, 0, tzinfo=UTC)  # 08:00 in Oslo
    prospect = SimpleNamespace(
        full_name=NASTY, title="", company=None, email="", phone="",
        get_role_display=lambda: "",
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
def test_a_hand_off_card_for_the_ae(settings):
    settings.TIME_ZONE = "Europe/Oslo"
    entry = _entry()
    context = Context(
        {
            "csrf_token": "tok<en>",
            "history_limit": 10,
            "reject_choices": [("", "Choose a reason"), ("bad_timing", "<Bad> timing")],
        }
    )

    (card,) = parse(handoff_card(context, entry, ae_view=True)).elements

    assert card.tag == "article"
    assert card.attrs == {
        "class": "card handoff overdue", "id": "handoff-7", "aria-labelledby": "handoff-7-h",
    }  # fmt: skip
    heading = card.one("h2")
    assert (heading["id"], heading.one("a")["href"], heading.one("a").text) == (
        "handoff-7-h", "/leads/7/", NASTY,
    )  # fmt: skip
    assert heading.one("span").text == "Title unknown"
    assert card.one("header").one("p").text == (
        "From the pool · handed off Thu 19 Mar 08:00 · waiting 12.3 business hours "
        "Overdue since Thu 19 Mar 08:00"
    )
    assert card.one("header").one("span", class_="badge").classes == ["badge", "tag-overdue"]
    assert card.one("p", class_="brief").text == NASTY
    assert card.one("p", class_="override").text == (
        f"Override — qualified below by Mona <M>: {NASTY}"
    )
    facts = card.one("dl", class_="facts")
    pairs = zip(facts.find_all("dt"), facts.find_all("dd"), strict=True)
    assert [(dt.text, dd.text) for dt, dd in pairs] == [
        ("Email", "—"), ("Phone", "—"), ("Buying role", "Unknown"),
        ("Checklist", "✓ Role known · ✗ Need understood"),
    ]  # fmt: skip  (no company: no company facts)
    assert [c.classes for c in facts.find_all("span")] == [["chk", "done"], ["chk"]]
    assert card.one("div", class_="score-card")["id"] == "score-7"
    assert card.one("div", class_="estimate").one("p").text.startswith(
        "Appears once the team has 20 outcomes"
    )
    assert card.one("details", class_="history").one("summary").text == "Full history (0 events)"
    accept, reject = card.find_all("form")
    assert (accept["method"], accept["action"]) == ("post", "/qualification/leads/7/accept/")
    assert (reject["method"], reject["action"]) == ("post", "/qualification/leads/7/reject/")
    for form in (accept, reject):
        token = form.one("input", name="csrfmiddlewaretoken")
        assert (token["type"], token["value"]) == ("hidden", "tok<en>")
    code = reject.one("select")
    assert (code["id"], code["name"], code["required"]) == ("reject-code-7", "reason_code", "")
    assert [(o["value"], o.text) for o in code.find_all("option")] == [
        ("", "Choose a reason"),
        ("bad_timing", "<Bad> timing"),
    ]
    reason = reject.one("textarea")
    assert (reason["id"], reason["name"], reason.get("required")) == ("reject-7", "reason", None)
    assert [label["for"] for label in reject.find_all("label")] == ["reject-code-7", "reject-7"]
    for tag in ("b", "m", "en"):
        assert card.find_all(tag) == []  # escaped, not markup


@pytest.mark.django_db
def test_a_hand_off_card_on_the_hand_offs_page(settings):
    settings.TIME_ZONE = "Europe/Oslo"
    entry = _entry()
    escalated = _entry(escalation=SimpleNamespace(escalated_at=entry.due_at), overdue=False)

    (card,) = parse(handoff_card(Context({}), escalated)).elements

    assert card.classes == ["card", "handoff"]
    badge = card.one("header").one("span", class_="badge")
    assert badge.text == "Escalated Thu 19 Mar 08:00"
    assert card.find_all("p", class_="small")[-1].text == "AE: Anders & co"
    assert card.find_all("p", class_="small")[-1].one("strong").text == "Anders & co"
    assert card.find_all("input") == [] and card.find_all("details") == []


@pytest.mark.django_db
def test_a_hand_off_card_with_a_company_links_only_to_http(settings):
    company = SimpleNamespace(
        name="Fjord <AS>", website="javascript:alert(1)", domain="", employee_count=1200,
        industry="",
    )  # fmt: skip
    entry = _entry()
    entry.lead.prospect.company = company
    entry.lead.prospect.email = "ada@fjord.test"

    (card,) = parse(handoff_card(Context({}), entry)).elements

    facts = card.one("dl", class_="facts")
    terms = [dt.text for dt in facts.find_all("dt")]
    described = dict(zip(terms, facts.find_all("dd"), strict=True))
    assert described["Email"].one("a")["href"] == "mailto:ada@fjord.test"
    assert described["Company"].text == "Fjord <AS> · javascript:alert(1)"
    assert described["Company"].find_all("a") == []  # no javascript: link
    assert described["Size, industry"].text == "1200 employees · industry unknown"
    assert card.one("h2").one("span").text == "Title unknown at Fjord <AS>"

    company.website, company.domain = "https://fjord.test/", "fjord.test"
    (card,) = parse(handoff_card(Context({}), entry)).elements

    link = card.one("dl", class_="facts").one("a", target="_blank")
    assert (link["href"], link["rel"], link.text) == (
        "https://fjord.test/", "noopener noreferrer", "fjord.test",
    )  # fmt: skip


@pytest.mark.django_db
def test_a_hand_off_card_without_a_csrf_token_has_no_token_input():
    """As ``{% csrf_token %}``: nothing when the context has no token ("NOTPROVIDED")."""
    for context in ({"csrf_token": "NOTPROVIDED"}, {}):
        (card,) = parse(handoff_card(Context({**context, "history_limit": 10}), _entry(),
                                     ae_view=True)).elements  # fmt: skip

        assert len(card.find_all("form")) == 2
        assert card.find_all("input", name="csrfmiddlewaretoken") == []
