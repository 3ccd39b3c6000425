"""Reads for the notifications page and badge: a person's own notifications only."""

from __future__ import annotations

from accounts.models import User

from .models import Notification


def notifications_for(*, user: User, limit: int = 50) -> list[Notification]:
    return list(
        Notification.objects.filter(user=user)
        .select_related("lead__prospect")
        .order_by("-created_at", "-id")[:limit]
    )


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
