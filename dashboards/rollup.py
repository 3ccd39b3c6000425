"""The rollup: timeline events → facts → day counts. Incremental, idempotent, exact.

A periodic task reads ``leads_leadevent`` after a cursor (the highest id done) in batches. One
SQL statement per batch derives the facts of each event (docs/metrics.md says which), inserts
them with ``ON CONFLICT DO NOTHING`` on (event, metric, dimension), and adds only the rows it
really inserted to ``dashboards_daycount`` in the same statement. Reading an event twice is
therefore harmless, which is what makes the look-back safe: each run re-reads the last
``SDRCRM_DASHBOARDS_OVERLAP_IDS`` ids below the cursor, so an event whose transaction committed
after a later id had been read is still counted (once). Two runs at the same time cannot count
a fact twice either: the second insert waits on the unique index and then does nothing.

After the facts, two statements of the same transaction derive ``WorkedDay`` (the days each lead
was touched, and the touch day before each) from the batch's facts and count them in
``WorkedCount``, for "leads worked".

Everything a fact needs is taken from the timeline as it was at the event: the SDR credited is
the prospector who acted, else the lead's owner at that moment (the last assignment before it,
or the owner recorded at creation); the day is the team's local day. Later edits of the lead do
not change a fact.
"""

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from leads.models import LeadEvent

from .metrics import WORKED_METRICS
from .models import DayCount, Fact, RollupCursor, WorkedCount, WorkedDay

CURSOR = "facts"
LOCK_KEY = 0x5D2C_DA5B  # pg advisory lock: one rollup at a time (a second run just skips)

STAGES = ["new", "researching", "contacting", "engaged", "qualified", "handed_off", "accepted"]
LINKEDIN = ("linkedin_connect", "linkedin_message")
INBOUND_SOURCES = ("inbound", "web_form")
EMAIL_CHANNELS = ("auto_email", "manual_email")

_STAGE_ARRAY = "ARRAY[" + ", ".join(f"'{s}'" for s in STAGES) + "]::text[]"
# A touch (docs/metrics.md): an email sent or logged, a call, or a cadence step done (a LinkedIn
# step, a task); not a reminder or a skipped step. The same as leads.selectors.TOUCH_EVENT_Q
# (speed to lead on the lead page, the SDR's pace on Today).
_TOUCH = (
    "({a}.kind IN ('email', 'call') OR ({a}.kind = 'task' AND {a}.payload ? 'touch_id' "
    "AND NOT {a}.payload ? 'skipped'))"
)

_FACT_COLUMNS = (
    "event_id, metric, dim, lead_id, team_id, user_id, ae_id, source, cadence_id, step, day, at, "
    "seconds"
)

_DAYCOUNT_KEY = "team_id, day, user_id, metric, dim, source, cadence_id, step"
# Day counts: facts summed per key (from the facts just inserted, or from all of them).
_DAYCOUNT_INSERT = (
    f"INSERT INTO dashboards_daycount ({_DAYCOUNT_KEY}, n, seconds_sum) "
    f"SELECT {_DAYCOUNT_KEY}, COUNT(*), COALESCE(SUM(seconds), 0) "
    f"FROM {{facts}} GROUP BY {_DAYCOUNT_KEY}"
)

