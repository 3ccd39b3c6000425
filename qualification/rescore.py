"""The rule score, set-based: the same arithmetic as ``qualification.scoring.score_lead``,
written as SQL CASE expressions generated from a model version and applied to a team's open
leads in batches by lead id, one transaction per batch.

Every value from the model travels as a query parameter; only table and column names (from
the models' metadata) are put into the SQL text.

Two ways to get a lead's inputs:

* **read**: join the lead to its prospect, company and answers. For leads never scored and
  leads changed since their inputs were read. The batch computes into a temporary table,
  upserts ``qualification_leadscore`` (inputs and score) and then ``leads_lead.score``.
* **cached**: the inputs stored on ``qualification_leadscore`` by the last read. What a model
  change uses for every other open lead: one narrow table, no join to prospects, companies or
  answers, so a million leads rescore in seconds.

Inputs are current while the lead's ``updated_at`` is still the one stored with them (exact
equality, not a clock comparison: an edit committed just after a batch read the lead still
counts as a change). No write overwrites a newer row: one from a later model version, one an SDR
saved from newer answers, or one read from a later version of the lead. ``leads_lead.score`` is
written only where it changes and only for leads still open; a lead that moved on keeps the
score it left with (the AE sees the score of the hand-off).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace
from itertools import count

from django.conf import settings
from django.db import connection, transaction

from leads.models import OPEN_STATES, Company, Lead, Prospect

from .models import LeadAnswers, LeadScore, ScoringModel
from .scoring import (
    ROLE_AUTHORITY,
    SCORE_MAX,
    SCORE_MIN,
    Authority,
    Budget,
    Fit,
    Need,
    ScoringConfig,
    Timeline,
    industry_key,
)

OPEN = [s.value for s in OPEN_STATES]
INPUTS = ("employee_count", "industry", "budget", "timeline", "authority", "need", "fit")
_temp_names = count(1)


def _in(values) -> tuple[str, list]:
    values = list(values)
    return "(" + ", ".join(["%s"] * len(values)) + ")", values


def _points_case(column: str, choices, points: dict[str, int]) -> tuple[str, list]:
    sql, params = [f"CASE {column}"], []
    for c in choices:
        sql.append("WHEN %s THEN %s")
        params += [c.value, points[c.value]]
    sql.append("ELSE %s END")
    params.append(points["unknown"])
    return " ".join(sql), params


def inputs_read(where: str, where_params: list) -> tuple[str, list]:
    """SELECT lead_id, the inputs, answers_at, lead_updated_at for the leads ``where`` picks
    (aliases: l lead, p prospect, c company, q answers)."""
    role_sql = ["CASE"]
    role_params: list = []
    for role, authority in ROLE_AUTHORITY.items():
        role_sql.append("WHEN p.role = %s THEN %s")
        role_params += [role, authority]
    role_sql.append("ELSE '' END")
    sql = (
        "SELECT l.id AS lead_id, c.employee_count AS employee_count, "
        "LOWER(COALESCE(c.industry, '')) AS industry, q.budget AS budget, "
        "COALESCE(q.timeline, '') AS timeline, "
        f"COALESCE(NULLIF(q.authority, ''), {' '.join(role_sql)}) AS authority, "
        "COALESCE(q.need, '') AS need, COALESCE(q.fit, '') AS fit, q.updated_at AS answers_at, "
        "l.updated_at AS lead_updated_at "
        f"FROM {Lead._meta.db_table} l "
        f"JOIN {Prospect._meta.db_table} p ON p.id = l.prospect_id "
        f"LEFT JOIN {Company._meta.db_table} c ON c.id = p.company_id "
        f"LEFT JOIN {LeadAnswers._meta.db_table} q ON q.lead_id = l.id "
        f"WHERE {where}"
    )
    return sql, role_params + list(where_params)


def expressions(config: ScoringConfig, col: str) -> tuple[tuple[str, list], tuple[str, list]]:
    """((points SQL, params), (disqualifier SQL, params)) over the input columns, each named
    ``col`` + column name (e.g. ``f.`` for a subquery, the table name for an UPDATE)."""
    params: list = []

    size = [f"CASE WHEN {col}employee_count IS NULL THEN %s"]
    params.append(config.size_unknown_points)
    for band in config.size_bands:
        if band.max_employees is None:
            size.append(f"WHEN {col}employee_count >= %s THEN %s")
            params += [band.min_employees, band.points]
        else:
            size.append(f"WHEN {col}employee_count >= %s AND {col}employee_count <= %s THEN %s")
            params += [band.min_employees, band.max_employees, band.points]
    size.append("ELSE 0 END")

    # Targets and exclusions never overlap: the model refuses it.
    industry = [f"CASE WHEN {col}industry = '' THEN 0"]
    for name, points in config.target_industries:
        industry.append(f"WHEN {col}industry = %s THEN %s")
        params += [industry_key(name), points]
    excluded = [industry_key(n) for n in config.excluded_industries]
    if excluded:
        sql, p = _in(excluded)
        industry.append(f"WHEN {col}industry IN {sql} THEN 0")
        params += p
    industry.append("ELSE %s END")
    params.append(config.other_industry_points)

    bp = config.budget_points
    budget = (
        f"CASE WHEN {col}budget IS NULL THEN %s WHEN {col}budget >= %s THEN %s "
        f"WHEN {col}budget >= %s THEN %s ELSE %s END"
    )
    params += [
        bp["unknown"],
        config.price_list,
        bp[Budget.AFFORD],
        config.price_floor,
        bp[Budget.STRETCH],
        bp[Budget.CANNOT],
    ]

    answers = []
    for column, choices, points in (
        ("timeline", Timeline, config.timeline_points),
        ("authority", Authority, config.authority_points),
        ("need", Need, config.need_points),
        ("fit", Fit, config.fit_points),
    ):
        sql, p = _points_case(f"{col}{column}", choices, points)
        answers.append(sql)
        params += p
    points_sql = "(" + " + ".join([" ".join(size), " ".join(industry), budget, *answers]) + ")"

    # The first hard disqualifier that applies, in the order of scoring.DISQUALIFIERS.
    dq, dq_params = [], []
    if config.min_employees is not None:
        dq.append(f"WHEN {col}employee_count IS NOT NULL AND {col}employee_count < %s THEN 'size'")
        dq_params.append(config.min_employees)
    if excluded:
        sql, p = _in(excluded)
        dq.append(f"WHEN {col}industry IN {sql} THEN 'industry'")
        dq_params += p
    if config.need_none_disqualifies:
        dq.append(f"WHEN {col}need = %s THEN 'need'")
        dq_params.append(Need.NONE.value)
    if config.budget_cannot_disqualifies:
        dq.append(f"WHEN {col}budget IS NOT NULL AND {col}budget < %s THEN 'budget'")
        dq_params.append(config.price_floor)
    dq_sql = ("CASE " + " ".join(dq) + " ELSE '' END") if dq else "''"
    return (points_sql, params), (dq_sql, dq_params)


def _clamp(points_sql: str) -> str:
    """The points kept within the score's range."""
    return f"GREATEST({SCORE_MIN}, LEAST({SCORE_MAX}, {points_sql}))"


