"""Thin views for lead intake: parse, authorise by starting from the user, call one service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leads.selectors import lead_scope, team_prospectors
from sdrcrm.i18n import render_for_prospect
from sdrcrm.spreadsheet import excel_csv_lines
from security.client_ip import client_ip

from . import capture, selectors, services
from .forms import MappingForm, UploadForm, WebFormForm
from .models import ImportStatus, IssueKind
from .reader import FileRejected
from .rows import propose_mapping
from .uploads import upload_refusal

# Said after why a file was refused (gettext_lazy: the request's language when shown).
NOTHING_STORED = gettext_lazy("Nothing was stored.")


def _require_importer(user):
    if not services.may_import(user):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def import_list(request):
    user = request.user
    _require_importer(user)
    choose_team = user.is_admin_role
    refused = upload_refusal(request) if request.method == "POST" else None
    if refused:  # stopped while it arrived (intake/uploads.py): nothing was read further
        form = UploadForm(request.POST, {}, choose_team=choose_team)
        form.is_valid()
        form.errors.clear()
        form.add_error("file", f"{refused} {NOTHING_STORED}")
        context = {"form": form, "jobs": selectors.import_list(user=user)}
        return render(request, "intake/import_list.html", context, status=413)
    form = UploadForm(request.POST or None, request.FILES or None, choose_team=choose_team)
    if request.method == "POST" and form.is_valid():
        team = form.cleaned_data["team"] if choose_team else user.team
        upload = form.cleaned_data["file"]
        try:
            if team is None:
                raise services.IntakeForbidden(_("You need to belong to a team to import leads."))
            job = services.import_upload(
                actor=user, team=team, name=upload.name, chunks=upload.chunks(), size=upload.size
            )
        except FileRejected as exc:
            form.add_error("file", f"{upload.name}: {exc} {NOTHING_STORED}")
        else:
            return redirect("intake:detail", job_id=job.pk)
    context = {"form": form, "jobs": selectors.import_list(user=user)}
    return render(request, "intake/import_list.html", context, status=400 if form.errors else 200)


def _mapping_form(request, job, data=None):
    return MappingForm(data, job=job, sdrs=team_prospectors(team_id=job.team_id))


def _options(form) -> services.ImportOptions:
    d = form.cleaned_data
    return services.ImportOptions(
        mapping=form.mapping(),
        header_row=d["header_row"] - 1,
        source=d["source"],
        assignment=d["assignment"],
        assignees=d["assignees"],
        country_owners=d["country_owners"],
        duplicates=d["duplicates"],
        all_or_nothing=d["all_or_nothing"],
    )


@require_GET
def import_detail(request, job_id: int):
    job = services.import_get_for_user(user=request.user, job_id=job_id)
    context = {"job": job, "previous": selectors.import_same_file_before(job)}
    if job.status == ImportStatus.UPLOADED:
        form = _mapping_form(request, job)
        context.update(form=form, preview=services.import_preview(job, job.mapping, job.header_row))
        return render(request, "intake/import_mapping.html", context)
    context["rejected"] = selectors.import_issues(job=job) if not job.is_active else []
    if request.htmx and request.GET.get("fragment") == "progress":
        return render(request, "intake/_progress.html", context)
    return render(request, "intake/import_detail.html", context)


@require_GET
def import_leads(request, job_id: int):
    """The leads an import created, for whoever may see the import (marketing included): the
    facts from the file, the owner and the state, each linked to its page for those who may
    open it (leads.selectors.lead_scope)."""
    user = request.user
    job = services.import_get_for_user(user=user, job_id=job_id)
    rows = selectors.import_created_leads(job=job, limit=selectors.IMPORT_LEADS_SHOWN)
    ids = [r["lead_id"] for r in rows]
    openable = (
        set(lead_scope(user).filter(pk__in=ids).values_list("pk", flat=True))
        if ids and user.sees_leads
        else set()
    )
    context = {"job": job, "rows": rows, "openable": openable}
    return render(request, "intake/import_leads.html", context)


@require_POST
def import_preview(request, job_id: int):
    """htmx: the preview table for the mapping as it stands in the form."""
    job = services.import_get_for_user(user=request.user, job_id=job_id)
    _require_importer(request.user)
    form = _mapping_form(request, job, request.POST)
    form.is_valid()
    header_row = (form.cleaned_data.get("header_row") or job.header_row + 1) - 1
    try:
        mapping = form.mapping() if header_row == job.header_row else None
        if mapping is None:  # another header row: propose afresh from its cells
            mapping = propose_mapping(services.import_header_cells(job, header_row))
        preview = services.import_preview(job, mapping, header_row)
    except services.IntakeError as exc:
        return render(request, "intake/_preview_error.html", {"error": exc})
    return render(request, "intake/_preview.html", {"preview": preview, "job": job})


@require_POST
def import_start(request, job_id: int):
    user = request.user
    job = services.import_get_for_user(user=user, job_id=job_id)
    _require_importer(user)
    form = _mapping_form(request, job, request.POST)
    if form.is_valid():
        try:
            services.import_start(actor=user, job_id=job.pk, options=_options(form))
        except services.IntakeConflict as exc:
            messages.info(request, str(exc))
            return redirect("intake:detail", job_id=job.pk)
        except services.IntakeForbidden:
            raise  # the 403 page (sdrcrm.middleware)
        except services.IntakeError as exc:
            form.add_error(None if exc.field in (None, "mapping") else exc.field, str(exc))
        else:
            # Said on the progress card while the import runs (intake/_progress.html), not as a
            # message: the card is polled, so the notice goes when the import finishes.
            return redirect("intake:detail", job_id=job.pk)
    if job.status != ImportStatus.UPLOADED:
        messages.info(request, _("This import was already started."))
        return redirect("intake:detail", job_id=job.pk)
    context = {
        "job": job,
        "form": form,
        "previous": selectors.import_same_file_before(job),
        "preview": services.import_preview(job, form.mapping() if form.is_bound else job.mapping,
                                           job.header_row),
    }  # fmt: skip
    return render(request, "intake/import_mapping.html", context, status=400)


# The "kind" column of the issues CSV, lower case as the file's other words.
KIND_WORDS = {
    IssueKind.REJECTED: pgettext_lazy("import issue CSV", "rejected"),
    IssueKind.DUPLICATE: pgettext_lazy("import issue CSV", "duplicate"),
}


@require_GET
def import_issues_csv(request, job_id: int):
    """The rejected rows, or the duplicates, as CSV for Excel (sdrcrm.spreadsheet): each row's
    line, why it was left out and its cells as they were in the file."""
    job = services.import_get_for_user(user=request.user, job_id=job_id)
    kind = request.GET.get("kind", IssueKind.REJECTED)
    if kind not in IssueKind.values:
        kind = IssueKind.REJECTED
    issues = selectors.import_issues(job=job, kind=kind, limit=None)
    lines = excel_csv_lines(
        [_("line"), _("kind"), _("reason"), *job.columns],
        (
            [issue.line, KIND_WORDS.get(issue.kind, issue.kind), issue.reason, *issue.data]
            for issue in issues
        ),
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-{kind}.csv"'
    return response


# --- Web forms --------------------------------------------------------------------------------


def _require_form_manager(user):
    if not (user.is_manager or user.is_marketing or user.is_admin_role) or user.team_id is None:
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def webform_list(request):
    user = request.user
    _require_form_manager(user)
    form = WebFormForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        capture.webform_create(actor=user, name=form.cleaned_data["name"],
                               redirect_url=form.cleaned_data["redirect_url"])  # fmt: skip
        messages.success(request, _("Web form created: paste its HTML into your website."))
        return redirect("intake:webforms")
    forms_ = list(selectors.webform_scope(user).filter(team_id=user.team_id).order_by("-id"))
    base = request.build_absolute_uri("/")[:-1]
    context = {"form": form, "webforms": forms_, "base": base}
    return render(request, "intake/webforms.html", context, status=400 if form.errors else 200)


@require_POST
def webform_deactivate(request, form_id: int):
    user = request.user
    _require_form_manager(user)
    webform = get_object_or_404(selectors.webform_scope(user), pk=form_id)
    capture.webform_deactivate(actor=user, form_id=webform.pk)
    messages.success(
        request, _("“%(name)s” no longer accepts submissions.") % {"name": webform.name}
    )
    return redirect("intake:webforms")


@login_not_required
@csrf_exempt
@require_POST
def webform_submit(request, token: str):
    """Public: a website's form posts here. No login, no CSRF token (a per-form secret token
    in the URL instead), a honeypot field and a rate limit per visitor."""
    result = capture.capture_submission(
        token=token,
        data=request.POST,
        ip=client_ip(request),  # the visitor's, not the proxy's: one visitor cannot block a form
        referrer=request.META.get("HTTP_REFERER", ""),
    )
    wants_json = "application/json" in request.headers.get("Accept", "")
    if result.status != 200:
        if wants_json:
            return JsonResponse({"ok": False, "error": result.message}, status=result.status)
        return render_for_prospect(request, "intake/webform_result.html", {"result": result},
                                   language=result.language, status=result.status)  # fmt: skip
    if wants_json:
        return JsonResponse({"ok": True})
    if result.redirect_url:
        return redirect(result.redirect_url)
    return render_for_prospect(
        request, "intake/webform_result.html", {"result": result}, language=result.language
    )