# Each event's facts (docs/metrics.md): the CTE "facts" of the statements below.
_FACTS_CTE = f"""
WITH ev AS MATERIALIZED (
    SELECT e.id AS event_id, e.lead_id, e.kind, e.actor_id, e.created_at AS at,
           e.from_state::text AS from_state, e.to_state::text AS to_state, e.payload,
           l.team_id, l.source::text AS source, l.created_at AS lead_created_at,
           tm.time_zone AS tz,
           (e.created_at AT TIME ZONE tm.time_zone)::date AS day,
           (l.created_at AT TIME ZONE tm.time_zone)::date AS lead_day,
           COALESCE(
               CASE WHEN u.role IN ('sdr', 'bdr') THEN e.actor_id END,
               CASE WHEN own.known THEN own.owner_id ELSE l.owner_id END,
               0
           ) AS user_id,
           COALESCE(u.role, '') AS actor_role
    FROM leads_leadevent e
    JOIN leads_lead l ON l.id = e.lead_id
    JOIN accounts_team tm ON tm.id = l.team_id
    LEFT JOIN accounts_user u ON u.id = e.actor_id
    LEFT JOIN LATERAL (
        SELECT CASE WHEN a.kind = 'assignment' THEN (a.payload->>'to_owner_id')::int
                    ELSE (a.payload->>'owner_id')::int END AS owner_id,
               (a.kind = 'assignment' OR a.payload ? 'owner_id') AS known
        FROM leads_leadevent a
        WHERE a.lead_id = e.lead_id AND a.kind IN ('assignment', 'created')
          AND (a.created_at, a.id) <= (e.created_at, e.id)
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT 1
    ) own ON true
    WHERE e.id > %(lo)s AND e.id <= %(hi)s
      AND e.kind IN ('created', 'transition', 'email', 'call', 'task', 'cadence', 'reply')
),
touch_ev AS (
    SELECT ev.*,
           COALESCE(tc.position, (ev.payload->>'step')::int) AS t_position,
           tc.due_at AS t_due_at,
           COALESCE(en.cadence_id, (ev.payload->>'cadence_id')::bigint) AS t_cadence_id
    FROM ev
    LEFT JOIN cadences_touch tc
        ON ev.payload ? 'touch_id' AND tc.id = (ev.payload->>'touch_id')::bigint
    LEFT JOIN cadences_enrollment en ON en.id = tc.enrollment_id
    WHERE {_TOUCH.format(a="ev")}
       OR (ev.payload ? 'touch_id' AND ev.payload ? 'outcome')
),
facts AS (
    -- Touches
    SELECT event_id, 'email' AS metric, '' AS dim, lead_id, team_id, user_id, 0 AS ae_id, source,
           COALESCE(t_cadence_id, 0) AS cadence_id, COALESCE(t_position, 0) AS step, day, at,
           NULL::bigint AS seconds
    FROM touch_ev WHERE kind = 'email'
    UNION ALL
    SELECT event_id, 'call', COALESCE(payload->>'outcome', ''), lead_id, team_id, user_id, 0,
           source, COALESCE(t_cadence_id, 0), COALESCE(t_position, 0), day, at, NULL
    FROM touch_ev WHERE kind = 'call'
    UNION ALL
    SELECT event_id, 'linkedin', COALESCE(payload->>'outcome', ''), lead_id, team_id, user_id, 0,
           source, COALESCE(t_cadence_id, 0), COALESCE(t_position, 0), day, at, NULL
    FROM touch_ev WHERE kind = 'task' AND payload->>'channel' IN ('linkedin_connect',
                                                                    'linkedin_message')
    UNION ALL
    SELECT event_id, 'task_done',
           CASE WHEN day <= (t_due_at AT TIME ZONE tz)::date THEN 'on_time' ELSE 'overdue' END,
           lead_id, team_id, user_id, 0, source, COALESCE(t_cadence_id, 0),
           COALESCE(t_position, 0), day, at, NULL
    FROM touch_ev WHERE payload ? 'touch_id' AND payload ? 'outcome' AND t_due_at IS NOT NULL
    UNION ALL
    -- Speed to lead: the first touch of an inbound lead, counted on the lead's arrival day.
    SELECT event_id, 'speed_to_lead', '', lead_id, team_id, user_id, 0, source, 0, 0,
           lead_day, at, GREATEST(0, EXTRACT(EPOCH FROM at - lead_created_at))::bigint
    FROM touch_ev t
    WHERE source IN ('inbound', 'web_form') AND {_TOUCH.format(a="t")}
      AND NOT EXISTS (
          SELECT 1 FROM leads_leadevent p
          WHERE p.lead_id = t.lead_id AND (p.created_at, p.id) < (t.at, t.event_id)
            AND {_TOUCH.format(a="p")}
      )
    UNION ALL
    -- Qualification and the AE's decision
    SELECT event_id, 'qualified', '', lead_id, team_id, user_id, 0, source, 0, 0, day, at, NULL
    FROM ev WHERE kind = 'transition' AND to_state = 'qualified'
    UNION ALL
    SELECT event_id, 'handed_off', '', lead_id, team_id, user_id,
           COALESCE((payload->>'ae_id')::int, 0), source, 0, 0, day, at, NULL
    FROM ev WHERE kind = 'transition' AND to_state = 'handed_off'
    UNION ALL
    SELECT event_id, 'accepted', '', lead_id, team_id, user_id, COALESCE(actor_id, 0), source,
           0, 0, day, at, NULL
    FROM ev WHERE kind = 'transition' AND to_state = 'accepted'
    UNION ALL
    -- by the code of the team's rejection reason ('' before reasons existed: not classified)
    SELECT event_id, 'rejected', COALESCE(payload->>'reason_code', ''), lead_id, team_id, user_id,
           COALESCE(actor_id, 0), source, 0, 0, day, at, NULL
    FROM ev WHERE kind = 'transition' AND payload->>'transition' = 'reject'
    UNION ALL
    -- Funnel: each stage a lead reaches for the first time (and the ones it skipped), counted
    -- on the lead's arrival day (a cohort).
    SELECT ev.event_id, 'reached', ({_STAGE_ARRAY})[g], ev.lead_id, ev.team_id, ev.user_id, 0,
           ev.source, 0, 0, ev.lead_day, ev.at, NULL
    FROM ev
    CROSS JOIN LATERAL (
        SELECT COALESCE(MAX(CASE WHEN p.kind = 'created' THEN 1
                                 ELSE array_position({_STAGE_ARRAY}, p.to_state::text) END), 0)
               AS reached
        FROM leads_leadevent p
        WHERE p.lead_id = ev.lead_id AND p.kind IN ('created', 'transition')
          AND (p.created_at, p.id) < (ev.at, ev.event_id)
    ) prev
    CROSS JOIN LATERAL generate_series(
        prev.reached + 1,
        CASE WHEN ev.kind = 'created' THEN 1
             ELSE COALESCE(array_position({_STAGE_ARRAY}, ev.to_state), 0) END
    ) g
    WHERE ev.kind IN ('created', 'transition')
    UNION ALL
    -- Drop-outs: a lead's first disqualification, by the state it left and the reason.
    SELECT event_id, 'dropped', from_state || ':' || COALESCE(payload->>'reason', ''), lead_id,
           team_id, user_id, 0, source, 0, 0, lead_day, at, NULL
    FROM ev
    WHERE kind = 'transition' AND to_state = 'disqualified'
      AND NOT EXISTS (
          SELECT 1 FROM leads_leadevent p
          WHERE p.lead_id = ev.lead_id AND p.kind = 'transition' AND p.to_state = 'disqualified'
            AND (p.created_at, p.id) < (ev.at, ev.event_id)
      )
    UNION ALL
    -- Time in stage: each stay in a state, counted on the day it ended.
    SELECT ev.event_id, 'stage_time', ev.from_state, ev.lead_id, ev.team_id, ev.user_id,
           CASE WHEN ev.actor_role = 'ae' THEN ev.actor_id ELSE 0 END, ev.source, 0, 0,
           ev.day, ev.at,
           GREATEST(0, EXTRACT(EPOCH FROM ev.at - COALESCE(prev.at, ev.lead_created_at)))::bigint
    FROM ev
    LEFT JOIN LATERAL (
        SELECT p.created_at AS at FROM leads_leadevent p
        WHERE p.lead_id = ev.lead_id AND p.kind = 'transition'
          AND (p.created_at, p.id) < (ev.at, ev.event_id)
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT 1
    ) prev ON true
    WHERE ev.kind = 'transition' AND ev.from_state <> ''
    UNION ALL
    -- Cadences: enrolments, replies, bounces and unsubscribes.
    SELECT event_id, 'cad_enrolled', '', lead_id, team_id, user_id, 0, source,
           COALESCE((payload->>'cadence_id')::int, 0), 0, day, at, NULL
    FROM ev WHERE kind = 'cadence' AND payload->>'action' = 'enroll'
    UNION ALL
    -- A reply: the first reply after an enrolment, at the last email step of that enrolment
    -- sent before it (0: before any email). Counted even after the cadence completed.
    SELECT ev.event_id, 'cad_replied', '', ev.lead_id, ev.team_id, ev.user_id, 0, ev.source,
           enr.cadence_id, COALESCE(le.step, 0), ev.day, ev.at, NULL
    FROM ev
    JOIN LATERAL (
        SELECT p.id, p.created_at AS at, (p.payload->>'cadence_id')::bigint AS cadence_id
        FROM leads_leadevent p
        WHERE p.lead_id = ev.lead_id AND p.kind = 'cadence' AND p.payload->>'action' = 'enroll'
          AND (p.created_at, p.id) < (ev.at, ev.event_id)
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT 1
    ) enr ON true
    LEFT JOIN LATERAL (
        SELECT (p.payload->>'step')::int AS step FROM leads_leadevent p
        WHERE p.lead_id = ev.lead_id AND p.kind = 'email' AND p.payload ? 'step'
          AND (p.created_at, p.id) > (enr.at, enr.id)
          AND (p.created_at, p.id) < (ev.at, ev.event_id)
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT 1
    ) le ON true
    WHERE ev.kind = 'reply'
      AND NOT EXISTS (
          SELECT 1 FROM leads_leadevent r
          WHERE r.lead_id = ev.lead_id AND r.kind = 'reply'
            AND (r.created_at, r.id) > (enr.at, enr.id)
            AND (r.created_at, r.id) < (ev.at, ev.event_id)
      )
    UNION ALL
    -- A bounce or an unsubscribe that ended an enrolment, at the last email step sent in it.
    SELECT ev.event_id, 'cad_' || (ev.payload->>'reason'), '', ev.lead_id, ev.team_id,
           ev.user_id, 0, ev.source, en.cadence_id,
           COALESCE((
               SELECT (p.payload->>'step')::int FROM leads_leadevent p
               WHERE p.lead_id = ev.lead_id AND p.kind = 'email' AND p.payload ? 'step'
                 AND p.created_at >= en.started_at
                 AND (p.created_at, p.id) < (ev.at, ev.event_id)
               ORDER BY p.created_at DESC, p.id DESC
               LIMIT 1
           ), 0),
           ev.day, ev.at, NULL
    FROM ev
    JOIN cadences_enrollment en ON en.id = (ev.payload->>'enrollment_id')::bigint
    WHERE ev.kind = 'cadence' AND ev.payload->>'action' = 'stopped'
      AND ev.payload->>'reason' IN ('bounced', 'unsubscribed')
)"""

