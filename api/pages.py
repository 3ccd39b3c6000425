"""Settings pages: personal API tokens, and the team's webhooks (managers and admins)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from leads.services import LeadConflict, LeadError, LeadForbidden, LeadInvalid

from . import selectors, services
from .forms import SubscriptionForm, TokenForm


@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """List and create tokens. A new token is shown in the response to the POST that made it,
    once, and never stored; that response is not a redirect on purpose (nothing to reload).
    Roles that do not use the API (a privacy officer) do not get the page."""
    if not request.user.does_sales_work:
        raise PermissionDenied
    form = TokenForm(request.POST or None)
    new_token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                new_token = services.api_token_create(
                    actor=request.user, name=form.cleaned_data["name"]
                )
            except LeadError as exc:
                form.add_error("name", str(exc))
                status = 400
            else:
                form = TokenForm()
                status = 201
        else:
            status = 400
    response = render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": selectors.api_tokens_for(user=request.user), "new": new_token},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def api_token_revoke(request, token_id: int):
    token = services.api_token_revoke(actor=request.user, token_id=token_id)
    messages.success(
        request, _("Token '%(name)s' is revoked: it no longer works.") % {"name": token.name}
    )
    return redirect("api_pages:tokens")


def _require_webhook_manager(user):
    if not selectors.may_manage_webhooks(user):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def webhooks(request):
    user = request.user
    _require_webhook_manager(user)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_create(
                actor=user,
                team_id=user.team_id,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
        except LeadForbidden as exc:
            form.add_error(None, str(exc))
        except LeadError as exc:
            form.add_error(getattr(exc, "field", None), str(exc))
        else:
            messages.success(request, _("Subscription added."))
            return redirect("api_pages:webhooks")
    secret = services.inbound_secret_get(user.team_id) if user.team_id else None
    return render(
        request,
        "api/webhooks.html",
        {
            "form": form,
            "subscriptions": selectors.subscriptions_for(user=user),
            "deliveries": selectors.deliveries_for(user=user),
            "inbound_secret": secret,
            "team_id": user.team_id,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def webhook_toggle(request, subscription_id: int):
    _require_webhook_manager(request.user)
    active = request.POST.get("active") == "1"
    services.subscription_set_active(
        actor=request.user, subscription_id=subscription_id, active=active
    )
    messages.success(request, _("Subscription turned on.") if active else _("Subscription paused."))
    return redirect("api_pages:webhooks")


@require_POST
def webhook_resend(request, delivery_id: int):
    _require_webhook_manager(request.user)
    try:
        services.delivery_resend(actor=request.user, delivery_id=delivery_id)
    except (LeadConflict, LeadInvalid) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The delivery is being sent again."))
    return redirect("api_pages:webhooks")


@require_POST
def inbound_secret_rotate(request):
    user = request.user
    _require_webhook_manager(user)
    if user.team_id is None:
        messages.error(request, _("Only a member of a team can set its inbound secret."))
        return redirect("api_pages:webhooks")
    services.inbound_secret_rotate(actor=user, team_id=user.team_id)
    messages.success(request, "A new inbound secret is set; the old one no longer works.")
    return redirect("api_pages:webhooks")
