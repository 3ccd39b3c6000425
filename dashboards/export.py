"""Downloads of the commission report: CSV and XLSX (openpyxl), formula cells neutralised."""

import csv
import io

from django.http import HttpResponse

from sdrcrm.spreadsheet import neutralise  # the one rule for every export

HEADER = ["SDR", "Lead", "Prospect", "Company", "Accepted by", "Accepted at", "Day"]


def commission_rows(report: dict, tz) -> list[list]:
    return [
        [
            neutralise(r.sdr),
            r.lead_id,
            neutralise(r.prospect),
            neutralise(r.company),
            neutralise(r.ae),
            r.accepted_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            r.day.isoformat(),
        ]
        for r in report["rows"]
    ]


def as_csv(rows: list[list], filename: str) -> HttpResponse:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    writer.writerows(rows)
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def as_xlsx(rows: list[list], filename: str) -> HttpResponse:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Commission")
    ws.append(HEADER)
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
