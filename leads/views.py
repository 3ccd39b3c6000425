"""Thin views: parse, authorise by starting from the user, call one service, respond.

Domain errors become form errors or messages (never a 500); non-htmx POSTs redirect.
"""

import csv
import itertools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from sdrcrm.errors import NotFound
from sdrcrm.inputs import parse_ids
from sdrcrm.spreadsheet import Echo, neutralise, xlsx_file

from . import selectors, services
from .export import HEADER, XLSX_MAX_ROWS, lead_export_rows
from .fields import COMPANY_FIELDS
from .forms import (
    BulkAssignForm,
    CallForm,
    LeadFilterForm,
    LeadForm,
    NoteForm,
    TransitionForm,
)
from .models import CallOutcome, LeadSource, LeadState, ReasonKind
from .pages import lead_changed_meanwhile
from .search import MAX_WORDS, SEARCH_COUNT_CAP, search_words
from .services import LeadConflict, LeadData, LeadError, LeadInvalid, TransitionParams


def _require_lead_reader(user):
    if not user.sees_leads:
        raise PermissionDenied


@require_GET
def lead_list(request):
    user = request.user
    _require_lead_reader(user)
    owners = (
        list(selectors.team_prospectors(team_id=user.team_id))
        if (user.is_manager or user.is_admin_role) and user.team_id is not None
        else []  # an admin of no team has no team's SDRs to pick from: no query
    )
    form = LeadFilterForm(request.GET or None, owners=owners, show_owner_filter=not user.is_ae)
    filters = form.to_filters() if request.GET else LeadFilterForm().to_filters()
    search = selectors.lead_search(user=user, q=filters.q)  # one query when there is a search
    qs = selectors.lead_list(user=user, filters=filters, search=search)
    cursor = form.cleaned_data.get("cursor", "") if form.is_bound else ""
    page = selectors.lead_paginate(
        qs, sort=filters.sort, cursor=cursor, fields=selectors.LIST_ROW_FIELDS,
        count_parts=selectors.lead_count_parts(user=user, filters=filters, search=search),
        count_cap=SEARCH_COUNT_CAP if search else None,
    )  # fmt: skip
    params = request.GET.copy()
    params.pop("cursor", None)
    context = {
        "form": form,
        "page": page,
        "query": params.urlencode(),
        "bulk_form": BulkAssignForm(owners=owners) if owners else None,
        "show_select": bool(owners) or user.is_prospector,
        "filters": filters,
        "search_cut": len(search_words(filters.q, limit=None)) > MAX_WORDS,
        "search_max_words": MAX_WORDS,
    }
    template = (
        "leads/_lead_rows.html"
        if request.htmx and request.htmx.target == "lead-rows"
        else "leads/lead_list.html"
    )
    return render(request, template, context)


