from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import VERIFIED, session_started, two_factor_required


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    session_started(session)
    if two_factor_required(user):
        session[VERIFIED] = False  # pending: TwoFactorMiddleware asks for a code
