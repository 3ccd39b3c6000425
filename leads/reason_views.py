"""The manager's page of the team's reasons (scrap and rejection): add, rename, deactivate or
activate, reorder. Thin views: the manager only, one service per POST, Post/Redirect/Get."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .forms import ReasonAddForm, ReasonChangeForm
from .models import ReasonKind
from .services import LeadInvalid


def _require_manager(user) -> int:
    if not (user.is_manager and user.team_id):
        raise PermissionDenied
    return user.team_id


def _page(request, team_id: int, *, add_form=None, status=200):
    lists = [
        {
            "kind": kind,
            "label": kind.label,
            "reasons": selectors.reason_list(team_id=team_id, kind=kind),
            "form": add_form
            if add_form is not None and add_form.data.get("kind") == kind.value
            else ReasonAddForm(initial={"kind": kind.value}, auto_id=f"{kind.value}_%s"),
        }
        for kind in ReasonKind
    ]
    return render(request, "leads/reasons.html", {"lists": lists}, status=status)


@require_http_methods(["GET", "POST"])
def reason_list(request):
    team_id = _require_manager(request.user)
    if request.method == "GET":
        # The team's lists exist from here on (a team made after the seeding migration).
        services.reasons_ensure(team_id=team_id)
        return _page(request, team_id)
    kind = request.POST.get("kind", "")
    form = ReasonAddForm(request.POST, auto_id=f"{kind}_%s" if kind in ReasonKind.values else True)
    if form.is_valid():
        try:
            services.reason_create(
                actor=request.user, kind=form.cleaned_data["kind"], label=form.cleaned_data["label"]
            )
        except LeadInvalid as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Reason added."))
            return redirect("leads:reasons")
    return _page(request, team_id, add_form=form, status=400)


@require_POST
def reason_change(request, reason_id: int):
    _require_manager(request.user)
    form = ReasonChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("leads:reasons")
    action, label = form.cleaned_data["action"], form.cleaned_data["label"]
    try:
        if action in ("up", "down"):
            services.reason_move(actor=request.user, reason_id=reason_id, up=action == "up")
        elif action == "rename":
            services.reason_update(actor=request.user, reason_id=reason_id, label=label)
        else:
            services.reason_update(
                actor=request.user, reason_id=reason_id, is_active=action == "activate"
            )
    except LeadInvalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Reasons saved."))
    return redirect("leads:reasons")