@require_GET
def lead_export(request):
    """The lead list with its current filters as CSV or XLSX (``?format=xlsx``)."""
    user = request.user
    _require_lead_reader(user)
    params = request.GET.copy()
    fmt = params.pop("format", ["csv"])[-1]
    params.pop("cursor", None)
    form = LeadFilterForm(params or None, owners=[], show_owner_filter=not user.is_ae)
    filters = form.to_filters() if params else LeadFilterForm().to_filters()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    rows = lead_export_rows(user=user, filters=filters)
    header = [str(h) for h in HEADER]
    if fmt == "xlsx":
        tmp = xlsx_file(header, itertools.islice(rows, XLSX_MAX_ROWS), title=_("Leads"))
        return FileResponse(tmp, as_attachment=True, filename=f"leads-{stamp}.xlsx",
                            content_type="application/vnd.openxmlformats-officedocument"
                            ".spreadsheetml.sheet")  # fmt: skip
    writer = csv.writer(Echo())
    lines = itertools.chain(
        [writer.writerow(header)], (writer.writerow(map(neutralise, r)) for r in rows)
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.csv"'
    return response


def _detail_context(request, lead, **extra):
    user = request.user
    timeline_limit = (
        selectors.TIMELINE_LONG
        if request.GET.get("timeline") == "all"
        else selectors.TIMELINE_SHORT
    )
    transitions = selectors.lead_available_transitions(lead=lead, user=user)
    names = {t["name"] for t in transitions}
    context = {
        "lead": lead,
        "prospect": lead.prospect,
        "company": lead.prospect.company,
        "timeline": selectors.lead_timeline(lead=lead, limit=timeline_limit),
        "timeline_limit": timeline_limit,
        "transitions": transitions,
        # The team's own lists, read only when the page offers the action or shows the reason.
        "disqualify_choices": selectors.reason_form_choices(
            team_id=lead.team_id, kind=ReasonKind.DISQUALIFY
        )
        if "disqualify" in names
        else [],
        "reject_choices": selectors.reason_form_choices(
            team_id=lead.team_id, kind=ReasonKind.REJECT
        )
        if "reject" in names
        else [],
        "reason_label": _reason_label(lead),
        "can_work": services.user_works_lead(user, lead),
        "can_claim": user.is_prospector and lead.owner_id is None,
        "can_note": services.user_works_lead(user, lead) or lead.assigned_ae_id == user.id,
        "note_form": NoteForm(),
        "call_form": CallForm(),
        "call_outcomes": CallOutcome.choices,
    }
    context.update(extra)
    return context


def _reason_label(lead) -> str:
    """The label of the lead's scrap or rejection reason, for its notice (one query, or none)."""
    if lead.state == LeadState.DISQUALIFIED and lead.disqualify_reason:
        kind, code = ReasonKind.DISQUALIFY, lead.disqualify_reason
    elif lead.state == LeadState.ENGAGED and lead.rejection_code:
        kind, code = ReasonKind.REJECT, lead.rejection_code
    else:
        return ""
    return selectors.reason_labels(kind=kind, codes=[code], team_id=lead.team_id).get(code, code)


@require_GET
def lead_detail(request, lead_id: int):
    lead = selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    return render(request, "leads/lead_detail.html", _detail_context(request, lead))


def _after_post(request, lead_id: int, fragment: str | None = None, **extra):
    """Post/Redirect/Get for plain requests; for htmx, re-render the changed fragment."""
    if request.htmx and fragment:
        lead = selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
        return render(request, fragment, _detail_context(request, lead, **extra))
    return redirect("leads:detail", lead_id=lead_id)


@require_POST
def lead_transition(request, lead_id: int, name: str):
    lead = selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    form = TransitionForm(request.POST, aes=selectors.team_aes(team_id=lead.team_id))
    if not form.is_valid():
        messages.error(
            request,
            _("The form was not valid: %(errors)s")
            % {"errors": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())},
        )
        return redirect("leads:detail", lead_id=lead_id)
    d = form.cleaned_data
    params = TransitionParams(
        reason=d["reason"],
        note=d["note"],
        recycle_on=d["recycle_on"],
        ae_id=d["ae"],
        brief=d["brief"],
    )
    try:
        lead = services.lead_transition(
            actor=request.user,
            lead_id=lead_id,
            name=name,
            expected_state=d["expected_state"] or None,
            params=params,
        )
    except (LeadConflict, LeadInvalid) as exc:
        messages.error(request, str(exc))
    except NotFound:  # visible a moment ago (checked above)
        return lead_changed_meanwhile(request)
    else:
        messages.success(
            request, _("Lead is now %(state)s.") % {"state": LeadState(lead.state).label}
        )
    if request.htmx:
        return HttpResponseClientRedirect(reverse("leads:detail", args=[lead_id]))
    return redirect("leads:detail", lead_id=lead_id)


@require_POST
def lead_note(request, lead_id: int):
    selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    form = NoteForm(request.POST)
    extra = {}
    if form.is_valid():
        try:
            services.lead_add_note(
                actor=request.user, lead_id=lead_id, body=form.cleaned_data["body"]
            )
        except LeadInvalid as exc:
            form.add_error("body", str(exc))
            extra["note_form"] = form
        else:
            extra["flash"] = _("Note added.")
    else:
        extra["note_form"] = form
    if not request.htmx and "note_form" in extra:
        messages.error(request, _("The note was empty: nothing was saved."))
    return _after_post(request, lead_id, "leads/_activity.html", **extra)


@require_POST
def lead_checklist(request, lead_id: int):
    selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    item = request.POST.get("item", "")
    done = request.POST.get("done") in ("1", "true", "on")
    try:
        services.lead_set_checklist_item(actor=request.user, lead_id=lead_id, item=item, done=done)
    except LeadInvalid as exc:
        return HttpResponse(str(exc), status=400)
    return _after_post(request, lead_id, "leads/_checklist_and_timeline.html")


@require_POST
def lead_claim(request, lead_id: int):
    # No scope check here: the service locks among the claimer's team, so that the loser of
    # a race hears who claimed the lead first instead of getting a 404.
    try:
        services.lead_claim(actor=request.user, lead_id=lead_id)
    except services.LeadForbidden as exc:
        if selectors.lead_scope(request.user).filter(pk=lead_id).exists():
            raise
        raise NotFound(_("No such lead")) from exc
    except services.LeadConflict as exc:
        messages.error(request, str(exc))
        return redirect("leads:list")
    messages.success(request, _("The lead is yours."))
    return redirect("leads:detail", lead_id=lead_id)


