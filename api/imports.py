"""/api/imports/: upload a list (multipart), start it, follow its progress, read its report.

The same services as the Imports pages (intake.services); scopes from intake.selectors: an SDR
sees their own imports, managers and marketing their team's; another team's import is 404."""

import re
import tempfile

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from intake import selectors as intake_selectors
from intake import services as intake_services
from intake.models import (
    AssignmentRule,
    DuplicatePolicy,
    ImportIssue,
    ImportJob,
    ImportPhase,
    ImportStatus,
    IssueKind,
)
from intake.reader import FileRejected
from intake.rows import FIELDS
from intake.uploads import upload_refusal
from leads.models import LeadSource

from .views.common import ERRORS, IdCursorPagination, _errors

# A path under the temporary directory, quoted or not, without the punctuation after it.
_TEMP_PATH = re.compile(
    r"""['"]?""" + re.escape(tempfile.gettempdir()) + r"""/[^\s'"]*[^\s'".,;:)]['"]?"""
)


def without_paths(message: str) -> str:
    """A reader's message (an openpyxl or zipfile error names the temporary file it read)
    without the server's file paths."""
    return _TEMP_PATH.sub("the file", message)


class UploadTooLarge(APIException):
    status_code = 413
    default_code = "too_large"


class ImportOut(serializers.ModelSerializer):
    # "" until the import starts: read-only model fields lose their blank choice in the schema.
    phase = serializers.ChoiceField(
        choices=ImportPhase.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty until the import starts",
    )
    message = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True)
    rows_per_second = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "file_name",
            "file_size",
            "file_format",
            "encoding",
            "delimiter",
            "header_row",
            "columns",
            "mapping",
            "source",
            "assignment",
            "assignees",
            "country_owners",
            "duplicates",
            "all_or_nothing",
            "status",
            "phase",
            "message",
            "total_rows",
            "rows_done",
            "percent",
            "rows_per_second",
            "created_count",
            "updated_count",
            "duplicate_count",
            "rejected_count",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_message(self, job) -> str:
        return without_paths(job.message)


class ImportOptionsIn(serializers.Serializer):
    """How to import: the proposed mapping is used when ``mapping`` is left out."""

    mapping = serializers.DictField(
        child=serializers.ChoiceField(choices=[*FIELDS, ""]),
        required=False,
        help_text="column index (as text) -> field; see the upload's `columns`",
    )
    header_row = serializers.IntegerField(min_value=0, max_value=14, required=False)
    source = serializers.ChoiceField(choices=LeadSource.choices, default=LeadSource.MARKETING_LIST)
    assignment = serializers.ChoiceField(
        choices=AssignmentRule.choices, default=AssignmentRule.UNASSIGNED
    )
    assignees = serializers.ListField(child=serializers.IntegerField(min_value=1), default=list)
    country_owners = serializers.DictField(
        child=serializers.IntegerField(min_value=1), default=dict
    )
    duplicates = serializers.ChoiceField(choices=DuplicatePolicy.choices, default="skip")
    all_or_nothing = serializers.BooleanField(default=False)

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields) - {"file", "start"}
        if unknown:
            raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
        return attrs


class ImportUploadIn(ImportOptionsIn):
    file = serializers.FileField()
    start = serializers.BooleanField(
        default=True, help_text="false: upload only; start later with /start/"
    )


class ImportIssueOut(serializers.ModelSerializer):
    cells = serializers.ListField(source="data", child=serializers.CharField())

    class Meta:
        model = ImportIssue
        fields = ["line", "kind", "reason", "cells"]


def _require_importer(user) -> None:
    if not intake_services.may_import(user):
        raise PermissionDenied(_("Your role cannot import leads."))


def _job(request, job_id: int) -> ImportJob:
    return intake_services.import_get_for_user(user=request.user, job_id=job_id)


