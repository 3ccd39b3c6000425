"""Set-based writer for one batch of normalised rows (PostgreSQL).

The batch is COPYed into a temporary staging table, then companies, prospects, leads and their
``created`` timeline entries are written with a handful of ``INSERT … SELECT`` statements, each
matching existing rows by their unique keys within the importing team (prospect email, company
domain: a team is a workspace, another team's rows are never matched, counted or changed) with
``ON CONFLICT DO NOTHING``, so a concurrent import or a hand-made lead of the same person in the
team is a duplicate, never an error and never a second prospect. Call inside the batch's
transaction.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from leads.fields import NO_COMPANY_IN_IMPORT
from leads.models import ACTIVE_STATES, Company, Lead, LeadEvent, Prospect
from sdrcrm.pg import copy_from

from .rows import Row

STAGE = "intake_stage"
STAGE_COLUMNS = (
    "line int, email text, first_name text, last_name text, phone text, title text, "
    "linkedin_url text, time_zone text, company_name text, domain text, website text, "
    "industry text, employee_count int, annual_revenue numeric, country text, "
    "company_linkedin_url text, owner_id bigint"
)
COPY_FIELDS = [
    "line", "email", "first_name", "last_name", "phone", "title", "linkedin_url", "time_zone",
    "company_name", "domain", "website", "industry", "employee_count", "annual_revenue",
    "country", "company_linkedin_url", "owner_id",
]  # fmt: skip
# The stage's text columns that hold '' rather than NULL when empty (all but the domain).
STAGE_NOT_NULL = [
    "email", "first_name", "last_name", "phone", "title", "linkedin_url", "time_zone",
    "company_name", "website", "industry", "country", "company_linkedin_url",
]  # fmt: skip
# Fields an "update empty fields" import may fill on an existing prospect or company.
PROSPECT_FILL = ("last_name", "phone", "title", "linkedin_url", "time_zone")
COMPANY_FILL = {
    "industry": "industry",
    "website": "website",
    "employee_count": "employee_count",
    "annual_revenue": "annual_revenue",
    "country": "country",
    "company_linkedin_url": "linkedin_url",
}


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    # (line, email, already in the CRM: else created at the same moment by someone else)
    duplicate_lines: list[tuple[int, str, bool]] = field(default_factory=list)


def _copy_rows(cursor, rows: list[Row], owners: list[int | None]) -> None:
    _copy_csv(
        cursor,
        STAGE,
        COPY_FIELDS,
        (
            (
                r.line,
                r.email,
                r.first_name,
                r.last_name,
                r.phone,
                r.title,
                r.linkedin_url,
                r.time_zone,
                r.company_name,
                r.domain,
                r.website,
                r.industry,
                r.employee_count,
                r.annual_revenue,
                r.country,
                r.company_linkedin_url,
                owner,
            )
            for r, owner in zip(rows, owners, strict=True)
        ),  # fmt: skip
        STAGE_NOT_NULL,
    )


def _defaults(model, given: set[str]) -> tuple[list[str], list]:
    """Columns (and their Python defaults) that the INSERT does not set from the stage."""
    cols, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in given:
            continue
        cols.append(f.column)
        values.append(f.get_default())
    return cols, values


def _insert_columns(model, columns: str) -> tuple[str, str, list]:
    """For an ``INSERT … SELECT`` of ``columns`` (comma-separated) into ``model``'s table: the
    column list with the model's other columns added, a ``, %s`` for each of those, and their
    default values (the parameters that go with them)."""
    dcols, dvals = _defaults(model, set(columns.replace(" ", "").split(",")))
    return columns + "".join(f", {c}" for c in dcols), ", %s" * len(dvals), dvals


def imported_from(import_name: str, import_id: int) -> str:
    """The created lead's first timeline entry, in the import's language (import_run)."""
    return _("Imported from %(name)s (import #%(id)s)") % {"name": import_name, "id": import_id}


def filled_by(import_name: str, import_id: int) -> str:
    """The start of the timeline entry of an "update empty fields" import; the fields follow."""
    return _("Empty fields filled by import #%(id)s (%(name)s): ") % {
        "name": import_name,
        "id": import_id,
    }


def write_batch(cursor, **kw) -> BatchResult:
    """Write one batch: COPY straight into the tables when nothing in it exists yet (the usual
    case), else (duplicates to fill in, a concurrent writer) the staged path."""
    if kw["rows"] and not kw["update_empty"]:
        try:
            with transaction.atomic():
                result = _write_batch_copy(cursor, **kw)
            if result is not None:
                return result
        except IntegrityError:  # an INSERT's or a COPY's (sdrcrm.pg.copy_from wraps it)
            pass  # someone created one of these people or companies just now
    return write_batch_staged(cursor, **kw)


_SEQUENCES: dict[str, str] = {}


def _nextvals(cursor, table: str, n: int) -> list[int]:
    """``n`` ids from the table's sequence. The sequence's name is looked up once: written
    inside the query, ``pg_get_serial_sequence`` would run once per id (1.5 s per 100,000)."""
    if n == 0:
        return []
    if table not in _SEQUENCES:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        _SEQUENCES[table] = cursor.fetchone()[0]
    cursor.execute(
        "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [_SEQUENCES[table], n]
    )
    return [r[0] for r in cursor.fetchall()]


_TEXT_FIELDS = (
    "CharField",
    "TextField",
    "EmailField",
    "URLField",
    "SlugField",
    "GenericIPAddressField",
)


def _not_null_text(model, columns: list[str]) -> list[str]:
    """The columns where an empty CSV value means '' (NOT NULL text), not NULL."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return [
        c for c in columns
        if not by_column[c].null and by_column[c].get_internal_type() in _TEXT_FIELDS
    ]  # fmt: skip