@require_POST
def lead_bulk_assign(request):
    user = request.user
    if not (user.is_manager or user.is_admin_role):
        raise PermissionDenied
    owners = selectors.team_prospectors(team_id=user.team_id)
    form = BulkAssignForm(request.POST, owners=owners)
    ids = parse_ids(request.POST.getlist("lead"))
    back = reverse("leads:list") + (
        "?" + request.POST["query"] if request.POST.get("query") else ""
    )
    if not form.is_valid() or not ids:
        messages.error(request, _("Select leads and who to assign them to."))
        return redirect(back)
    owner = form.cleaned_data["owner"]
    try:
        changed = services.lead_bulk_assign(
            actor=user,
            lead_ids=[int(i) for i in ids],
            owner_id=None if owner == "pool" else int(owner),
        )
    except LeadError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{changed} lead{'s' if changed != 1 else ''} assigned.")
    return redirect(back)


def _form_to_data(cleaned: dict, owner_id) -> LeadData:
    return LeadData(
        **{
            k: cleaned.get(k)
            or ("" if k not in ("company_employee_count", "company_annual_revenue") else None)
            for k in LeadForm.PROSPECT_FIELDS + LeadForm.COMPANY_FIELDS
            if k != "do_not_contact"
        },
        do_not_contact=bool(cleaned.get("do_not_contact")),
        source=cleaned.get("source") or LeadSource.OUTBOUND,
        owner_id=owner_id,
    )


def _apply_lead_error(form, exc: LeadInvalid):
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


@require_http_methods(["GET", "POST"])
def lead_create(request):
    user = request.user
    if not (user.is_prospector or user.is_manager or user.is_admin_role) or user.team_id is None:
        raise PermissionDenied
    owners = (
        list(selectors.team_prospectors(team_id=user.team_id)) if not user.is_prospector else None
    )
    form = LeadForm(request.POST or None, owners=owners)
    duplicate_id = None
    if request.method == "POST" and form.is_valid():
        owner_id = form.cleaned_data.get("owner") if owners is not None else user.pk
        try:
            lead, notices = services.lead_create(
                actor=user, data=_form_to_data(form.cleaned_data, owner_id)
            )
        except services.DuplicateProspect as exc:
            duplicate_id = exc.existing_lead_id
            _apply_lead_error(form, exc)
        except LeadInvalid as exc:
            _apply_lead_error(form, exc)
        else:
            for notice in notices:
                messages.info(request, notice)
            messages.success(request, _("Lead created."))
            return redirect("leads:detail", lead_id=lead.pk)
    return render(
        request,
        "leads/lead_form.html",
        {"form": form, "creating": True, "duplicate_id": duplicate_id},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def lead_edit(request, lead_id: int):
    lead = selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    if not services.user_works_lead(request.user, lead):
        raise PermissionDenied
    prospect, company = lead.prospect, lead.prospect.company
    initial = {name: getattr(prospect, name) for name in LeadForm.PROSPECT_FIELDS}
    if company:
        initial.update({f"company_{name}": getattr(company, name) for name in COMPANY_FIELDS})
    initial.update(source=lead.source, version=lead.version, email=prospect.email or "")
    form = LeadForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.get("version")
        try:
            services.lead_update(
                actor=request.user,
                lead_id=lead_id,
                expected_version=version if version is not None else -1,
                data=_form_to_data(form.cleaned_data, lead.owner_id),
            )
        except services.LeadConflict as exc:
            form.add_error(None, str(exc))
        except LeadInvalid as exc:
            _apply_lead_error(form, exc)
        else:
            messages.success(request, _("Lead saved."))
            return redirect("leads:detail", lead_id=lead_id)
    return render(
        request,
        "leads/lead_form.html",
        {"form": form, "lead": lead, "creating": False},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def overview(request):
    """Aggregate figures by state for the user's team: counts only, no lead and no timeline.
    For marketing (who may not read leads), managers and admins."""
    user = request.user
    if not (user.is_marketing or user.is_manager or user.is_admin_role):
        raise PermissionDenied
    counts = selectors.team_state_counts(user=user)
    return render(
        request, "leads/overview.html", {"counts": counts, "total": sum(c["count"] for c in counts)}
    )
