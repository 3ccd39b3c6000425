"""The notifications page (list, mark read) and the badge in the navigation."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from sdrcrm.inputs import parse_ids

from . import selectors, services


@require_http_methods(["GET", "POST"])
def notifications(request):
    user = request.user
    if not user.does_sales_work:
        raise PermissionDenied
    if request.method == "POST":
        ids = parse_ids(request.POST.getlist("id"))
        services.notifications_mark_read(actor=user, ids=ids or None)
        return redirect("notifications:list")
    return render(
        request,
        "notifications/notifications.html",
        {"notifications": selectors.notifications_for(user=user)},
    )


@require_GET
def notification_badge(request):
    if not request.user.does_sales_work:
        raise PermissionDenied
    return render(
        request,
        "notifications/_badge.html",
        {"unread": selectors.notifications_unread_count(user=request.user)},
    )
