"""Formatting of figures, shared by the pages and the exports, in the active language."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return _("%(n)s s") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)s min") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(n)s h") % {"n": number_format(round(seconds / 3600, 1), 1, use_l10n=True)}
    return _("%(n)s d") % {"n": number_format(round(seconds / 86400, 1), 1, use_l10n=True)}


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else _("%(n)s%%") % {"n": f"{rate * 100:.0f}"}
