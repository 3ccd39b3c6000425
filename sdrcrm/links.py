"""Absolute links to the product's own pages, for emails to its users (notifications, the
morning digest).

The public address is ``SDRCRM_BASE_URL``. In development mode (``make run``) it is derived from
the port served (scripts/dev-env.sh). Outside development mode an unset address gives no link at
all: a link to ``http://127.0.0.1:8000`` in a user's inbox leads nowhere, so the email says less
rather than something wrong (and ``manage.py check --deploy`` warns, see ``sdrcrm.checks``).
"""

from django.conf import settings


def public_url(path: str) -> str | None:
    """``path`` (starting with "/") on the public address, or None when it is not known."""
    if not (settings.DEVELOPMENT or settings.SDRCRM_BASE_URL_SET):
        return None
    return settings.SDRCRM_BASE_URL.rstrip("/") + path
