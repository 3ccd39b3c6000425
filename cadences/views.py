"""Cadence pages, the Today queue and the public unsubscribe page. Thin: parse, start from the
user, call one service, respond."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from leads.forms import CallForm
from leads.models import CallOutcome
from leads.selectors import team_prospectors
from sdrcrm import clock
from sdrcrm.errors import Conflict, Invalid
from sdrcrm.i18n import render_for_prospect
from sdrcrm.inputs import parse_id, parse_ids

from . import selectors, services, templating
from .context import unsubscribe_touch_id
from .forms import (
    CadenceForm,
    CompleteForm,
    EnrollForm,
    PreviewForm,
    ReminderForm,
    SnippetForm,
    StepForm,
    StepFormSet,
    StepPreviewForm,
    StopForm,
    forms_in_order,
)
from .models import Touch
from .services import CadenceData, CadenceInvalid, StepData, content_language

# A conflict with the lead's state or wrong input is shown as a message on the page the POST
# names as ``next`` (the middleware would go back to the Referer); NotFound and NotAllowed are
# the middleware's (404 and 403 pages).
SHOWN_ERRORS = (Conflict, Invalid)


def _require_cadence_user(user):
    if not (user.is_prospector or user.is_manager or user.is_admin_role):
        raise PermissionDenied


def _back(request, default: str) -> str:
    """Where to return after a POST: the posted ``next`` if it is a local path."""
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return default


# --- Cadence templates ----------------------------------------------------------------------


@require_GET
def cadence_list(request):
    _require_cadence_user(request.user)
    archived = request.GET.get("archived") == "1"
    return render(
        request,
        "cadences/cadence_list.html",
        {
            "cadences": list(selectors.cadence_list(user=request.user, archived=archived)),
            "archived": archived,
            "snippets": list(selectors.snippet_list(user=request.user)),
        },
    )


def _cadence_data(form, formset) -> CadenceData:
    steps = []
    for f in formset.ordered_forms:
        d = f.cleaned_data
        if not d or d.get("DELETE") or not d.get("channel"):
            continue
        steps.append(
            StepData(
                id=d.get("id"),
                channel=d["channel"],
                day_offset=d.get("day_offset") or 0,
                offset_from=d.get("offset_from") or "previous",
                subject_template=d.get("subject_template", ""),
                body_template=d.get("body_template", ""),
                instructions=d.get("instructions", ""),
                is_breakup=bool(d.get("is_breakup")),
                breakup_wait_days=d.get("breakup_wait_days") or 5,
                reply_in_thread=bool(d.get("reply_in_thread")),
            )
        )
    c = form.cleaned_data
    return CadenceData(
        name=c["name"],
        description=c.get("description", ""),
        language=c.get("language", ""),
        window_start=c["window_start"],
        window_end=c["window_end"],
        window_days="".join(sorted(c["window_days"])),
        stop_on_colleague_reply=bool(c.get("stop_on_colleague_reply")),
        steps=steps,
    )


def _locked(request, cadence):
    """A cadence the user sees but may not change: why, and the copy button."""
    return render(request, "cadences/cadence_locked.html", {"cadence": cadence}, status=403)


def _editor(request, cadence=None):
    user = request.user
    _require_cadence_user(user)
    if cadence is not None and not selectors.cadence_can_change(user, cadence):
        return _locked(request, cadence)
    if request.method == "POST":
        form = CadenceForm(request.POST)
        formset = StepFormSet(request.POST, prefix="steps")
        if form.is_valid() and formset.is_valid():
            data = _cadence_data(form, formset)
            try:
                if cadence is None:
                    cadence = services.cadence_create(actor=user, data=data)
                else:
                    services.cadence_update(actor=user, cadence_id=cadence.pk, data=data)
            except CadenceInvalid as exc:
                target = exc.field if exc.field in form.fields else None
                form.add_error(target, str(exc))
            else:
                messages.success(request, _("Cadence “%(name)s” saved.") % {"name": data.name})
                return redirect("cadences:detail", cadence_id=cadence.pk)
        status = 400
    else:
        status = 200
        if cadence is None:
            form = CadenceForm(initial={"language": content_language(user.team)})
            formset = StepFormSet(prefix="steps")
        else:
            form = CadenceForm(
                initial={
                    "name": cadence.name,
                    "description": cadence.description,
                    "language": cadence.language,
                    "window_start": cadence.window_start,
                    "window_end": cadence.window_end,
                    "window_days": list(cadence.window_days),
                    "stop_on_colleague_reply": cadence.stop_on_colleague_reply,
                }
            )
            formset = StepFormSet(
                prefix="steps",
                initial=[
                    {name: getattr(s, name) for name in StepForm.base_fields}
                    for s in cadence.steps.all()
                ],
            )
    return render(
        request,
        "cadences/cadence_form.html",
        {
            "form": form,
            "formset": formset,
            "step_forms": forms_in_order(formset),
            "cadence": cadence,
            "fields": templating.FIELDS,
            "snippets": list(selectors.snippet_list(user=user)),
            # The picker offers the snippets in the cadence's language first.
            "snippet_language": cadence.language if cadence else content_language(user.team),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def cadence_create(request):
    return _editor(request)


@require_http_methods(["GET", "POST"])
def cadence_edit(request, cadence_id: int):
    cadence = selectors.cadence_get_for_user(user=request.user, cadence_id=cadence_id)
    return _editor(request, cadence)


@require_POST
def step_preview(request):
    """The editor's live preview of one email step: its subject and body as typed, with the
    placeholders filled for a sample lead by the substitution the dispatcher sends with."""
    _require_cadence_user(request.user)
    form = StepPreviewForm(request.POST)
    if not form.is_valid():
        return render(request, "cadences/_step_preview.html", {"invalid": True}, status=400)
    preview = selectors.step_preview(
        user=request.user,
        subject=form.cleaned_data["subject_template"],
        body=form.cleaned_data["body_template"],
    )
    return render(request, "cadences/_step_preview.html", {"preview": preview})


@require_GET
def cadence_detail(request, cadence_id: int):
    """The cadence's steps and a preview of the calendar a start date and time zone produce."""
    cadence = selectors.cadence_get_for_user(user=request.user, cadence_id=cadence_id)
    now = timezone.localtime()
    form = PreviewForm(
        request.GET or None,
        initial={"start": now.strftime("%Y-%m-%dT%H:%M"), "timezone": "Europe/Oslo"},
    )
    if form.is_bound and form.is_valid():
        start = form.start_in_zone()
        tz_name, country = form.cleaned_data["timezone"], form.cleaned_data["country"]
    else:
        start, tz_name, country = now, "Europe/Oslo", "NO"
    preview = selectors.cadence_preview(
        cadence=cadence, start=start, tz_name=tz_name, country=country
    )
    return render(
        request,
        "cadences/cadence_detail.html",
        {
            "cadence": cadence,
            "form": form,
            "preview": preview,
            "tz_name": tz_name,
            "can_change": selectors.cadence_can_change(request.user, cadence),
        },
    )


