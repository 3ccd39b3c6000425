"""Writes for qualification, one module per job; the public names are re-exported here so that
callers write ``from qualification import services`` whatever module holds the function.

- ``model``: the team's scoring model (save a version, rescore after it, the sweep);
- ``scores``: a lead's answers and its score;
- ``judgement``: the SDR's judgement (qualify and hand off, scrap, nurture) and routing;
- ``handoff``: the AE's decision (accept, reject) and the AE's profile;
- ``notify``: who hears about a hand-off and its answer (stored by ``notifications``);
- ``escalation``: hand-offs left unanswered past the business hours;
- ``learned``: the learned outcome model.

Lifecycle changes go through ``leads.services.lead_transition`` (which locks the lead, checks
the transition and records its timeline event); these services add what qualification owns in
the same transaction. Errors are the leads app's ``LeadError`` family (domain errors of
``sdrcrm.errors``), so pages and the API answer them the same way.

Timeline: an SDR's action that changes a lead's score (saving answers, qualifying, scrapping)
records a SCORE event; background rescores after a model change do not (a million events for
one click would drown every timeline), the score's model version records where it came from.
"""

from ..scoring import lead_facts, score_inputs
from .common import NOT_OUTCOMES
from .escalation import handoff_escalate_overdue
from .handoff import ae_profile_update, handoff_accept, handoff_reject
from .judgement import BRIEF_FIELDS, Brief, QualifyInput, QualifyOutcome, lead_qualify
from .learned import outcome_model_rebuild, outcome_models_refresh
from .model import lead_scores_sweep, scoring_model_rescore, scoring_model_save
from .notify import notifications_for_events, notifications_sweep
from .scores import Answers, lead_answers_save, lead_score_backfill

__all__ = [
    "BRIEF_FIELDS",
    "NOT_OUTCOMES",
    "Answers",
    "Brief",
    "QualifyInput",
    "QualifyOutcome",
    "ae_profile_update",
    "handoff_accept",
    "handoff_escalate_overdue",
    "handoff_reject",
    "lead_answers_save",
    "lead_facts",
    "lead_qualify",
    "lead_score_backfill",
    "lead_scores_sweep",
    "notifications_for_events",
    "notifications_sweep",
    "outcome_model_rebuild",
    "outcome_models_refresh",
    "score_inputs",
    "scoring_model_rescore",
    "scoring_model_save",
]