def score_select(config: ScoringConfig, inputs: tuple[str, list]) -> tuple[str, list]:
    """SELECT every column of ``inputs`` plus points, disqualifier and score."""
    inputs_sql, inputs_params = inputs
    (points_sql, points_params), (dq_sql, dq_params) = expressions(config, "f.")
    sql = (
        "SELECT t.*, "
        f"CASE WHEN t.disqualifier <> '' THEN 0 ELSE {_clamp('t.points')} END AS score "
        f"FROM (SELECT f.*, {points_sql} AS points, {dq_sql} AS disqualifier "
        f"FROM ({inputs_sql}) f) t"
    )
    return sql, points_params + dq_params + inputs_params


def _lead_score_update(open_sql: str) -> str:
    """A CTE setting leads_lead.score from the rows ``written`` returned, for open leads,
    where it differs."""
    lead_t = Lead._meta.db_table
    return (
        f"changed AS (UPDATE {lead_t} SET score = written.score FROM written "
        f"WHERE {lead_t}.id = written.lead_id AND {lead_t}.id >= %s AND {lead_t}.id < %s "
        f"AND {lead_t}.state IN {open_sql} AND {lead_t}.score IS DISTINCT FROM written.score "
        f"RETURNING {lead_t}.id)"
    )


def _write(cursor, write_sql: str, write_params: list, lo: int, hi: int) -> tuple[int, int]:
    """Run the write of qualification_leadscore (``write_sql`` RETURNING lead_id, score), then
    copy the written scores to leads_lead. Returns (rows written, leads whose score changed)."""
    open_sql, open_params = _in(OPEN)
    score_t = LeadScore._meta.db_table
    cursor.execute(
        f"WITH written AS ({write_sql} RETURNING {score_t}.lead_id, {score_t}.score), "
        + _lead_score_update(open_sql)
        + " SELECT (SELECT COUNT(*) FROM written), (SELECT COUNT(*) FROM changed)",
        [*write_params, lo, hi, *open_params],
    )
    return tuple(cursor.fetchone())


