"""The REST API: thin views that parse, start from the user's scope, call one service and
answer. Someone else's lead is not there (404); a forbidden change on a visible lead is 403;
a lead that moved, or a transition not possible now, is 409 with the current state."""

from dataclasses import asdict

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from cadences import selectors as cadence_selectors
from cadences.models import Enrollment
from cadences.services import enrollment_create
from leads import selectors as lead_selectors
from leads.models import Company, Lead, Prospect
from leads.services import (
    COMPANY_FIELDS,
    PROSPECT_FIELDS,
    TRANSITION_FIELDS,
    LeadConflict,
    LeadData,
    TransitionParams,
    lead_create,
    lead_transition,
    lead_update,
)
from qualification import selectors as qualification_selectors
from qualification import services as qualification_services
from sdrcrm.inputs import parse_id
from sdrcrm.tasks import enqueue_on_commit

from . import serializers as s
from .models import EVENT_FOR_STATE

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: field → messages"),
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    413: s.ErrorOut,
    429: s.ErrorOut,
}


def _errors(*codes):
    return {c: ERRORS[c] for c in codes}


class IdCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        # DRF falls back to the default for a bad page_size; a typo must not pass unnoticed.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = parse_id(raw)
        if size is None or size > self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def decode_cursor(self, request):
        # DRF answers a forged cursor with 404; it is bad input: 400, naming the parameter.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None


def _require_lead_reader(user) -> None:
    if not user.sees_leads:
        raise PermissionDenied("Your role does not work with leads.")


def _lead(request, lead_id) -> Lead:
    """A lead out of the user's scope (any lead, for marketing) is not there: 404."""
    return lead_selectors.lead_get_for_user(user=request.user, lead_id=lead_id)


def _conflict(lead_id: int, error: LeadConflict) -> Response:
    current = Lead.objects.filter(pk=lead_id).values("state", "version").first() or {}
    return Response({"detail": str(error), **current}, status=409)


def _after_transition(lead: Lead) -> None:
    """Outgoing webhooks for the states they exist for go out without waiting for the tick."""
    if lead.state in EVENT_FOR_STATE:
        enqueue_on_commit("api.webhook_outbox_task")


# --- Leads ------------------------------------------------------------------------------------


class LeadListView(APIView):
    service_error_fields = {"owner": "owner_id"}

    @extend_schema(
        operation_id="leads_list",
        parameters=[s.LeadFilterQuery],
        responses={
            200: inline_serializer(
                "PaginatedLeadList",
                {
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "count": serializers.IntegerField(),
                    "count_capped": serializers.BooleanField(),
                    "results": s.LeadOut(many=True),
                },
            ),
            **_errors(400, 401, 403, 429),
        },
    )
    def get(self, request):
        user = request.user
        _require_lead_reader(user)
        query = s.LeadFilterQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        d = query.validated_data
        filters = lead_selectors.LeadFilters(
            q=d.get("q", ""),
            states=sorted(d.get("state") or []),
            source=d.get("source", ""),
            owner=d.get("owner", ""),
            industry=d.get("industry", ""),
            score_min=d.get("score_min"),
            score_max=d.get("score_max"),
            created_from=d.get("created_from"),
            created_to=d.get("created_to"),
            sort=d.get("sort") or lead_selectors.DEFAULT_SORT,
        )
        qs = lead_selectors.lead_list(user=user, filters=filters)
        page = lead_selectors.lead_paginate(qs, sort=filters.sort, cursor=d.get("cursor", ""))

        def link(cursor):
            if not cursor:
                return None
            params = request.query_params.copy()
            params["cursor"] = cursor
            return request.build_absolute_uri(request.path) + "?" + params.urlencode()

        return Response(
            {
                "next": link(page.next_cursor),
                "previous": link(page.prev_cursor),
                "count": page.count,
                "count_capped": page.count_capped,
                "results": s.LeadOut(page.items, many=True).data,
            }
        )

    @extend_schema(
        operation_id="leads_create",
        request=s.LeadInput,
        responses={201: s.LeadOut, **_errors(400, 401, 403, 413, 429)},
    )
    def post(self, request):
        _require_lead_reader(request.user)
        data = s.LeadInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items()}
        for name in ("email", "company_country"):
            values[name] = values.get(name) or ""
        lead, _notices = lead_create(actor=request.user, data=LeadData(**values))
        lead = lead_selectors.lead_get_for_user(user=request.user, lead_id=lead.pk)
        return Response(s.LeadOut(lead).data, status=201)


def _current_data(lead: Lead) -> dict:
    """The lead's prospect and company as LeadData values (what a partial update keeps)."""
    p = lead.prospect
    c = p.company
    values = {name: getattr(p, name) for name in PROSPECT_FIELDS}
    values["email"] = p.email or ""
    for name in COMPANY_FIELDS:
        values[f"company_{name}"] = getattr(c, name) if c else None
    values = {k: ("" if v is None and k not in NULLABLE else v) for k, v in values.items()}
    if values["company_annual_revenue"] is not None:
        values["company_annual_revenue"] = int(values["company_annual_revenue"])
    values["company_domain"] = (c.domain or "") if c else ""
    values["source"] = lead.source
    return values


