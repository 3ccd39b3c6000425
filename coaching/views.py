from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from leads.services import LeadConflict, LeadInvalid

from . import selectors, services
from .forms import FeedbackForm


@require_GET
def feedback_list(request):
    if not (services.user_coaches(request.user) or request.user.is_prospector):
        raise PermissionDenied
    items = selectors.feedback_list(user=request.user)
    return render(
        request,
        "coaching/feedback_list.html",
        {
            "items": items,
            "open_count": sum(1 for f in items if f.acknowledged_at is None),
            "is_sdr": request.user.is_prospector,
        },
    )


@require_POST
def feedback_create(request, lead_id: int):
    form = FeedbackForm(request.POST)
    target = reverse("leads:detail", args=[lead_id]) + "#coaching"
    if not form.is_valid():
        messages.error(request, _("Choose praise or advice and write the feedback."))
        return redirect(target)
    d = form.cleaned_data
    try:
        services.feedback_create(
            actor=request.user,
            lead_id=lead_id,
            kind=d["kind"],
            body=d["body"],
            event_id=d["event"],
        )
    except (LeadConflict, LeadInvalid) as exc:
        messages.error(request, str(exc))
        return redirect(target)
    messages.success(request, _("Feedback saved: the SDR sees it on the lead and in their list."))
    return redirect(target)


@require_POST
def feedback_acknowledge(request, feedback_id: int):
    services.feedback_acknowledge(actor=request.user, feedback_id=feedback_id)
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("coaching:list")