def rescore_batch_read(
    model: ScoringModel, *, lo: int, hi: int, only_outdated: bool
) -> tuple[int, int]:
    """Read the inputs of the team's open leads with lo <= id < hi (only those without a
    current score when ``only_outdated``), score them and write. In the caller's transaction.
    Returns (leads scored, leads whose score changed)."""
    open_sql, open_params = _in(OPEN)
    score_t, lead_t = LeadScore._meta.db_table, Lead._meta.db_table
    where = f"l.team_id = %s AND l.state IN {open_sql} AND l.id >= %s AND l.id < %s"
    where_params = [model.team_id, *open_params, lo, hi]
    todo = None
    if only_outdated:
        # Which leads need reading, first, on their own: usually none or a few, and then the
        # joins to prospects, companies and answers are for those alone.
        todo = f"qual_todo_{next(_temp_names)}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE {todo} AS SELECT l.id FROM {lead_t} l WHERE {where} "
                f"AND NOT EXISTS (SELECT 1 FROM {score_t} s WHERE s.lead_id = l.id "
                "AND s.lead_id >= %s AND s.lead_id < %s AND s.model_id = %s "
                "AND s.lead_updated_at = l.updated_at)",
                [*where_params, lo, hi, model.pk],
            )
            if cursor.rowcount == 0:
                cursor.execute(f"DROP TABLE {todo}")
                return 0, 0
        where += f" AND l.id IN (SELECT id FROM {todo})"
    select_sql, params = score_select(model.scoring, inputs_read(where, where_params))
    temp = f"qual_rescore_{next(_temp_names)}"
    columns = ", ".join(INPUTS)
    upsert = (
        f"INSERT INTO {score_t} (lead_id, model_id, score, points, disqualifier, {columns}, "
        "lead_updated_at, answers_at) "
        f"SELECT lead_id, %s, score, points, disqualifier, {columns}, lead_updated_at, "
        f"answers_at FROM {temp} "
        "ON CONFLICT (lead_id) DO UPDATE SET model_id = excluded.model_id, "
        "score = excluded.score, points = excluded.points, "
        "disqualifier = excluded.disqualifier, "
        + ", ".join(f"{c} = excluded.{c}" for c in INPUTS)
        + ", lead_updated_at = excluded.lead_updated_at, answers_at = excluded.answers_at "
        f"WHERE {score_t}.model_id <= excluded.model_id "
        f"AND {score_t}.lead_updated_at <= excluded.lead_updated_at "
        f"AND ({score_t}.answers_at IS NULL OR excluded.answers_at >= {score_t}.answers_at)"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {temp} AS {select_sql}", params)
        scanned = cursor.rowcount
        changed = 0
        if scanned:
            _, changed = _write(cursor, upsert, [model.pk], lo, hi)
        cursor.execute(f"DROP TABLE {temp}")
        if todo:
            cursor.execute(f"DROP TABLE {todo}")
    return scanned, changed


def rescore_batch_cached(model: ScoringModel, *, lo: int, hi: int) -> tuple[int, int]:
    """Rescore from their stored inputs the team's open leads with lo <= id < hi whose
    inputs are still current (the lead has not changed since they were read). In the
    caller's transaction. Returns (leads scored, leads whose score changed).

    One UPDATE of the score rows computing from each row's own columns: were the row changed
    meanwhile (an SDR saving answers), PostgreSQL recomputes from its latest version."""
    open_sql, open_params = _in(OPEN)
    score_t, lead_t = LeadScore._meta.db_table, Lead._meta.db_table
    (points_sql, points_params), (dq_sql, dq_params) = expressions(model.scoring, f"{score_t}.")
    update = (
        f"UPDATE {score_t} SET model_id = %s, points = {points_sql}, "
        f"disqualifier = {dq_sql}, "
        f"score = CASE WHEN ({dq_sql}) <> '' THEN 0 ELSE {_clamp(points_sql)} END "
        f"FROM {lead_t} l WHERE l.id = {score_t}.lead_id "
        f"AND l.team_id = %s AND l.state IN {open_sql} AND l.id >= %s AND l.id < %s "
        f"AND {score_t}.lead_id >= %s AND {score_t}.lead_id < %s "
        f"AND {score_t}.lead_updated_at = l.updated_at AND {score_t}.model_id <= %s"
    )
    params = [
        model.pk,
        *points_params,
        *dq_params,
        *dq_params,
        *points_params,
        model.team_id,
        *open_params,
        lo,
        hi,
        lo,
        hi,
        model.pk,
    ]
    with connection.cursor() as cursor:
        return _write(cursor, update, params, lo, hi)


@dataclass
class RescoreResult:
    scanned: int = 0  # open leads scored
    changed: int = 0  # leads whose Lead.score changed
    read: int = 0  # of the scanned, those whose inputs were read afresh
    batches: int = 0
    superseded: bool = False  # stopped because a newer model version appeared


def _id_bounds(team_id: int) -> tuple[int, int] | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(id), MAX(id) FROM {Lead._meta.db_table} WHERE team_id = %s", [team_id]
        )
        lo, hi = cursor.fetchone()
    return None if lo is None else (lo, hi)


