"""Thin views: parse, authorise by starting from the user, call one service, respond.

Domain errors a view does not catch become pages in one place (sdrcrm.middleware: not allowed
is a 403 page, not found a 404); a view catches wrong input or a conflict only to show it on
its form or as a message. Non-htmx POSTs redirect.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leads.models import OPEN_STATES, LeadState, ProspectRole, ReasonKind
from leads.pages import lead_changed_meanwhile
from leads.selectors import lead_get_for_user, reason_form_choices
from leads.services import LeadInvalid, user_works_lead
from sdrcrm.errors import Conflict, Invalid, NotFound

from . import selectors, services
from .brief_draft import brief_draft
from .forms import AEProfileForm, AnswersForm, QualifyForm, RejectForm, ScoringModelForm
from .models import Decision
from .scoring import Authority, authority_role_conflict, lead_facts, score_lead

# --- The scoring model ------------------------------------------------------------------------


def _require_manager(user):
    if not (user.is_manager or user.is_admin_role) or user.team_id is None:
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def scoring_model(request):
    user = request.user
    _require_manager(user)
    current = selectors.scoring_model_for_team(user.team_id)
    form = ScoringModelForm(
        request.POST or None,
        initial=ScoringModelForm.initial_for(current.scoring, current.version),
    )
    if request.method == "POST" and form.is_valid():
        try:
            model, created = services.scoring_model_save(
                actor=user,
                team_id=user.team_id,
                config=form.to_config(),
                based_on_version=form.cleaned_data["based_on_version"],
                note=form.cleaned_data["note"],
            )
        except (Conflict, Invalid) as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                messages.success(
                    request,
                    _(
                        "Saved as version %(version)s. The team's open leads are being "
                        "rescored in the background."
                    )
                    % {"version": model.version},
                )
            else:
                messages.info(request, _("Nothing changed: the model is as it was."))
            return redirect("qualification:model")
    return render(
        request,
        "qualification/scoring_model.html",
        {
            "form": form,
            "current": current,
            "history": selectors.scoring_model_history(user.team_id),
            "max_points": current.scoring.max_points(),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Qualifying a lead ------------------------------------------------------------------------


def _typed_answers(data) -> services.Answers:
    """The answers in ``data`` (a POST, or the live preview's GET) as the score reads them:
    one that is not valid (a budget of "abc") counts as not known yet, the others count."""
    form = AnswersForm(data)
    form.is_valid()  # cleaned_data then holds every answer that is valid
    return form.to_answers()


def _qualify_context(request, lead, form, saved_answers):
    user = request.user
    model = selectors.scoring_model_for_team(lead.team_id)
    # A refused decision (an empty brief, a missing reason) shows the answers as submitted,
    # and so their score, as the live preview showed it while they were typed: not the
    # saved answers the form does not show any more.
    answers = _typed_answers(form.data) if form.is_bound else saved_answers
    facts = lead_facts(lead.prospect, answers)
    result = score_lead(facts, model.scoring)
    conflict = authority_role_conflict(facts)
    return {
        "authority_conflict": {
            "authority": Authority(conflict[0]).label,
            "role": ProspectRole(conflict[1]).label,
        }
        if conflict
        else None,
        "lead": lead,
        "prospect": lead.prospect,
        "company": lead.prospect.company,
        "form": form,
        "model": model,
        "result": result,
        "is_manager": user.is_manager or user.is_admin_role,
        "can_qualify_state": lead.state
        in (LeadState.RESEARCHING, LeadState.CONTACTING, LeadState.ENGAGED, LeadState.QUALIFIED),
    }


def _initial(lead, row) -> dict:
    initial = {"expected_state": lead.state, "ae": "route"}
    if row is not None:
        initial.update(
            budget=row.budget,
            timeline=row.timeline,
            authority=row.authority,
            need=row.need,
            fit=row.fit,
        )
    return initial


def _brief_key(lead_id: int) -> str:
    return f"qualify_brief_{lead_id}"


def _brief_initial(lead, row) -> dict[str, str]:
    """What the brief fields start from: the brief the SDR last wrote for this lead, else a
    draft from the saved answers (qualification/brief_draft.py) for the SDR to edit. Every
    decision is recorded on the answers' row: without one, there is no brief to look for."""
    decided = row is not None and row.last_decision_id is not None
    written = selectors.lead_last_brief(lead_id=lead.pk) if decided else {}
    prospect = lead.prospect
    who = ", ".join(part for part in (prospect.full_name, prospect.title) if part)
    draft = brief_draft(lead_facts(prospect, row), who=who)
    return {
        f"brief_{name}": str(written.get(name) or "") or draft[name]
        for name, _label in services.BRIEF_FIELDS
    }


def _brief_edits(form, start: dict[str, str]) -> dict[str, str]:
    """The brief fields the SDR changed from what the page started from: "Save answers" keeps
    them for the page it redirects to, which would otherwise show a new draft over them."""
    return {
        key: value
        for key in start
        if (value := form.cleaned_data.get(key) or "").strip() and value != start[key]
    }


_FIELD_MAP = {
    "reason": "disqualify_reason",
    "note": "disqualify_note",
    "brief": "brief_need",
}


@require_http_methods(["GET", "POST"])
def lead_qualify(request, lead_id: int):
    user = request.user
    lead = lead_get_for_user(user=user, lead_id=lead_id)
    if not user_works_lead(user, lead):
        raise PermissionDenied
    if lead.state not in OPEN_STATES:
        messages.info(
            request,
            _("The lead is %(state)s: nothing to qualify.") % {"state": lead.get_state_display()},
        )
        return redirect("leads:detail", lead_id=lead.pk)
    aes = selectors.team_aes_for_handoff(team_id=lead.team_id)
    saved = selectors.lead_answers(lead_id=lead.pk)
    brief_start = _brief_initial(lead, saved)
    initial = _initial(lead, saved) | brief_start
    if request.method == "GET":
        initial |= request.session.pop(_brief_key(lead.pk), {})
    form = QualifyForm(
        request.POST or None,
        initial=initial,
        aes=aes,
        disqualify_choices=reason_form_choices(team_id=lead.team_id, kind=ReasonKind.DISQUALIFY),
    )
    if request.method == "POST" and form.is_valid():
        data = form.to_input()
        try:
            if form.cleaned_data["action"] == "save":
                services.lead_answers_save(actor=user, lead_id=lead.pk, answers=data.answers)
                if edits := _brief_edits(form, brief_start):
                    request.session[_brief_key(lead.pk)] = edits
                messages.success(request, _("Answers saved."))
                return redirect("qualification:qualify", lead_id=lead.pk)
            outcome = services.lead_qualify(actor=user, lead_id=lead.pk, data=data)
        except Invalid as exc:
            field = _FIELD_MAP.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, str(exc))
        except Conflict as exc:
            form.add_error(None, str(exc))
        except NotFound:
            return lead_changed_meanwhile(request)
        else:
            decision = outcome.decision.decision
            if decision in (Decision.QUALIFY, Decision.HAND_OFF):
                text = (
                    _("Qualified and routed to %(ae)s.")
                    if outcome.routed
                    else _("Qualified and handed to %(ae)s.")
                )
                messages.success(request, text % {"ae": outcome.ae})
            elif decision == Decision.DISQUALIFY:
                messages.success(request, _("Lead scrapped."))
            else:
                messages.success(
                    request,
                    _("Lead nurtured until %(date)s.")
                    % {"date": date_format(outcome.lead.recycle_on, "d M Y")},
                )
            return redirect("leads:detail", lead_id=lead.pk)
    context = _qualify_context(request, lead, form, saved)
    return render(
        request,
        "qualification/qualify.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def lead_qualify_preview(request, lead_id: int):
    """The score and its breakdown for the answers typed so far (htmx, no side effect)."""
    user = request.user
    lead = lead_get_for_user(user=user, lead_id=lead_id)
    if not user_works_lead(user, lead):
        raise PermissionDenied
    model = selectors.scoring_model_for_team(lead.team_id)
    result = score_lead(lead_facts(lead.prospect, _typed_answers(request.GET)), model.scoring)
    return render(
        request,
        "qualification/_score.html",
        {"result": result, "model": model, "is_manager": user.is_manager or user.is_admin_role},
    )


# --- The AE queue -----------------------------------------------------------------------------


@require_GET
def ae_queue(request):
    user = request.user
    if not (user.is_ae and user.team_id):
        raise PermissionDenied
    context = selectors.ae_queue(user=user)
    context["reject_choices"] = reason_form_choices(team_id=user.team_id, kind=ReasonKind.REJECT)
    return render(request, "qualification/ae_queue.html", context)


def _ae_decision_view(request, lead_id: int, decide):
    user = request.user
    lead = lead_get_for_user(user=user, lead_id=lead_id)  # 404 unless the user sees it
    back = request.POST.get("next") or reverse("qualification:queue")
    if not back.startswith("/"):
        back = reverse("qualification:queue")
    try:
        decide(lead)
    except (Conflict, Invalid) as exc:
        messages.error(request, str(exc))
    except NotFound:
        return lead_changed_meanwhile(request, back)
    return redirect(back)


@require_POST
def handoff_accept(request, lead_id: int):
    def decide(lead):
        services.handoff_accept(actor=request.user, lead_id=lead.pk)
        messages.success(
            request, _("Accepted: %(name)s is yours.") % {"name": lead.prospect.full_name}
        )

    return _ae_decision_view(request, lead_id, decide)


@require_POST
def handoff_reject(request, lead_id: int):
    def decide(lead):
        form = RejectForm(
            request.POST,
            reason_choices=reason_form_choices(team_id=lead.team_id, kind=ReasonKind.REJECT),
        )
        if not form.is_valid():
            raise LeadInvalid(" ".join(e for errors in form.errors.values() for e in errors))
        services.handoff_reject(
            actor=request.user,
            lead_id=lead.pk,
            reason=form.cleaned_data["reason"],
            reason_code=form.cleaned_data["reason_code"],
        )
        messages.success(
            request,
            _("Rejected: %(name)s went back to the SDR.") % {"name": lead.prospect.full_name},
        )

    return _ae_decision_view(request, lead_id, decide)


@require_POST
def ae_profile(request, ae_id: int):
    """A manager sets an AE's capacity and away flag; an AE marks themselves away or back."""
    user = request.user
    form = AEProfileForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Capacity is a whole number from 0 to 500."))
    else:
        d = form.cleaned_data
        try:
            services.ae_profile_update(
                actor=user,
                ae_id=ae_id,
                capacity=d["capacity"],
                is_away=d["is_away"],
            )
        except Invalid as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved."))
    return redirect("qualification:queue" if user.is_ae else "qualification:handoffs")


@require_GET
def handoffs(request):
    """Managers: the team's waiting hand-offs, AE capacity, SDR figures. SDRs: their own."""
    user = request.user
    if not (user.is_manager or user.is_prospector) or user.team_id is None:
        raise PermissionDenied
    return render(request, "qualification/handoffs.html", selectors.team_handoffs(user=user))