ROLLUP_SQL = f"""{_FACTS_CTE},
inserted AS (
    INSERT INTO dashboards_fact ({_FACT_COLUMNS})
    SELECT {_FACT_COLUMNS} FROM facts
    ON CONFLICT (event_id, metric, dim) DO NOTHING
    RETURNING team_id, day, user_id, metric, dim, source, cadence_id, step, seconds
),
counted AS (
    {_DAYCOUNT_INSERT.format(facts="inserted")}
    ON CONFLICT ({_DAYCOUNT_KEY}) DO UPDATE
        SET n = dashboards_daycount.n + EXCLUDED.n,
            seconds_sum = dashboards_daycount.seconds_sum + EXCLUDED.seconds_sum
    RETURNING n
)
SELECT (SELECT COUNT(*) FROM inserted)
"""

# The bulk path (facts_backfill): the same facts, without the day counts (made at the end).
BACKFILL_FACTS_SQL = f"""{_FACTS_CTE},
inserted AS (
    INSERT INTO dashboards_fact ({_FACT_COLUMNS})
    SELECT {_FACT_COLUMNS} FROM facts
    ON CONFLICT (event_id, metric, dim) DO NOTHING
    RETURNING 1
)
SELECT COUNT(*) FROM inserted
"""


_WORKED_IN = ", ".join(f"'{m}'" for m in WORKED_METRICS)