def _csv_value(value):
    return dumps(value) if isinstance(value, dict | list) else value


def _copy(cursor, model, columns: list[str], rows: list[tuple], tail: tuple = ()) -> None:
    """COPY ``rows`` into ``model``'s table; ``tail`` holds the values every row shares (the
    defaults of the columns the import does not set)."""
    if tail:
        tail = tuple(map(_csv_value, tail))
        rows = (row + tail for row in rows)
    _copy_csv(cursor, model._meta.db_table, columns, rows, _not_null_text(model, columns))


def _copy_csv(cursor, table: str, columns: list[str], rows, not_null: list[str]) -> None:
    """COPY ``rows`` into ``table`` in CSV format, written by the csv module's C writer
    (escaping value by value in Python cost 2.3 s per 100,000 rows). An empty unquoted value is
    NULL, except in the ``not_null`` text columns (``FORCE_NOT_NULL``), so '' and None both
    round-trip."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    options = "FORMAT csv"
    if not_null:
        options += f", FORCE_NOT_NULL ({', '.join(not_null)})"
    buf.seek(0)
    copy_from(
        cursor, f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH ({options})", buf, 1 << 20
    )


def _write_batch_copy(
    cursor, *, rows, owners, team_id, source, actor_id, import_id, import_name, update_empty, now
) -> BatchResult | None:
    """Nothing in the batch exists: ids are reserved from the sequences and every table is
    loaded with COPY. Returns None (nothing written) when some prospect already exists."""
    cursor.execute(
        f"SELECT 1 FROM {Prospect._meta.db_table} WHERE team_id = %s AND email = ANY(%s) "
        "LIMIT 1",
        [team_id, [r.email for r in rows]],
    )
    if cursor.fetchone():
        return None
    result = BatchResult()
    # Companies: by domain (matched or new), or by name within the batch when there is none.
    domains = sorted({r.domain for r in rows if r.domain})
    company_id: dict[str, int] = {}
    if domains:
        cursor.execute(
            f"SELECT domain, id FROM {Company._meta.db_table} "
            "WHERE team_id = %s AND domain = ANY(%s)",
            [team_id, domains],
        )
        company_id = dict(cursor.fetchall())
    new_companies: dict[str, Row] = {}
    for r in rows:
        key = r.domain or (r.company_name.lower() and "name:" + r.company_name.lower())
        if key and key not in company_id and key not in new_companies:
            new_companies[key] = r
    ccols = ["id", "team_id", "name", "domain", "website", "industry", "employee_count",
             "annual_revenue", "country", "linkedin_url", "created_at"]  # fmt: skip
    dcols, dvals = _defaults(Company, set(ccols))
    data = []
    for cid, (key, r) in zip(
        _nextvals(cursor, Company._meta.db_table, len(new_companies)),
        new_companies.items(),
        strict=True,
    ):
        company_id[key] = cid
        data.append(
            (cid, team_id, r.company_name or r.domain, r.domain, r.website, r.industry,
             r.employee_count, r.annual_revenue, r.country, r.company_linkedin_url, now)
        )  # fmt: skip
    if data:
        _copy(cursor, Company, ccols + dcols, data, tuple(dvals))
    # Prospects, leads and their timeline entries.
    pids = _nextvals(cursor, Prospect._meta.db_table, len(rows))
    lids = _nextvals(cursor, Lead._meta.db_table, len(rows))
    pcols = ["id", "team_id", "company_id", "first_name", "last_name", "email", "phone",
             "title", "linkedin_url", "time_zone", "created_at", "no_company_reason"]  # fmt: skip
    pdcols, pdvals = _defaults(Prospect, set(pcols))
    lcols = ["id", "team_id", "prospect_id", "source", "owner_id", "state", "state_changed_at",
             "created_at", "updated_at", "version"]  # fmt: skip
    ldcols, ldvals = _defaults(Lead, set(lcols))
    prospects, leads, events = [], [], []
    body = imported_from(import_name, import_id)
    at = now.isoformat()  # formatted once, not once per row and column
    # The payload {"import_id", "line", "source", "owner_id"}, its constant parts encoded once.
    head, source_json = f'{{"import_id": {int(import_id)}, "line": ', dumps(source)
    for r, owner, pid, lid in zip(rows, owners, pids, lids, strict=True):
        key = r.domain or (r.company_name.lower() and "name:" + r.company_name.lower())
        cid = company_id.get(key) if key else None
        prospects.append(
            (pid, team_id, cid, r.first_name, r.last_name, r.email, r.phone, r.title,
             r.linkedin_url, r.time_zone, at, "" if cid else NO_COMPANY_IN_IMPORT)
        )  # fmt: skip
        leads.append((lid, team_id, pid, source, owner, "new", at, at, at, 1))
        payload = (
            f'{head}{int(r.line)}, "source": {source_json}, '
            f'"owner_id": {"null" if owner is None else int(owner)}}}'
        )
        events.append((lid, "created", actor_id, at, "", "new", body, payload))
    _copy(cursor, Prospect, pcols + pdcols, prospects, tuple(pdvals))
    _copy(cursor, Lead, lcols + ldcols, leads, tuple(ldvals))
    _copy(
        cursor,
        LeadEvent,
        ["lead_id", "kind", "actor_id", "created_at", "from_state", "to_state", "body", "payload"],
        events,
    )
    result.created = len(rows)
    return result


def _company_insert(columns: str, params: str, head: str, source: str) -> str:
    """The one INSERT of new companies from the stage: ``head`` selects the team, name and
    domain (``%s`` for the team id), the other columns come from the staged row as they are,
    ``source`` is what they are selected from and what follows (a filter, ON CONFLICT or
    RETURNING)."""
    return (
        f"INSERT INTO {Company._meta.db_table} ({columns}) SELECT {head}, website, industry, "
        f"employee_count, annual_revenue, country, company_linkedin_url, %s{params} "
        f"FROM {source}"
    )


def write_batch_staged(
    cursor,
    *,
    rows: list[Row],
    owners: list[int | None],
    team_id: int,
    source: str,
    actor_id: int | None,
    import_id: int,
    import_name: str,
    update_empty: bool,
    now: datetime,
) -> BatchResult:
    result = BatchResult()
    if not rows:
        return result
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ({STAGE_COLUMNS}, prospect_id bigint, "
        "company_id bigint, existing boolean NOT NULL DEFAULT false, lead_id bigint) "
        "ON COMMIT DELETE ROWS"
    )
    cursor.execute(f"TRUNCATE {STAGE}")
    _copy_rows(cursor, rows, owners)
    cursor.execute(f"ANALYZE {STAGE}")

    # 1. The team's existing prospects (same normalised email) are duplicates.
    cursor.execute(
        f"UPDATE {STAGE} s SET prospect_id = p.id, existing = true "
        f"FROM {Prospect._meta.db_table} p WHERE p.team_id = %s AND p.email = s.email",
        [team_id],
    )
    if update_empty:
        result.updated = _fill_empty(cursor, team_id=team_id, actor_id=actor_id, now=now,
                                     import_id=import_id, import_name=import_name)  # fmt: skip

    # 2. The team's companies by domain (existing ones are matched, never changed here).
    company_cols = (
        "team_id, name, domain, website, industry, employee_count, annual_revenue, country, "
        "linkedin_url, created_at"
    )
    columns, params, dvals = _insert_columns(Company, company_cols)
    insert = partial(_company_insert, columns, params)
    cursor.execute(
        insert(
            "DISTINCT ON (domain) %s, coalesce(nullif(company_name, ''), domain), domain",
            f"{STAGE} WHERE NOT existing AND domain IS NOT NULL ORDER BY domain, line "
            f"ON CONFLICT (team_id, domain) WHERE domain IS NOT NULL DO NOTHING",
        ),
        [team_id, now, *dvals],
    )
    cursor.execute(
        f"UPDATE {STAGE} s SET company_id = c.id FROM {Company._meta.db_table} c "
        f"WHERE NOT s.existing AND s.domain IS NOT NULL AND c.team_id = %s "
        f"AND c.domain = s.domain",
        [team_id],
    )
    # Companies known only by name (no website, free-mail address): one per name in the batch.
    cursor.execute(
        f"WITH named AS (SELECT DISTINCT ON (lower(company_name)) * FROM {STAGE} "
        f"  WHERE NOT existing AND domain IS NULL AND company_name <> '' "
        f"  ORDER BY lower(company_name), line), "
        f"ins AS ({insert('%s, company_name, NULL', 'named RETURNING id, name')}) "
        f"UPDATE {STAGE} s SET company_id = ins.id FROM ins "
        f"WHERE NOT s.existing AND s.domain IS NULL AND lower(s.company_name) = lower(ins.name)",
        [team_id, now, *dvals],
    )

    # 3. Prospects; a conflict here means someone of the team created the same person just now.
    prospect_cols = (
        "team_id, company_id, first_name, last_name, email, phone, title, linkedin_url, time_zone, "
        "created_at, no_company_reason"
    )
    columns, params, dvals = _insert_columns(Prospect, prospect_cols)
    cursor.execute(
        f"WITH ins AS (INSERT INTO {Prospect._meta.db_table} ({columns}) "
        f"  SELECT %s, company_id, first_name, last_name, email, phone, title, linkedin_url, "
        f"  time_zone, %s, CASE WHEN company_id IS NULL THEN %s ELSE '' END{params} "
        f"  FROM {STAGE} WHERE NOT existing ORDER BY line "
        f"  ON CONFLICT (team_id, email) WHERE email IS NOT NULL DO NOTHING RETURNING id, email) "
        f"UPDATE {STAGE} s SET prospect_id = ins.id FROM ins WHERE s.email = ins.email",
        [team_id, now, NO_COMPANY_IN_IMPORT, *dvals],
    )

    # 4. Leads and 5. their timeline entries.
    lead_cols = "team_id, prospect_id, source, owner_id, state, state_changed_at, created_at, "
    lead_cols += "updated_at, version"
    columns, params, dvals = _insert_columns(Lead, lead_cols)
    cursor.execute(
        f"WITH ins AS (INSERT INTO {Lead._meta.db_table} ({columns}) "
        f"  SELECT %s, prospect_id, %s, owner_id, 'new', %s, %s, %s, 1{params} FROM {STAGE} "
        f"  WHERE NOT existing AND prospect_id IS NOT NULL ORDER BY line "
        f"  RETURNING id, prospect_id) "
        f"UPDATE {STAGE} s SET lead_id = ins.id FROM ins WHERE s.prospect_id = ins.prospect_id",
        [team_id, source, now, now, now, *dvals],
    )
    cursor.execute(
        "INSERT INTO leads_leadevent (lead_id, kind, actor_id, created_at, from_state, "
        "to_state, body, payload) "
        "SELECT lead_id, 'created', %s, %s, '', 'new', %s, jsonb_build_object("
        "'import_id', %s, 'line', line, 'source', %s::text, 'owner_id', owner_id) "
        f"FROM {STAGE} WHERE lead_id IS NOT NULL ORDER BY line",
        [actor_id, now, imported_from(import_name, import_id), import_id, source],
    )
    result.created = cursor.rowcount
    not_filled = " AND NOT coalesce(filled, false)" if update_empty else ""
    cursor.execute(
        f"SELECT line, email, existing FROM {STAGE} WHERE lead_id IS NULL{not_filled} ORDER BY line"
    )
    result.duplicate_lines = cursor.fetchall()
    return result


def _fill_empty(cursor, *, team_id, actor_id, now, import_id, import_name) -> int:
    """Fill the empty fields of existing prospects (and their companies) that have a lead in
    this team; one ``edit`` timeline entry on that lead per prospect changed."""
    cursor.execute(f"ALTER TABLE {STAGE} ADD COLUMN IF NOT EXISTS filled boolean")
    cursor.execute(f"UPDATE {STAGE} SET filled = NULL")
    p_changes = ", ".join(
        f"'{f}', CASE WHEN p.{f} = '' AND s.{f} <> '' THEN jsonb_build_array('', s.{f}) END"
        for f in PROSPECT_FILL
    )
    c_changes = ", ".join(
        f"'company_{col}', CASE WHEN (c.{col} IS NULL OR c.{col}::text = '') "
        f"AND coalesce(s.{src}::text, '') <> '' "
        f"THEN jsonb_build_array('', s.{src}::text) END"
        for src, col in COMPANY_FILL.items()
    )
    active = ", ".join(f"'{s.value}'" for s in ACTIVE_STATES)
    # One row per staged existing prospect whose team lead (the active one, else the newest)
    # gets the event; the changes are computed before anything is written.
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS intake_fill (prospect_id bigint, company_id bigint, "
        "lead_id bigint, line int, changes jsonb) ON COMMIT DELETE ROWS"
    )
    cursor.execute("TRUNCATE intake_fill")
    cursor.execute(
        f"INSERT INTO intake_fill "
        f"SELECT s.prospect_id, p.company_id, l.id, s.line, "
        f"  jsonb_strip_nulls(jsonb_build_object({p_changes}) || "
        f"  CASE WHEN c.id IS NULL THEN '{{}}'::jsonb ELSE jsonb_build_object({c_changes}) END) "
        f"FROM {STAGE} s JOIN leads_prospect p ON p.id = s.prospect_id "
        f"LEFT JOIN leads_company c ON c.id = p.company_id "
        f"JOIN LATERAL (SELECT id FROM leads_lead l WHERE l.prospect_id = p.id "
        f"  AND l.team_id = %s ORDER BY (l.state IN ({active})) DESC, l.created_at DESC "
        f"  LIMIT 1) l ON true "
        f"WHERE s.existing",
        [team_id],
    )
    cursor.execute("DELETE FROM intake_fill WHERE changes = '{}'::jsonb")
    sets = ", ".join(f"{f} = CASE WHEN p.{f} = '' THEN s.{f} ELSE p.{f} END" for f in PROSPECT_FILL)
    cursor.execute(
        f"UPDATE leads_prospect p SET {sets} FROM intake_fill x JOIN {STAGE} s "
        f"ON s.prospect_id = x.prospect_id WHERE p.id = x.prospect_id"
    )
    csets = ", ".join(
        f"{col} = CASE WHEN c.{col} IS NULL OR c.{col}::text = '' THEN "
        f"coalesce(s.{src}, c.{col}) ELSE c.{col} END"
        if col in ("employee_count", "annual_revenue")
        else f"{col} = CASE WHEN c.{col} = '' THEN s.{src} ELSE c.{col} END"
        for src, col in COMPANY_FILL.items()
    )
    cursor.execute(
        f"UPDATE leads_company c SET {csets} FROM intake_fill x JOIN {STAGE} s "
        f"ON s.prospect_id = x.prospect_id WHERE c.id = x.company_id"
    )
    cursor.execute(
        "INSERT INTO leads_leadevent (lead_id, kind, actor_id, created_at, from_state, "
        "to_state, body, payload) "
        "SELECT lead_id, 'edit', %s, %s, '', '', %s || "
        "(SELECT string_agg(replace(k, '_', ' '), ', ' ORDER BY k) "
        "FROM jsonb_object_keys(changes) k), "
        "jsonb_build_object('changes', changes, 'import_id', %s, 'line', line) "
        "FROM intake_fill ORDER BY line",
        [actor_id, now, filled_by(import_name, import_id), import_id],
    )
    updated = cursor.rowcount
    cursor.execute(
        f"UPDATE {STAGE} s SET filled = true FROM intake_fill x WHERE s.prospect_id = x.prospect_id"
    )
    return updated


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
