"""Downloads of the commission report: CSV and XLSX (openpyxl), formula cells neutralised."""

import csv
import io
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils.translation import gettext as _

from sdrcrm.spreadsheet import neutralise  # the one rule for every export


def commission_table(report: dict, *, zone: str | None) -> list[list]:
    """The header and the rows. "Accepted at" and "Day" are both in the lead's team's time
    zone: ``zone`` names it when every row is of one team (a team's or an SDR's report), in
    the header; for all teams (``zone=None``) a "Time zone" column names each row's."""
    header = [
        _("SDR"),
        _("Lead"),
        _("Prospect"),
        _("Company"),
        _("Accepted by"),
        _("Accepted at (%(zone)s)") % {"zone": zone or _("the team's time zone")},
        _("Day"),
    ]
    if zone is None:
        header.append(_("Time zone"))
    rows = [header]
    for r in report["rows"]:
        row = [
            neutralise(r.sdr),
            r.lead_id,
            neutralise(r.prospect),
            neutralise(r.company),
            neutralise(r.ae),
            r.accepted_at.astimezone(ZoneInfo(zone or r.time_zone)).strftime("%Y-%m-%d %H:%M"),
            r.day.isoformat(),
        ]
        if zone is None:
            row.append(r.time_zone)
        rows.append(row)
    return rows


def as_csv(rows: list[list], filename: str) -> HttpResponse:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerows(rows)
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def as_xlsx(rows: list[list], filename: str) -> HttpResponse:
    # Imported here, not at the top: openpyxl takes about 0.4 s to import, and only an XLSX
    # export needs it (every web and worker process would pay it at start).
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Commission"))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