# The days each lead was touched, from the facts of the batch's events: per (team, credited SDR,
# lead, day) and per (team, lead, day) for everyone (user_id NULL), counted in WorkedCount (with
# no previous day yet) when really inserted. Re-reading is harmless. Returns the leads that got
# a new row.
WORKED_SQL = f"""
WITH touched AS (
    SELECT DISTINCT team_id, user_id, lead_id, day FROM dashboards_fact
    WHERE event_id > %(lo)s AND event_id <= %(hi)s AND metric IN ({_WORKED_IN})
),
inserted AS (
    INSERT INTO dashboards_workedday (team_id, user_id, lead_id, day)
    SELECT team_id, user_id, lead_id, day FROM touched
    UNION
    SELECT team_id, NULL, lead_id, day FROM touched
    ON CONFLICT (lead_id, user_id, team_id, day) DO NOTHING
    RETURNING team_id, user_id, lead_id, day
),
counted AS (
    INSERT INTO dashboards_workedcount (team_id, user_id, day, prev_day, n)
    SELECT team_id, user_id, day, NULL, COUNT(*) FROM inserted GROUP BY team_id, user_id, day
    ON CONFLICT (team_id, user_id, day, prev_day) DO UPDATE
        SET n = dashboards_workedcount.n + EXCLUDED.n
    RETURNING n
)
SELECT DISTINCT lead_id FROM inserted
"""

