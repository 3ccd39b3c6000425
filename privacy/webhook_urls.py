"""django-anymail's webhook URLs (/anymail/<provider>/tracking/), public: the provider
authenticates with HTTP basic auth (ANYMAIL_WEBHOOK_SECRET), not with a login. Mounted only
when ANYMAIL_WEBHOOK_SECRET is set (sdrcrm/urls.py)."""

from anymail.urls import urlpatterns as anymail_patterns
from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern

urlpatterns = [
    URLPattern(p.pattern, login_not_required(p.callback), p.default_args, p.name)
    for p in anymail_patterns
]
