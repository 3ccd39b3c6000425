"""Leads: list and create, read and edit, transitions, the timeline."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors as lead_selectors
from leads.models import Lead
from leads.search import SEARCH_COUNT_CAP
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
from sdrcrm.errors import NotFound as DomainNotFound

from .. import serializers as s
from .common import (
    IdCursorPagination,
    _after_transition,
    _conflict,
    _errors,
    _lead,
    _require_lead_reader,
)

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
        # As the lead list page: the search's one query, an SDR's count in halves, a search
        # counted up to SEARCH_COUNT_CAP.
        search = lead_selectors.lead_search(user=user, q=filters.q)
        qs = lead_selectors.lead_list(user=user, filters=filters, search=search)
        page = lead_selectors.lead_paginate(
            qs, sort=filters.sort, cursor=d.get("cursor", ""),
            count_parts=lead_selectors.lead_count_parts(user=user, filters=filters, search=search),
            count_cap=SEARCH_COUNT_CAP if search else None,
        )  # fmt: skip

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
            raise Http404(_("No transition '%(name)s'.") % {"name": name})
        data = s.TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        params = TransitionParams(
            reason=d.get("reason", ""),
            reason_code=d.get("reason_code", ""),
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
        except DomainNotFound:
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