NULLABLE = ("company_employee_count", "company_annual_revenue")


class LeadDetailView(APIView):
    @extend_schema(
        operation_id="leads_retrieve", responses={200: s.LeadOut, **_errors(401, 403, 404, 429)}
    )
    def get(self, request, lead_id: int):
        return Response(s.LeadOut(_lead(request, lead_id)).data)

    @extend_schema(
        operation_id="leads_partial_update",
        request=s.LeadUpdateInput,
        responses={
            200: s.LeadOut,
            409: s.ConflictOut,
            **_errors(400, 401, 403, 404, 413, 429),
        },
    )
    def patch(self, request, lead_id: int):
        lead = _lead(request, lead_id)
        data = s.LeadUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        version = changes.pop("version")
        values = _current_data(lead)
        if "company_website" in changes:
            values["company_domain"] = ""
        values.update({k: ("" if v is None and k in ("email",) else v) for k, v in changes.items()})
        try:
            lead_update(
                actor=request.user,
                lead_id=lead.pk,
                expected_version=version,
                data=LeadData(**values),
            )
        except LeadConflict as exc:
            return _conflict(lead.pk, exc)
        lead = lead_selectors.lead_get_for_user(user=request.user, lead_id=lead.pk)
        return Response(s.LeadOut(lead).data)


class LeadTransitionView(APIView):
    service_error_fields = {"ae": "ae_id"}

    @extend_schema(
        operation_id="leads_transition",
        parameters=[
            OpenApiParameter(
                "name",
                str,
                OpenApiParameter.PATH,
                enum=sorted(TRANSITION_FIELDS),
                description="The transition to make",
            )
        ],  # fmt: skip
        request=s.TransitionInput,
        responses={
            200: PolymorphicProxySerializer(
                component_name="TransitionResult",
                serializers=[s.LeadOut, s.LeadOutOfScopeOut],
                resource_type_field_name=None,
            ),
            409: s.ConflictOut,
            **_errors(400, 401, 403, 404, 413, 429),
        },
        description=(
            "200 with the lead; or, when the transition took the lead out of your scope (an "
            "AE's reject), 200 with its id, state, version and a `detail`."
        ),
    )
    def post(self, request, lead_id: int, name: str):
        lead = _lead(request, lead_id)
        if name not in TRANSITION_FIELDS:
            raise Http404(f"No transition '{name}'.")
        data = s.TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        params = TransitionParams(
            reason=d.get("reason", ""),
            note=d.get("note", ""),
            recycle_on=d.get("recycle_on"),
            ae_id=d.get("ae_id"),
            brief=d.get("brief", ""),
        )
        try:
            lead = lead_transition(
                actor=request.user,
                lead_id=lead.pk,
                name=name,
                expected_state=d.get("expected_state"),
                params=params,
            )
        except LeadConflict as exc:
            return _conflict(lead.pk, exc)
        _after_transition(lead)
        try:
            visible = lead_selectors.lead_get_for_user(user=request.user, lead_id=lead.pk)
        except Http404:
            # The transition took the lead out of the actor's scope (an AE's reject hands it
            # back to its SDR): it was made, so say so with what the actor may still know.
            return Response(
                {
                    "id": lead.pk,
                    "state": lead.state,
                    "version": lead.version,
                    "detail": _("Done: you no longer see this lead."),
                }
            )
        return Response(s.LeadOut(visible).data)