def _start(request, job: ImportJob, d: dict) -> ImportJob:
    options = intake_services.ImportOptions(
        mapping=d.get("mapping") or job.mapping,
        header_row=d.get("header_row", job.header_row),
        source=d["source"],
        assignment=d["assignment"],
        assignees=d["assignees"],
        country_owners={k.upper(): v for k, v in d["country_owners"].items()},
        duplicates=d["duplicates"],
        all_or_nothing=d["all_or_nothing"],
    )
    # Its errors become 403, 409 or 400 in api.errors.exception_handler.
    intake_services.import_start(actor=request.user, job_id=job.pk, options=options)
    return intake_services.import_get_for_user(user=request.user, job_id=job.pk)


class ImportListView(generics.ListAPIView):
    serializer_class = ImportOut
    pagination_class = IdCursorPagination
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="imports_list",
        responses={200: ImportOut(many=True), **_errors(400, 401, 403, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        _require_importer(self.request.user)
        return intake_selectors.import_scope(self.request.user)

    @extend_schema(
        operation_id="imports_create",
        request={"multipart/form-data": ImportUploadIn},
        responses={201: ImportOut, **_errors(400, 401, 403, 413, 429), 409: ERRORS[403]},
        description=(
            "Upload a CSV or XLSX list (multipart, field `file`, at most "
            f"{settings.SDRCRM_IMPORT_MAX_BYTES // 1_000_000} MB) and start it with the "
            "proposed mapping or the one given. The import runs in the background: poll "
            "GET /api/imports/{id}/."
        ),
    )
    def post(self, request):
        user = request.user
        _require_importer(user)
        if user.team_id is None:
            raise PermissionDenied(_("You need to belong to a team to import leads."))
        refused = upload_refusal(request)
        if refused:  # stopped while it arrived (intake/uploads.py)
            raise UploadTooLarge(f"{refused} Nothing was stored.")
        data = ImportUploadIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        upload = d["file"]
        try:
            job = intake_services.import_upload(
                actor=user,
                team=user.team,
                name=upload.name,
                chunks=upload.chunks(),
                size=upload.size,
            )
        except FileRejected as exc:
            message = without_paths(str(exc))
            raise ValidationError({"file": [f"{message} Nothing was stored."]}) from exc
        if d["start"]:
            job = _start(request, job, d)
        return Response(ImportOut(job).data, status=201)


class ImportDetailView(APIView):
    @extend_schema(
        operation_id="imports_retrieve", responses={200: ImportOut, **_errors(401, 403, 404, 429)}
    )
    def get(self, request, job_id: int):
        return Response(ImportOut(_job(request, job_id)).data)


class ImportStartView(APIView):
    @extend_schema(
        operation_id="imports_start",
        request=ImportOptionsIn,
        responses={200: ImportOut, **_errors(400, 401, 403, 404, 413, 429), 409: ERRORS[403]},
    )
    def post(self, request, job_id: int):
        _require_importer(request.user)
        job = _job(request, job_id)
        data = ImportOptionsIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(ImportOut(_start(request, job, data.validated_data)).data)


class LineOrder(IdCursorPagination):
    ordering = "id"  # written in line order


class ImportIssueListView(generics.ListAPIView):
    """The report: rejected rows (with line and reason) or, with ?kind=duplicate, duplicates."""

    serializer_class = ImportIssueOut
    pagination_class = LineOrder

    @extend_schema(
        operation_id="imports_issues",
        parameters=[
            inline_serializer(
                "ImportIssueQuery",
                {"kind": serializers.ChoiceField(choices=IssueKind.choices, required=False)},
            )
        ],
        responses={200: ImportIssueOut(many=True), **_errors(400, 401, 403, 404, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        job = _job(self.request, self.kwargs["job_id"])
        kind = self.request.query_params.get("kind", IssueKind.REJECTED)
        if kind not in IssueKind.values:
            raise ValidationError(
                {"kind": [_("Choose one of %(kinds)s.") % {"kinds": ", ".join(IssueKind.values)}]}
            )
        return ImportIssue.objects.filter(job=job, kind=kind)


__all__ = [
    "ImportListView",
    "ImportDetailView",
    "ImportStartView",
    "ImportIssueListView",
    "ImportStatus",
]