def _open_count(team_id: int, lo: int, hi: int) -> int:
    open_sql, open_params = _in(OPEN)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {Lead._meta.db_table} WHERE team_id = %s "
            f"AND state IN {open_sql} AND id >= %s AND id < %s",
            [team_id, *open_params, lo, hi],
        )
        return cursor.fetchone()[0]


# How a team is rescored:
CHANGE = "change"  # after a model change: stored inputs where current, read the rest
SWEEP = "sweep"  # read only the leads without a current score (new or changed leads)
FULL = "full"  # read every open lead afresh (nightly)


def _batch(model: ScoringModel, mode: str, start: int, end: int) -> RescoreResult | None:
    """One batch in its own transaction; None if a newer model version appeared."""
    part = RescoreResult(batches=1)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Room for the batch's hash joins in memory instead of on disk.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # A batch's commit need not wait for its WAL to reach the disk: were the
            # server to crash just after, the batch is lost, not corrupted, and the
            # periodic sweep scores again every lead whose score is not from the
            # current version.
            cursor.execute("SET LOCAL synchronous_commit = off")
        if ScoringModel.objects.filter(team_id=model.team_id, version__gt=model.version).exists():
            return None
        read = True
        if mode == CHANGE:
            part.scanned, part.changed = rescore_batch_cached(model, lo=start, hi=end)
            # Every open lead of the range had current inputs: nothing to read.
            read = part.scanned != _open_count(model.team_id, start, end)
        if read:
            scanned, changed = rescore_batch_read(
                model, lo=start, hi=end, only_outdated=mode != FULL
            )
            part.scanned += scanned
            part.read += scanned
            part.changed += changed
    return part


def default_workers() -> int:
    return int(settings.SDRCRM_RESCORE_WORKERS)


def rescore_team(
    model: ScoringModel,
    *,
    mode: str = CHANGE,
    batch_size: int = 100_000,
    workers: int | None = None,
    on_batch=None,
) -> RescoreResult:
    """Score the open leads of ``model``'s team, one transaction per batch of
    ``batch_size`` lead ids. Stops early if a newer version of the team's model appears: that
    version's own rescore takes over.

    Outside a transaction, ``workers`` connections (default 2, the setting
    SDRCRM_RESCORE_WORKERS) take batches in parallel: an UPDATE runs on one core, and the
    batches touch disjoint rows. Inside a transaction (the tests) it runs on the caller's
    connection, one batch after the other."""
    if mode not in (CHANGE, SWEEP, FULL):
        raise ValueError(f"unknown mode {mode}")
    result = RescoreResult()
    bounds = _id_bounds(model.team_id)
    if bounds is None:
        return result
    starts = deque(range(bounds[0], bounds[1] + 1, batch_size))
    workers = default_workers() if workers is None else workers
    lock = threading.Lock()

    def add(part: RescoreResult | None) -> RescoreResult | None:
        with lock:
            if part is None:
                result.superseded = True
                return None
            result.scanned += part.scanned
            result.changed += part.changed
            result.read += part.read
            result.batches += part.batches
            return replace(result)

    def next_start() -> int | None:
        with lock:
            if result.superseded or errors or not starts:
                return None
            return starts.popleft()

    errors: list[BaseException] = []

    def run() -> None:
        while (start := next_start()) is not None:
            progress = add(_batch(model, mode, start, start + batch_size))
            if progress is not None and on_batch is not None:
                on_batch(progress)

    parallel = workers > 1 and len(starts) > 1 and not connection.in_atomic_block
    if not parallel:
        run()
        return result

    def thread_main() -> None:
        try:
            run()
        except BaseException as exc:  # re-raised in the caller below
            with lock:
                errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=thread_main) for _ in range(min(workers, len(starts)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return result