@require_POST
def cadence_add_standard(request):
    _require_cadence_user(request.user)
    if request.user.team_id is None:
        raise PermissionDenied
    cadence = services.cadence_ensure_standard(team_id=request.user.team_id, actor=request.user)
    messages.success(request, _("“%(name)s” is ready.") % {"name": cadence.name})
    return redirect("cadences:detail", cadence_id=cadence.pk)


@require_POST
def cadence_copy(request, cadence_id: int):
    _require_cadence_user(request.user)
    copy = services.cadence_copy(actor=request.user, cadence_id=cadence_id)
    messages.success(
        request, _("Copied as “%(name)s”. Edit it to make it your own.") % {"name": copy.name}
    )
    return redirect("cadences:edit", cadence_id=copy.pk)


@require_POST
def cadence_archive(request, cadence_id: int):
    _require_cadence_user(request.user)
    archived = request.POST.get("archived", "1") == "1"
    cadence = services.cadence_set_archived(
        actor=request.user, cadence_id=cadence_id, archived=archived
    )
    messages.success(
        request,
        (
            _("“%(name)s” archived: it takes no new enrollments.")
            if archived
            else _("“%(name)s” is active again.")
        )
        % {"name": cadence.name},
    )
    return redirect("cadences:detail", cadence_id=cadence_id)


@require_http_methods(["GET", "POST"])
def snippet_list(request):
    user = request.user
    _require_cadence_user(user)
    form = SnippetForm(request.POST or None, initial={"language": content_language(user.team)})
    if request.method == "POST" and form.is_valid():
        try:
            services.snippet_save(actor=user, **form.cleaned_data)
        except CadenceInvalid as exc:
            form.add_error("title", str(exc))
        else:
            messages.success(request, _("Snippet saved."))
            return redirect("cadences:snippets")
    return render(
        request,
        "cadences/snippets.html",
        {"form": form, "snippets": list(selectors.snippet_list(user=user))},
        status=400 if request.method == "POST" else 200,
    )


