"""Lead export: the lead list with its filters, as CSV (streamed) or XLSX, within the user's
scope. Every cell goes through ``sdrcrm.spreadsheet.neutralise``."""

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .selectors import SORTS, LeadFilters, lead_list

HEADER = [
    _("Lead id"), _("State"), _("Source"), _("Owner"), _("AE"), _("Score"), _("First name"),
    _("Last name"), _("Email"), _("Phone"), _("Title"), _("Company"), _("Domain"),
    _("Industry"), _("Employees"), _("Country"), _("Created"), _("State changed"),
]  # fmt: skip
XLSX_MAX_ROWS = 1_048_575  # Excel's limit, less the header


def lead_export_rows(*, user: User, filters: LeadFilters) -> Iterator[list]:
    """The rows in the list's order, read with one server-side cursor in chunks."""
    order = [("-" if desc else "") + name for name, desc in SORTS[filters.sort][1]]
    qs = lead_list(user=user, filters=filters).order_by(*order)
    tz = timezone.get_current_timezone()
    for lead in qs.iterator(chunk_size=2000):
        p = lead.prospect
        c = p.company
        yield [
            lead.pk, lead.get_state_display(), lead.get_source_display(),
            str(lead.owner) if lead.owner else "",
            str(lead.assigned_ae) if lead.assigned_ae else "",
            lead.score if lead.score is not None else "", p.first_name, p.last_name,
            p.email or "", p.phone, p.title, c.name if c else "", (c.domain or "") if c else "",
            c.industry if c else "", c.employee_count if c and c.employee_count is not None else "",
            c.country if c else "", lead.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            lead.state_changed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        ]  # fmt: skip