# Then the day before each touch day of the leads that got a new row (rows are only ever added,
# so no other lead's previous days can change; a day that arrives late, earlier than days already
# there, changes the next day's): each row whose prev_day changes moves from one count to another.
WORKED_PREV_SQL = """
WITH moved AS (
    UPDATE dashboards_workedday w SET prev_day = x.prev
    FROM (
        SELECT id, prev_day,
               lag(day) OVER (PARTITION BY team_id, user_id, lead_id ORDER BY day) AS prev
        FROM dashboards_workedday
        WHERE lead_id = ANY(%(leads)s::bigint[])
    ) x
    WHERE w.id = x.id AND x.prev_day IS DISTINCT FROM x.prev
    RETURNING w.team_id, w.user_id, w.day, x.prev_day AS was, x.prev AS now
),
delta AS (
    SELECT team_id, user_id, day, was AS prev_day, -1 AS d FROM moved
    UNION ALL
    SELECT team_id, user_id, day, now, 1 FROM moved
)
INSERT INTO dashboards_workedcount (team_id, user_id, day, prev_day, n)
SELECT team_id, user_id, day, prev_day, SUM(d) FROM delta
GROUP BY team_id, user_id, day, prev_day
ON CONFLICT (team_id, user_id, day, prev_day) DO UPDATE
    SET n = dashboards_workedcount.n + EXCLUDED.n
"""


