"""Cadences and enrollments."""

from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from cadences import selectors as cadence_selectors
from cadences.models import Enrollment
from cadences.services import CompanyWorked, enrollment_create
from leads import selectors as lead_selectors
from leads.services import (
    LeadConflict,
)

from .. import serializers as s
from .common import (
    IdCursorPagination,
    _conflict,
    _errors,
    _require_lead_reader,
)


def _enrollments(user):
    return Enrollment.objects.filter(lead_id__in=lead_selectors.lead_scope(user).values("pk"))


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
            409: s.EnrollmentConflictOut,
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
                confirm=d["confirm"],
            )
        except CompanyWorked as exc:
            response = _conflict(d["lead_id"], exc)
            response.data["code"] = "company_worked"
            response.data["workers"] = [
                {"owner_id": pk, "owner": name, "leads": n} for pk, name, n in exc.workers
            ]
            return response
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