class LeadTimelineView(generics.ListAPIView):
    serializer_class = s.LeadEventOut
    pagination_class = IdCursorPagination

    @extend_schema(
        operation_id="leads_timeline",
        responses={200: s.LeadEventOut(many=True), **_errors(400, 401, 403, 404, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        lead = _lead(self.request, self.kwargs["lead_id"])
        return lead.events.all()


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


# --- Prospects and companies (read only: edits go through the lead) ---------------------------


def _visible_prospect_ids(user):
    return lead_selectors.lead_scope(user).values("prospect_id")


# The detail views below look the object up in the user's scope without the role check of the
# lists: an object out of scope is not there (404), for marketing too, as for /api/leads/<id>/.
# A team is a workspace: a prospect or company is the team's own row (an admin sees every team's).
def _prospects(user):
    prospects = Prospect.objects.filter(pk__in=_visible_prospect_ids(user))
    if not user.is_admin_role:
        prospects = prospects.filter(team_id=user.team_id)
    return prospects.select_related("company")


def _companies(user):
    prospects = Prospect.objects.filter(pk__in=_visible_prospect_ids(user))
    companies = Company.objects.filter(pk__in=prospects.values("company_id"))
    if not user.is_admin_role:
        companies = companies.filter(team_id=user.team_id)
    return companies


def _enrollments(user):
    return Enrollment.objects.filter(lead_id__in=lead_selectors.lead_scope(user).values("pk"))


class ProspectListView(generics.ListAPIView):
    serializer_class = s.ProspectOut
    pagination_class = IdCursorPagination

    @extend_schema(
        operation_id="prospects_list",
        responses={200: s.ProspectOut(many=True), **_errors(400, 401, 403, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        _require_lead_reader(self.request.user)
        return _prospects(self.request.user)


class ProspectDetailView(generics.RetrieveAPIView):
    serializer_class = s.ProspectOut
    lookup_url_kwarg = "prospect_id"

    @extend_schema(
        operation_id="prospects_retrieve",
        responses={200: s.ProspectOut, **_errors(401, 404, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return _prospects(self.request.user)


class CompanyListView(generics.ListAPIView):
    serializer_class = s.CompanyOut
    pagination_class = IdCursorPagination

    @extend_schema(
        operation_id="companies_list",
        responses={200: s.CompanyOut(many=True), **_errors(400, 401, 403, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        _require_lead_reader(self.request.user)
        return _companies(self.request.user)


class CompanyDetailView(generics.RetrieveAPIView):
    serializer_class = s.CompanyOut
    lookup_url_kwarg = "company_id"

    @extend_schema(
        operation_id="companies_retrieve",
        responses={200: s.CompanyOut, **_errors(401, 404, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return _companies(self.request.user)


# --- Cadences and enrollments -----------------------------------------------------------------


class CadenceListView(generics.ListAPIView):
    serializer_class = s.CadenceOut
    pagination_class = IdCursorPagination

    @extend_schema(
        operation_id="cadences_list",
        responses={200: s.CadenceOut(many=True), **_errors(400, 401, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return cadence_selectors.cadence_scope(self.request.user).prefetch_related("steps")


class CadenceDetailView(generics.RetrieveAPIView):
    serializer_class = s.CadenceOut
    lookup_url_kwarg = "cadence_id"

    @extend_schema(
        operation_id="cadences_retrieve", responses={200: s.CadenceOut, **_errors(401, 404, 429)}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return CadenceListView.get_queryset(self)


class CadencePreviewView(APIView):
    @extend_schema(
        operation_id="cadences_preview",
        parameters=[s.PreviewQuery],
        responses={200: s.PreviewRowOut(many=True), **_errors(400, 401, 404, 429)},
    )
    def get(self, request, cadence_id: int):
        cadence = cadence_selectors.cadence_get_for_user(user=request.user, cadence_id=cadence_id)
        query = s.PreviewQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        d = query.validated_data
        rows = cadence_selectors.cadence_preview(
            cadence=cadence,
            start=d["start"],
            tz_name=d["timezone"],
            country=(d.get("country") or "").upper(),
        )
        return Response(
            [
                {
                    "position": r["step"].position,
                    "day": r["day"],
                    "channel": r["step"].channel,
                    "due": r["due"].isoformat(),
                }
                for r in rows
            ]  # fmt: skip
        )


class EnrollmentListView(generics.ListAPIView):
    service_error_fields = {"cadence": "cadence_id", "lead": "lead_id"}

    serializer_class = s.EnrollmentOut
    pagination_class = IdCursorPagination

    @extend_schema(
        operation_id="enrollments_list",
        responses={200: s.EnrollmentOut(many=True), **_errors(400, 401, 403, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="enrollments_create",
        request=s.EnrollmentInput,
        responses={
            201: s.EnrollmentOut,
            409: s.ConflictOut,
            **_errors(400, 401, 403, 404, 413, 429),
        },
    )
    def post(self, request):
        _require_lead_reader(request.user)
        data = s.EnrollmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            enrollment = enrollment_create(
                actor=request.user,
                lead_id=d["lead_id"],
                cadence_id=d["cadence_id"],
                start_at=d.get("start_at"),
            )
        except LeadConflict as exc:
            return _conflict(d["lead_id"], exc)
        return Response(s.EnrollmentOut(enrollment).data, status=201)

    def get_queryset(self):
        _require_lead_reader(self.request.user)
        return _enrollments(self.request.user)


class EnrollmentDetailView(generics.RetrieveAPIView):
    serializer_class = s.EnrollmentOut
    lookup_url_kwarg = "enrollment_id"

    @extend_schema(
        operation_id="enrollments_retrieve",
        responses={200: s.EnrollmentOut, **_errors(401, 404, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return _enrollments(self.request.user)


# --- The Today queue --------------------------------------------------------------------------


class TaskListView(APIView):
    @extend_schema(operation_id="tasks_list", responses={200: s.TasksOut, **_errors(401, 429)})
    def get(self, request):
        queue = cadence_selectors.today_queue(user=request.user)
        return Response(
            {
                "overdue_count": queue.overdue_count,
                "done_today": queue.done_today,
                "target": queue.target,
                "upcoming": queue.upcoming,
                "results": [
                    {
                        "kind": i.kind,
                        "id": i.obj.pk,
                        "lead_id": i.lead.pk,
                        "lead_name": i.lead_name,
                        "company": i.company,
                        "due_at": i.due_at.isoformat(),
                        "overdue": i.overdue,
                        "label": i.label,
                    }
                    for i in queue.items
                ],
            }  # fmt: skip
        )