# --- Enrollment -----------------------------------------------------------------------------


@require_POST
def enroll(request):
    """Enroll one lead (from its page) or many (from the lead list selection)."""
    user = request.user
    _require_cadence_user(user)
    form = EnrollForm(
        request.POST, cadences=selectors.cadence_scope(user).filter(is_archived=False)
    )
    ids = parse_ids(request.POST.getlist("lead"))
    back = _back(request, reverse("leads:list"))
    if not form.is_valid() or not ids:
        messages.error(request, _("Select leads and a cadence to enroll them in."))
        return _enroll_done(request, back)
    cadence_id = form.cleaned_data["cadence"]
    result = services.enrollment_bulk_create(
        actor=user, lead_ids=ids, cadence_id=cadence_id, confirm=request.POST.get("confirm") == "1"
    )
    if result.enrolled:
        n = len(result.enrolled)
        messages.success(
            request, ngettext("%(n)s lead enrolled.", "%(n)s leads enrolled.", n) % {"n": n}
        )
    for lead_id, reason in result.refused[:10]:
        messages.error(
            request,
            _("Lead #%(id)s not enrolled: %(reason)s") % {"id": lead_id, "reason": reason},
        )
    if len(result.refused) > 10:
        messages.error(
            request,
            _("… and %(n)s more not enrolled.") % {"n": len(result.refused) - 10},
        )
    if result.to_confirm:
        # Another SDR works these leads' companies: ask, and enroll them on a second,
        # confirmed submit (docs/design.md, "Two SDRs at one company").
        context = {"asks": result.to_confirm, "cadence_id": cadence_id, "next": back}
        if request.htmx:
            return render(request, "cadences/_enroll_confirm.html", context)
        return render(request, "cadences/enroll_confirm.html", context)
    return _enroll_done(request, back)


def _enroll_done(request, back: str):
    """Back to the page, messages and all: htmx loads it whole (its form is replaced)."""
    if request.htmx:
        return HttpResponseClientRedirect(back)
    return redirect(back)


def _enrollment_action(request, enrollment_id: int, action, success: str):
    try:
        enrollment = action()
    except SHOWN_ERRORS as exc:
        messages.error(request, str(exc))
        return redirect(_back(request, reverse("today")))
    messages.success(request, success)
    return redirect(_back(request, reverse("leads:detail", args=[enrollment.lead_id])))


@require_POST
def enrollment_pause(request, enrollment_id: int):
    return _enrollment_action(
        request,
        enrollment_id,
        lambda: services.enrollment_pause(actor=request.user, enrollment_id=enrollment_id),
        _("Cadence paused."),
    )


@require_POST
def enrollment_resume(request, enrollment_id: int):
    return _enrollment_action(
        request,
        enrollment_id,
        lambda: services.enrollment_resume(actor=request.user, enrollment_id=enrollment_id),
        _("Cadence resumed: the next steps were rescheduled from now."),
    )


@require_POST
def enrollment_stop(request, enrollment_id: int):
    form = StopForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the cadence stops."))
        return redirect(_back(request, reverse("today")))
    return _enrollment_action(
        request,
        enrollment_id,
        lambda: services.enrollment_stop(
            actor=request.user,
            enrollment_id=enrollment_id,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        ),
        _("Cadence stopped."),
    )


@require_POST
def holiday(request):
    """Pause (or resume) all of the user's own enrollments, or an SDR's for their manager."""
    user = request.user
    owner_id = parse_id(request.POST.get("owner") or user.pk)
    if owner_id is None:
        raise Http404("No such SDR")
    resume = request.POST.get("resume") == "1"
    fn = services.enrollment_resume_all if resume else services.enrollment_pause_all
    n = fn(actor=user, owner_id=owner_id)
    text = (
        ngettext("%(n)s cadence resumed.", "%(n)s cadences resumed.", n)
        if resume
        else ngettext("%(n)s cadence paused.", "%(n)s cadences paused.", n)
    )
    messages.success(request, text % {"n": n})
    return redirect(_back(request, reverse("today")))


@require_POST
def lead_reply(request, lead_id: int):
    """The SDR marks that the prospect answered (the inbound webhook does the same)."""
    try:
        services.lead_record_reply(
            lead_id=lead_id, actor=request.user, body=request.POST.get("body", "")[:5000]
        )
    except SHOWN_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Reply recorded: the cadence stopped and the lead is engaged."))
    return redirect("leads:detail", lead_id=lead_id)


