"""Writes of the accounts app."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from sdrcrm.errors import Invalid

from .models import User


def user_language_set(*, user: User, language: str) -> User:
    """The user's own language for their pages ("" follows the team's). Only their own row
    changes; nothing else a user holds depends on it."""
    if language and language not in dict(settings.LANGUAGES):
        raise Invalid(_("This language is not available."), field="language")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.language = language
        locked.save(update_fields=["language"])
    user.language = language
    return user
