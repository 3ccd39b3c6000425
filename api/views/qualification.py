"""A lead's qualification: the answers, the score and the decision."""

from dataclasses import asdict

from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors as lead_selectors
from leads.models import Lead
from leads.services import (
    LeadConflict,
)
from qualification import selectors as qualification_selectors
from qualification import services as qualification_services

from .. import serializers as s
from .common import (
    _after_transition,
    _conflict,
    _errors,
    _lead,
)

# --- Qualification ----------------------------------------------------------------------------


def _qualification(lead: Lead, user) -> dict:
    panel = qualification_selectors.lead_panel(lead=lead, user=user)
    result, answers = panel["result"], panel["answers"]
    return {
        "lead_id": lead.pk,
        "state": lead.state,
        "score": result.score,
        "points": result.points,
        "threshold": result.threshold,
        "verdict": result.verdict,
        "model_version": panel["model"].version,
        "factors": [
            {
                "factor": f.factor,
                "label": f.label,
                "value": f.value,
                "points": f.points,
                "explanation": f.explanation,
            }
            for f in result.factors
        ],  # fmt: skip
        "disqualifiers": [asdict(d) for d in result.disqualifiers],
        "answers": {
            "budget": answers.budget,
            "timeline": answers.timeline,
            "authority": answers.authority,
            "need": answers.need,
            "fit": answers.fit,
        }
        if answers
        else None,  # fmt: skip
    }


class LeadQualificationView(APIView):
    service_error_fields = {
        "ae": "ae_id",
        "reason": "disqualify_reason",
        "note": "disqualify_note",
        **{f"brief_{n}": f"brief.{n}" for n, _label in qualification_services.BRIEF_FIELDS},
    }

    @extend_schema(
        operation_id="leads_qualification_retrieve",
        responses={200: s.QualificationOut, **_errors(401, 403, 404, 429)},
    )
    def get(self, request, lead_id: int):
        lead = _lead(request, lead_id)
        return Response(_qualification(lead, request.user))

    @extend_schema(
        operation_id="leads_qualification_submit",
        request=s.QualificationInput,
        responses={
            200: s.QualificationOut,
            409: s.ConflictOut,
            **_errors(400, 401, 403, 404, 413, 429),
        },
    )
    def post(self, request, lead_id: int):
        lead = _lead(request, lead_id)
        data = s.QualificationInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        answers = qualification_services.Answers(
            budget=d.get("budget"),
            timeline=d.get("timeline", ""),
            authority=d.get("authority", ""),
            need=d.get("need", ""),
            fit=d.get("fit", ""),
        )
        try:
            if "decision" not in d:
                qualification_services.lead_answers_save(
                    actor=request.user, lead_id=lead.pk, answers=answers
                )
            else:
                qualification_services.lead_qualify(
                    actor=request.user,
                    lead_id=lead.pk,
                    data=qualification_services.QualifyInput(
                        decision=d["decision"],
                        answers=answers,
                        override_reason=d.get("override_reason", ""),
                        brief=qualification_services.Brief(**d.get("brief", {})),
                        ae_id=d.get("ae_id"),
                        disqualify_reason=d.get("disqualify_reason", ""),
                        disqualify_note=d.get("disqualify_note", ""),
                        recycle_on=d.get("recycle_on"),
                        expected_state=d.get("expected_state"),
                    ),
                )
        except LeadConflict as exc:
            return _conflict(lead.pk, exc)
        lead = lead_selectors.lead_get_for_user(user=request.user, lead_id=lead.pk)
        _after_transition(lead)
        return Response(_qualification(lead, request.user))
