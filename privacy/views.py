"""Export and erasure of a data subject's personal data.

- From a lead's page (managers and admins, on leads they see): ``prospect_export``,
  ``prospect_erase``.
- The data-subject page, by email address (``subject``, ``subject_export``, ``subject_erase``):
  admins and privacy officers for every team, a manager for their own team, 403 for everyone
  else. Every request on it is a POST with the address in the body, so that the address is in
  no URL, browser history or access log; the search is a read and answers the results
  directly, export and erasure write the audit log."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .forms import SubjectEraseForm, SubjectForm


def _json_download(data: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def prospect_export(request, lead_id: int):
    data = services.prospect_export(actor=request.user, lead_id=lead_id)
    return _json_download(data, f"prospect-{data['prospect_id']}.json")


@require_http_methods(["GET", "POST"])
def prospect_erase(request, lead_id: int):
    """GET asks to confirm; POST erases."""
    prospect = services.prospect_for(request.user, lead_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "erase":
            messages.error(request, _('Type "erase" to confirm.'))
            return redirect("privacy:erase", lead_id=lead_id)
        services.prospect_erase(actor=request.user, lead_id=lead_id)
        messages.success(
            request,
            _(
                "The prospect's personal data was erased. Their address stays suppressed "
                "(as a hash), so they are not emailed again."
            ),
        )
        return redirect("leads:detail", lead_id=lead_id)
    return render(
        request,
        "privacy/erase.html",
        {"prospect": prospect, "lead_id": lead_id, "erased": services.prospect_is_erased(prospect)},
    )


# --- The data-subject page ------------------------------------------------------------------


def _require_subject_page(user) -> None:
    if not services.may_act_for_subjects(user):
        raise PermissionDenied


def _page(request, *, form, email=None, erase_form=None, status=200):
    """The page: the search form and, for a valid address, the people held with it."""
    user = request.user
    people = services.subject_find(actor=user, email=email) if email else []
    was_erased = bool(email and not people) and services.subject_was_erased(actor=user, email=email)
    context = {
        "form": form,
        "email": email,
        "people": people,
        "across_teams": services.acts_across_teams(user),
        "was_erased": was_erased,
        "erase_form": erase_form or SubjectEraseForm(initial={"email": email}),
    }
    response = render(request, "privacy/subject.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def subject(request):
    """GET: the search form. POST: the people held with the address (a read)."""
    _require_subject_page(request.user)
    if request.method == "GET":
        return _page(request, form=SubjectForm())
    form = SubjectForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    return _page(request, form=form, email=form.cleaned_data["email"])


@require_POST
def subject_export(request):
    _require_subject_page(request.user)
    form = SubjectForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    email = form.cleaned_data["email"]
    data = services.subject_export(actor=request.user, email=email)
    if data is None:  # the page says nobody is held
        return _page(request, form=form, email=email, status=404)
    return _json_download(data, f"personal-data-{timezone.localdate():%Y-%m-%d}.json")


@require_POST
def subject_erase(request):
    """Erase everyone held with the address in the user's scope, after the confirmation and
    a reason. A second erasure (a double click) changes nothing and says so."""
    _require_subject_page(request.user)
    erase_form = SubjectEraseForm(request.POST)
    if not erase_form.is_valid():
        email = erase_form.cleaned_data.get("email")
        search = SubjectForm({"email": email} if email else request.POST)
        search.is_valid()
        return _page(request, form=search, email=email, erase_form=erase_form, status=400)
    data = erase_form.cleaned_data
    changed = services.subject_erase(actor=request.user, email=data["email"], reason=data["reason"])
    if changed is None:
        messages.info(request, _("Nobody is held with this address: nothing was erased."))
        return redirect("privacy:subject")
    rows = changed["leads.prospect"]
    messages.success(
        request,
        ngettext(
            "The person's personal data was erased (%(count)d record). Their address stays "
            "suppressed as a hash, so they are not emailed again.",
            "The person's personal data was erased (%(count)d records, one per team). Their "
            "address stays suppressed as a hash, so they are not emailed again.",
            rows,
        )
        % {"count": rows},
    )
    return redirect("privacy:subject")
