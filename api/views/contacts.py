"""Prospects and companies, read only: edits go through the lead."""

from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import generics

from leads import selectors as lead_selectors
from leads.models import Company, Prospect

from .. import serializers as s
from .common import (
    IdCursorPagination,
    _errors,
    _require_lead_reader,
)

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
