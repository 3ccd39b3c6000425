"""Reads for the settings pages, starting from the user."""

from django.db.models import QuerySet

from accounts.models import User

from .models import ApiToken, WebhookDelivery, WebhookSubscription


def api_tokens_for(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")


def may_manage_webhooks(user: User) -> bool:
    return user.is_admin_role or (user.is_manager and user.team_id is not None)


def subscriptions_for(*, user: User) -> QuerySet[WebhookSubscription]:
    qs = WebhookSubscription.objects.select_related("team").order_by("-created_at")
    if user.is_admin_role:
        return qs
    if not may_manage_webhooks(user):
        return qs.none()
    return qs.filter(team_id=user.team_id)


def deliveries_for(*, user: User, limit: int = 100) -> list[WebhookDelivery]:
    subs = subscriptions_for(user=user).values("pk")
    return list(
        WebhookDelivery.objects.filter(subscription_id__in=subs)
        .select_related("subscription")
        .order_by("-created_at", "-id")[:limit]
    )