# The bulk path's worked days: the same rows from all the facts at once, each with the touch
# day before it, then their counts.
WORKED_BACKFILL_SQL = f"""
INSERT INTO dashboards_workedday (team_id, user_id, lead_id, day, prev_day)
SELECT team_id, user_id, lead_id, day,
       lag(day) OVER (PARTITION BY team_id, user_id, lead_id ORDER BY day)
FROM (
    SELECT DISTINCT team_id, user_id, lead_id, day FROM dashboards_fact
    WHERE metric IN ({_WORKED_IN})
    UNION
    SELECT DISTINCT team_id, NULL::bigint, lead_id, day FROM dashboards_fact
    WHERE metric IN ({_WORKED_IN})
) touched
"""
WORKEDCOUNT_BACKFILL_SQL = """
INSERT INTO dashboards_workedcount (team_id, user_id, day, prev_day, n)
SELECT team_id, user_id, day, prev_day, COUNT(*) FROM dashboards_workedday
GROUP BY team_id, user_id, day, prev_day
"""


def _rollup_range(lo: int, hi: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(ROLLUP_SQL, {"lo": lo, "hi": hi})
        added = cursor.fetchone()[0]
        cursor.execute(WORKED_SQL, {"lo": lo, "hi": hi})
        leads = [row[0] for row in cursor.fetchall()]
        if leads:
            cursor.execute(WORKED_PREV_SQL, {"leads": leads})
        return added


def facts_refresh(
    *, batch_size: int | None = None, max_batches: int | None = None, rebuild: bool = False
) -> int:
    """Read the timeline after the cursor into facts and day counts. Returns the number of
    facts added. Each batch is its own transaction; a run that finds another one running
    returns at once (0). ``rebuild`` reads the whole timeline again (facts already there are
    left as they are: nothing is counted twice)."""
    batch_size = batch_size or settings.SDRCRM_DASHBOARDS_BATCH
    overlap = settings.SDRCRM_DASHBOARDS_OVERLAP_IDS
    added = 0
    batches = 0
    top = LeadEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    lo = None
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
                if not cursor.fetchone()[0]:
                    return added
            row, _ = RollupCursor.objects.select_for_update().get_or_create(name=CURSOR)
            if lo is None:  # the first batch re-reads the tail below the cursor
                lo = 0 if rebuild else max(0, row.last_event_id - overlap)
            if lo >= top:
                row.updated_at = timezone.now()
                row.save(update_fields=["updated_at"])
                return added
            hi = min(top, lo + batch_size)
            added += _rollup_range(lo, hi)
            row.last_event_id = max(row.last_event_id, hi)
            row.updated_at = timezone.now()
            row.save(update_fields=["last_event_id", "updated_at"])
        lo = hi
        batches += 1
        if max_batches and batches >= max_batches:
            return added


def facts_backfill(*, batch_size: int | None = None) -> int:
    """Read the whole timeline into empty facts, set-based: the facts batch by batch (the
    rollup's own statement without its day counts), then the day counts, the worked days and
    their counts from all the facts, one statement each; the cursor ends at the last entry.
    The same rows as ``facts_refresh`` makes one batch at a time, for a fresh database (a bulk
    load, the benchmark's data set). One transaction; refuses (ValueError) if there are facts
    already or another rollup is running. Returns the number of facts."""
    batch_size = batch_size or settings.SDRCRM_DASHBOARDS_BATCH
    added = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise ValueError("Another rollup is running")
        for model in (Fact, DayCount, WorkedDay, WorkedCount):
            if model.objects.exists():
                raise ValueError(f"{model.__name__} is not empty: use facts_refresh")
        top = LeadEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        for lo in range(0, top, batch_size):
            cursor.execute(BACKFILL_FACTS_SQL, {"lo": lo, "hi": min(top, lo + batch_size)})
            added += cursor.fetchone()[0]
        cursor.execute(_DAYCOUNT_INSERT.format(facts="dashboards_fact"))
        cursor.execute(WORKED_BACKFILL_SQL)
        cursor.execute(WORKEDCOUNT_BACKFILL_SQL)
        RollupCursor.objects.update_or_create(
            name=CURSOR, defaults={"last_event_id": top, "updated_at": timezone.now()}
        )
    return added


def facts_as_of():
    """When the rollup last ran (the figures are as of then), or None."""
    return RollupCursor.objects.filter(name=CURSOR).values_list("updated_at", flat=True).first()