@require_POST
def reminder_create(request, lead_id: int):
    form = ReminderForm(request.POST)
    back = _back(request, reverse("leads:detail", args=[lead_id]))
    if not form.is_valid():
        messages.error(request, _("Give the reminder a time and say what to do."))
        return redirect(back)
    try:
        services.reminder_create(actor=request.user, lead_id=lead_id, **form.cleaned_data)
    except SHOWN_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        proposal = request.session.get("proposed_reminder") or {}
        if proposal.get("lead_id") == lead_id:  # the voicemail follow-up was accepted
            request.session.pop("proposed_reminder", None)
        when = timezone.localtime(form.cleaned_data["due_at"])
        messages.success(
            request, _("Reminder set for %(when)s.") % {"when": date_format(when, "D d M H:i")}
        )
    return redirect(back)


@require_POST
def reminder_done(request, reminder_id: int):
    services.reminder_done(actor=request.user, reminder_id=reminder_id)
    messages.success(request, _("Reminder done."))
    return redirect(_back(request, reverse("today")))


# --- The Today page -------------------------------------------------------------------------


@require_GET
def today(request):
    user = request.user
    if not (user.is_prospector or user.is_manager or user.is_admin_role):
        raise PermissionDenied
    owner = user
    owner_id = parse_id(request.GET.get("sdr", ""))
    if owner_id is not None and owner_id != user.pk:
        owner = team_prospectors(team_id=user.team_id).filter(pk=owner_id).first()
        if owner is None:
            raise Http404("No such SDR")
    queue = selectors.today_queue(user=user, owner=owner)
    return render(
        request,
        "cadences/today.html",
        {
            "queue": queue,
            "owner": owner,
            "sdrs": list(team_prospectors(team_id=user.team_id)) if user.is_manager else [],
            "outcomes": services.OUTCOMES_BY_CHANNEL,
            "now": clock.now(),
            "paused_count": user.enrollments.filter(status="paused").count()
            if user.is_prospector
            else 0,
        },
    )


@require_POST
def touch_complete(request, touch_id: int):
    form = CompleteForm(request.POST)
    back = _back(request, reverse("today"))
    if not form.is_valid():
        messages.error(request, _("Choose an outcome."))
        return redirect(back)
    try:
        result = services.touch_complete(actor=request.user, touch_id=touch_id, **form.cleaned_data)
    except SHOWN_ERRORS as exc:
        messages.error(request, str(exc))
        return redirect(back)
    touch = result.touch
    messages.success(
        request,
        _("%(channel)s with %(name)s: %(outcome)s.")
        % {
            "channel": touch.get_channel_display(),
            "name": touch.lead.prospect.full_name,
            "outcome": touch.get_outcome_display(),
        },
    )
    _propose_follow_up(request, result, form.cleaned_data["outcome"])
    return redirect(back)


def _propose_follow_up(request, result: services.TaskResult, outcome: str) -> None:
    """Offer the follow-up reminder of a call that reached no one (Today's and the lead page's
    "Proposed reminder" card, cadences/_proposed_reminder.html), until accepted or dismissed."""
    if not result.propose_reminder_at:
        return
    request.session["proposed_reminder"] = {
        "lead_id": result.lead.pk,
        "lead": result.lead.prospect.full_name,
        "due_at": timezone.localtime(result.propose_reminder_at).strftime("%Y-%m-%dT%H:%M"),
        "note": str(FOLLOW_UP_NOTES.get(outcome, FOLLOW_UP_NOTES["voicemail"])),
    }


# The proposed reminder's note, by the call's outcome (services.FOLLOW_UP_OUTCOMES).
FOLLOW_UP_NOTES = {
    "voicemail": gettext_lazy("Call back after the voicemail"),
    "no_answer": gettext_lazy("Call back: no answer last time"),
}


@require_POST
def lead_call(request, lead_id: int):
    """A call logged on the lead page: the same service and follow-up proposal as Today."""
    form = CallForm(request.POST)
    back = reverse("leads:detail", args=[lead_id])
    if not form.is_valid():
        messages.error(request, _("Choose the call's outcome: nothing was saved."))
        return redirect(back)
    outcome = form.cleaned_data["outcome"]
    try:
        result = services.lead_call_log(
            actor=request.user, lead_id=lead_id, outcome=outcome, notes=form.cleaned_data["notes"]
        )
    except SHOWN_ERRORS as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(
        request, _("Call logged: %(outcome)s.") % {"outcome": CallOutcome(outcome).label}
    )
    _propose_follow_up(request, result, outcome)
    return redirect(back)


