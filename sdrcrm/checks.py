"""System checks of the product's own settings (``manage.py check --deploy``)."""

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


@checks.register(checks.Tags.security, deploy=True)
def base_url_set(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Outside development mode the public address must be set: without it cadence email is
    held (no working unsubscribe link) and notification and digest emails carry no links."""
    if settings.DEVELOPMENT or settings.SDRCRM_BASE_URL_SET:
        return []
    return [
        checks.Warning(
            _("SDRCRM_BASE_URL is not set."),
            hint=_(
                "Set it to the site's public address (e.g. https://crm.example.com): until then "
                "cadence email is held and notification and digest emails carry no links."
            ),
            id="sdrcrm.W001",
        )
    ]
