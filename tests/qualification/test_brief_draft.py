"""qualification/brief_draft.py: the hand-off brief's first draft from the answers. Pure."""

from django.utils import translation

from qualification.brief_draft import brief_draft
from qualification.scoring import LeadFacts


def facts(**kw) -> LeadFacts:
    return LeadFacts(**{"employee_count": 120, "industry": "Software", **kw})


def test_each_answer_becomes_a_sentence_and_the_next_step_is_left_to_the_sdr():
    with translation.override("en"):
        draft = brief_draft(
            facts(budget=150_000, timeline="this_quarter", authority="decision_maker",
                  need="confirmed"),
            who="Kari Hansen, CEO",
        )  # fmt: skip
    assert draft == {
        "need": "Need confirmed by the prospect.",
        "budget": "Stated budget: 150,000 a year.",
        "timeline": "Wants to start this quarter.",
        "decision_maker": "Kari Hansen, CEO is the decision maker.",
        "next_step": "",
    }


def test_unknown_answers_leave_their_field_empty():
    draft = brief_draft(facts(), who="Kari Hansen")
    assert draft == {
        "need": "", "budget": "", "timeline": "", "decision_maker": "", "next_step": "",
    }  # fmt: skip


def test_without_an_authority_answer_the_prospects_role_speaks_and_says_so():
    with translation.override("en"):
        by_flag = brief_draft(facts(prospect_role="decision_maker"), who="Kari")
        by_role = brief_draft(facts(prospect_role="gatekeeper"), who="")
    assert by_flag["decision_maker"] == "Kari is the decision maker. (From the prospect's role.)"
    assert by_role["decision_maker"] == (
        "Our contact does not decide; the decision maker is still to be found."
        " (From the prospect's role.)"
    )


def test_the_other_answers_read_as_they_were_given():
    with translation.override("en"):
        draft = brief_draft(
            facts(budget=0, timeline="none", authority="influencer", need="possible"), who="Ola"
        )
    assert (draft["need"], draft["budget"], draft["timeline"], draft["decision_maker"]) == (
        "Possible need, not confirmed yet.",
        "Stated budget: 0 a year.",
        "No timeline yet.",
        "Ola influences the decision.",
    )
