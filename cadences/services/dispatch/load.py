"""Loading the claimed touches with what the send path reads, in one query."""

from django.db import connection

from leads.models import Company, Lead, Prospect
from sdrcrm.pg import model_from_row

from ...models import (
    Enrollment,
    Touch,
    TouchStatus,
)

_LOAD_COLUMNS = {
    Touch: (
        "id",
        "enrollment_id",
        "step_id",
        "position",
        "owner_id",
        "lead_id",
        "channel",
        "subject_template",
        "body_template",
        "day_offset",
        "offset_from",
        "is_breakup",
        "breakup_wait_days",
        "status",
        "due_at",
        "attempts",
        "idempotency_key",
        "reply_in_thread",
        "message_id",
        "mailbox_id",
        "rendered_subject",
        "rendered_body",
    ),
    Enrollment: (
        "id",
        "lead_id",
        "cadence_id",
        "owner_id",
        "status",
        "stop_reason",
        "stop_note",
        "time_zone",
        "country",
        "started_at",
        "paused_at",
        "ended_at",
        "scrap_due_at",
        "enrolled_by_id",
    ),
    Lead: ("id", "state", "prospect_id", "team_id", "owner_id"),
}


def load_claimed(ids: list[int]) -> list[Touch]:
    """The claimed (``sending``) touches: see ``load_touches``."""
    return load_touches(ids, TouchStatus.SENDING)


def load_touches(ids: list[int], status: str) -> list[Touch]:
    """Touches ``ids`` still in ``status`` with their enrollment, lead, prospect and company,
    and the step after each when planned, in one query.
    Instances are built by ``sdrcrm.pg.model_from_row`` (without ``Model.__init__``, a third
    of the send path's time); fields not loaded are deferred as with ``only()``."""
    columns = {
        Touch: _LOAD_COLUMNS[Touch],
        Enrollment: _LOAD_COLUMNS[Enrollment],
        Lead: _LOAD_COLUMNS[Lead],
        Prospect: (
            "id",
            "company_id",
            "first_name",
            "last_name",
            "email",
            "title",
            "time_zone",
            "do_not_contact",
            "email_bounced_at",
        ),
        Company: ("id", "name", "industry", "website", "country", "time_zone"),
    }
    aliases = {Touch: "t", Enrollment: "e", Lead: "l", Prospect: "p", Company: "c"}
    select = ", ".join(f"{aliases[m]}.{col}" for m, cols in columns.items() for col in cols)
    select += ", n.id, n.day_offset, n.offset_from"
    tables = {m: m._meta.db_table for m in columns}
    sql = (
        f"SELECT {select} FROM {tables[Touch]} t "
        f"JOIN {tables[Enrollment]} e ON e.id = t.enrollment_id "
        f"JOIN {tables[Lead]} l ON l.id = t.lead_id "
        f"JOIN {tables[Prospect]} p ON p.id = l.prospect_id "
        f"LEFT JOIN {tables[Company]} c ON c.id = p.company_id "
        # The step after it, when planned: what sending this one will schedule.
        f"LEFT JOIN {tables[Touch]} n ON n.enrollment_id = t.enrollment_id "
        "AND n.position = t.position + 1 AND n.status = 'planned' "
        f"WHERE t.id IN ({', '.join(['%s'] * len(ids))}) AND t.status = %s "
        "ORDER BY t.due_at, t.id"
    )
    result = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, status])
        rows = cursor.fetchall()
    for row in rows:
        values, i = {}, 0
        for model, cols in columns.items():
            values[model] = dict(zip(cols, row[i : i + len(cols)], strict=True))
            i += len(cols)
        touch = model_from_row(Touch, values[Touch])
        enrollment = model_from_row(Enrollment, values[Enrollment])
        lead = model_from_row(Lead, values[Lead])
        prospect = model_from_row(Prospect, values[Prospect])
        company = model_from_row(Company, values[Company]) if values[Company]["id"] else None
        prospect.company = company
        lead.prospect = prospect
        touch.enrollment = enrollment
        touch.lead = lead
        enrollment.lead = lead
        next_id, next_offset, next_from = row[i : i + 3]
        touch._next_step = (
            model_from_row(
                Touch,
                {
                    "id": next_id,
                    "enrollment_id": touch.enrollment_id,
                    "position": touch.position + 1,
                    "day_offset": next_offset,
                    "offset_from": next_from,
                },
            )
            if next_id is not None
            else None
        )
        result.append(touch)
    return result


def lookup(cache: dict, model, ids: set[int]) -> dict:
    known = cache.setdefault(model, {})
    missing = ids - known.keys()
    if missing:
        known.update(model.objects.in_bulk(missing))
    return known