@require_POST
def touch_skip(request, touch_id: int):
    try:
        services.touch_skip(
            actor=request.user, touch_id=touch_id, note=request.POST.get("note", "")[:1000]
        )
    except SHOWN_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Step skipped; the next one is scheduled."))
    return redirect(_back(request, reverse("today")))


def _touch_action(request, service, touch_id: int, done: str):
    """Run one service on a held touch for the user and say how it went, back where they were."""
    try:
        service(actor=request.user, touch_id=touch_id)
    except SHOWN_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(_back(request, reverse("today")))


@require_POST
def touch_release(request, touch_id: int):
    return _touch_action(
        request,
        services.touch_release_held,
        touch_id,
        _("The email will go out at the next sending slot."),
    )


@require_POST
def touch_override(request, touch_id: int):
    """Send despite the lead's hard disqualifier (recorded on the timeline)."""
    return _touch_action(
        request,
        services.touch_override_disqualifier,
        touch_id,
        _("Overridden: the held emails go out at the next sending slot."),
    )


@require_POST
def touch_scrap(request, touch_id: int):
    """Scrap the lead for its hard disqualifier: the cadence stops, nothing more goes out."""
    return _touch_action(
        request,
        services.touch_scrap_disqualified,
        touch_id,
        _("Lead scrapped; its cadence is stopped."),
    )


@require_POST
def touch_settle(request, touch_id: int):
    """The SDR's word on an email whose sending no one could confirm: sent, or not."""
    sent = request.POST.get("sent")
    back = _back(request, reverse("today"))
    if sent not in ("0", "1"):
        messages.error(request, _("Say whether the email was sent."))
        return redirect(back)
    try:
        touch = services.touch_settle_uncertain(
            actor=request.user, touch_id=touch_id, sent=sent == "1"
        )
    except SHOWN_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        if touch.status == "sent":
            messages.success(request, _("Recorded as sent."))
        elif touch.status == "scheduled":
            messages.success(request, _("The email will go out again at the next sending slot."))
        else:
            messages.success(request, _("Recorded as not sent; the cadence has ended."))
    return redirect(back)


@require_POST
def dismiss_proposal(request):
    user = request.user
    if not (user.is_prospector or user.is_manager or user.is_admin_role):  # the Today page's
        raise PermissionDenied
    request.session.pop("proposed_reminder", None)
    return redirect(_back(request, reverse("today")))


# --- Unsubscribe (public) -------------------------------------------------------------------


@login_not_required
@csrf_exempt  # RFC 8058 one-click POSTs come from mail providers; the signed token protects it
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows a confirmation button (link scanners must not unsubscribe anyone); POST, from
    that button or a mail client's one-click header, unsubscribes for good."""
    touch_id = unsubscribe_touch_id(token)
    touch = (
        Touch.objects.select_related("lead__prospect", "lead__team", "enrollment__cadence")
        .filter(pk=touch_id)
        .first()
        if touch_id
        else None
    )
    # The page is in the prospect's language: the cadence's, else the team's (sdrcrm/i18n.py).
    language = {"team": touch.lead.team, "cadence": touch.enrollment.cadence} if touch else {}
    if touch is not None and not touch.lead.prospect.email and touch.lead.prospect.do_not_contact:
        # The person was erased (privacy): their address is suppressed for good already.
        done = {"done": True, "email": "", "company": settings.SDRCRM_COMPANY_NAME}
        return render_for_prospect(request, "cadences/unsubscribe.html", done, **language)
    if touch is None or not touch.lead.prospect.email:
        return render(request, "cadences/unsubscribe.html", {"invalid": True}, status=404)
    email = touch.lead.prospect.email
    if request.method == "POST":
        services.email_record_unsubscribe(email=email, note="unsubscribe link")
        return render_for_prospect(
            request,
            "cadences/unsubscribe.html",
            {"done": True, "email": email, "company": settings.SDRCRM_COMPANY_NAME},
            **language,
        )
    return render_for_prospect(
        request,
        "cadences/unsubscribe.html",
        {"email": email, "token": token, "company": settings.SDRCRM_COMPANY_NAME},
        **language,
    )
