"""How the benchmark data set is made (scripts/bench_data.py says what it is and when it is
made): every row inside PostgreSQL by ``INSERT … SELECT … FROM generate_series``, the
non-constraint indexes dropped before the load and built once afterwards, foreign-key triggers
off (``session_replication_role = replica``; the rows are consistent by construction), then
VACUUM ANALYZE.

Django's modules are imported inside the functions: they can be imported only after
django.setup(), which scripts/bench_data.py runs once it has chosen the database.
"""

from __future__ import annotations

import time

# Bump when the shape of the data changes: a data set of another version is regenerated.
GENERATOR_VERSION = 2

SIZES = {
    "tiny": {"leads": 2_000, "events": 20_000, "touches": 4_000},
    "small": {"leads": 100_000, "events": 1_000_000, "touches": 200_000},
    "full": {"leads": 1_000_000, "events": 10_000_000, "touches": 2_000_000},
}
TEAMS = 5
SDRS_PER_TEAM = 10
AES_PER_TEAM = 2
CADENCE_STEPS = [
    # channel, day offset
    ("auto_email", 0),
    ("call", 1),
    ("linkedin_connect", 1),
    ("auto_email", 2),
    ("call", 2),
    ("manual_email", 3),
    ("call", 3),
    ("auto_email", 4),
]
TABLES = [
    "leads_company",
    "leads_prospect",
    "leads_lead",
    "leads_leadevent",
    "cadences_enrollment",
    "cadences_touch",
    "cadences_reminder",
]


def _step(label: str):
    class _Timer:
        def __enter__(self):
            self.t = time.perf_counter()
            return self

        def __exit__(self, *exc):
            if exc[0] is None:
                print(f"  {label}: {time.perf_counter() - self.t:.1f} s", flush=True)

    return _Timer()


def _users():
    """Teams, SDRs, AEs, managers and the admin, through the ORM (70 rows)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Role, Team, User

    password = make_password("bench")
    teams = [Team.objects.create(name=f"Team {t + 1}") for t in range(TEAMS)]
    names = ["Ada", "Bo", "Cyd", "Dag", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kai", "Liv"]
    users = []
    for t, team in enumerate(teams):
        users.append(
            User(username=f"manager{t + 1}", role=Role.MANAGER, team=team, first_name="Mona",
                 last_name=f"Team{t + 1}", email=f"manager{t + 1}@bench.example",
                 password=password)
        )  # fmt: skip
        for k in range(SDRS_PER_TEAM):
            n = t * SDRS_PER_TEAM + k + 1
            users.append(
                User(username=f"sdr{n}", role=Role.SDR, team=team, first_name=names[n % 12],
                     last_name=f"Sdr{n}", email=f"sdr{n}@bench.example", password=password,
                     daily_email_cap=10**6)
            )  # fmt: skip
        for k in range(AES_PER_TEAM):
            n = t * AES_PER_TEAM + k + 1
            users.append(
                User(username=f"ae{n}", role=Role.AE, team=team, first_name=names[n % 12],
                     last_name=f"Ae{n}", email=f"ae{n}@bench.example", password=password)
            )  # fmt: skip
    users.append(
        User(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True,
             first_name="Adam", last_name="Admin", email="admin@bench.example",
             password=password)
    )  # fmt: skip
    User.objects.bulk_create(users)
    sdrs = [
        User.objects.get(username=f"sdr{n + 1}").pk for n in range(TEAMS * SDRS_PER_TEAM)
    ]  # sdr1..sdr10 in team 1, …: index // SDRS_PER_TEAM is the team
    aes = [User.objects.get(username=f"ae{n + 1}").pk for n in range(TEAMS * AES_PER_TEAM)]
    return [t.pk for t in teams], sdrs, aes


def _cadences(team_ids: list[int]) -> list[list[int]]:
    """One 8-step cadence a team, open every day; returns the step ids per team."""
    from datetime import time as dtime

    from cadences.models import Cadence, CadenceStep

    steps = []
    for t, team_id in enumerate(team_ids):
        cadence = Cadence.objects.create(
            team_id=team_id, name=f"Outbound {t + 1}", window_start=dtime(0, 0),
            window_end=dtime(23, 59, 59), window_days="0123456",
        )  # fmt: skip
        steps.append(
            [
                CadenceStep.objects.create(
                    cadence=cadence, position=p + 1, channel=channel, day_offset=offset,
                    subject_template="Quick question, {{ first_name }}" if "email" in channel
                    else "", body_template="Hi {{ first_name }}, …" if "email" in channel else "",
                    instructions="" if "email" in channel else "Call and ask about their stack",
                    is_breakup=p == len(CADENCE_STEPS) - 1,
                ).pk
                for p, (channel, offset) in enumerate(CADENCE_STEPS)
            ]
        )  # fmt: skip
    return steps


def _defaults(cur, table: str, given: dict[str, str]) -> tuple[list[str], list[str]]:
    """Columns of ``table`` and, for the ones not ``given``, a constant: '' for NOT NULL text
    and booleans false, NULL otherwise; so columns added by later migrations still load."""
    cur.execute(
        "SELECT column_name, data_type, is_nullable, column_default, is_identity FROM "
        "information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    columns, exprs = [], []
    for name, data_type, nullable, default, identity in cur.fetchall():
        columns.append(name)
        if name in given:
            exprs.append(given[name])
        elif default is not None or identity == "YES":
            exprs.append("DEFAULT")
        elif nullable == "YES":
            exprs.append("NULL")
        elif data_type in ("character varying", "text"):
            exprs.append("''")
        elif data_type == "boolean":
            exprs.append("false")
        elif data_type in ("integer", "smallint", "bigint", "numeric"):
            exprs.append("0")
        elif data_type == "jsonb":
            exprs.append("'{}'::jsonb")
        elif data_type.startswith("timestamp"):
            exprs.append("%(t0)s")
        else:
            raise SystemExit(f"bench_data: no value for NOT NULL column {table}.{name}")
    return columns, exprs


def _insert(cur, table: str, given: dict[str, str], source: str, params: dict) -> int:
    columns, exprs = _defaults(cur, table, given)
    if "DEFAULT" in exprs:  # INSERT … SELECT cannot say DEFAULT: leave those columns out
        pairs = [(c, e) for c, e in zip(columns, exprs, strict=True) if e != "DEFAULT"]
        columns, exprs = [c for c, _ in pairs], [e for _, e in pairs]
    cur.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} {source}", params
    )
    return cur.rowcount


def _drop_indexes(cur) -> list[str]:
    """Drop the indexes of the big tables that no constraint needs; return their definitions."""
    cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [TABLES],
    )
    rows = cur.fetchall()
    for name, _ in rows:
        cur.execute(f"DROP INDEX {name}")
    return [definition for _, definition in rows]


def generate(size: str) -> None:
    """Fill the database Django is set up on with the data set of ``size`` and its marker row."""
    from django.db import connection

    spec = SIZES[size]
    n = spec["leads"]
    started = time.perf_counter()
    with _step("users, teams, cadences"):
        team_ids, sdrs, aes = _users()
        steps = _cadences(team_ids)
    with connection.cursor() as cur:
        cur.execute("SELECT now()")
        t0 = cur.fetchone()[0]
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET work_mem = '64MB'")
        cur.execute("SET synchronous_commit = off")
        indexes = _drop_indexes(cur)
        p = {
            "n": n,
            "t0": t0,
            # A multiple of the number of SDRs: prospect i (lead i, of the team of SDR
            # i % nsdr) uses company 1 + i % companies, which is then always of that team
            # (a team is a workspace: teams own their companies).
            "companies": -(-max(50, n // 4) // len(sdrs)) * len(sdrs),
            "sdrs": sdrs,
            "aes": aes,
            "teams": team_ids,
            "nsdr": len(sdrs),
            "per_team": SDRS_PER_TEAM,
            "aes_per_team": AES_PER_TEAM,
            "steps": [s for team in steps for s in team],
            "nsteps": len(CADENCE_STEPS),
            "channels": [c for c, _ in CADENCE_STEPS],
        }

        with _step(f"{p['companies']:,} companies"):
            _insert(
                cur,
                "leads_company",
                {
                    "id": "j",
                    "team_id": "(%(teams)s::bigint[])[1 + ((j - 1) %% %(nsdr)s) / %(per_team)s]",
                    "name": "'Company ' || j",
                    "domain": "'c' || j || '.example.com'",
                    "website": "'https://c' || j || '.example.com'",
                    "industry": "(ARRAY['Software', 'IT services', 'Logistics', 'Retail', "
                    "'Healthcare', 'Financial services', 'Manufacturing', 'Consulting', "
                    "'Media', 'Energy', 'Education', ''])[1 + j %% 12]",
                    "employee_count": "abs(hashint4(j)) %% 5000",
                    "country": "(ARRAY['NO', 'SE', 'DK', 'DE', 'GB'])[1 + j %% 5]",
                    "time_zone": "'Europe/Oslo'",
                    "created_at": "%(t0)s - (%(companies)s - j) * interval '1 minute'",
                },
                "FROM generate_series(1, %(companies)s) AS j",
                p,
            )
        with _step(f"{n:,} prospects"):
            person = {
                "first_name": "(ARRAY['Kari', 'Ola', 'Ingrid', 'Lars', 'Sofie', 'Emil', "
                "'Nora', 'Jonas', 'Maja', 'Henrik', 'Ella', 'Anders'])[1 + i %% 12]",
                "last_name": "(ARRAY['Hansen', 'Johansen', 'Olsen', 'Larsen', 'Andersen', "
                "'Pedersen', 'Nilsen', 'Kristiansen', 'Jensen', 'Karlsen', 'Berg', "
                "'Haugen', 'Bakke', 'Dahl', 'Lie', 'Moen', 'Strand'])[1 + (i / 12) %% 17]",
                "email": "'p' || i || '@c' || (1 + i %% %(companies)s) || '.example.com'",
            }
            _insert(
                cur,
                "leads_prospect",
                {
                    "id": "i",
                    "team_id": "(%(teams)s::bigint[])[1 + (i %% %(nsdr)s) / %(per_team)s]",
                    "company_id": "1 + i %% %(companies)s",
                    **person,
                    # What the search reads (leads 0002): its trigger is off during the load.
                    "search": f"leads_prospect_search({person['first_name']}, "
                    f"{person['last_name']}, {person['email']}, "
                    "'Company ' || (1 + i %% %(companies)s))",
                    "phone": "'+47 ' || (40000000 + i)",
                    "title": "(ARRAY['CEO', 'CTO', 'Head of Sales', 'IT manager', "
                    "'Operations lead'])[1 + i %% 5]",
                    "role": "(ARRAY['', 'decision_maker', 'influencer', 'user', "
                    "'gatekeeper'])[1 + i %% 5]",
                    "time_zone": "'Europe/Oslo'",
                    "created_at": "%(t0)s - (%(n)s - i) * interval '1 day' * 1095 / %(n)s",
                },
                "FROM generate_series(1, %(n)s) AS i",
                p,
            )
        with _step(f"{n:,} leads"):
            # h decides the state, h2 the rest; the newest 5 % are the open working set.
            _insert(
                cur,
                "leads_lead",
                {
                    "id": "i",
                    "team_id": "(%(teams)s::bigint[])[1 + (i %% %(nsdr)s) / %(per_team)s]",
                    "prospect_id": "i",
                    "source": "(ARRAY['inbound', 'outbound', 'marketing_list', "
                    "'web_form'])[1 + i %% 4]",
                    "owner_id": "CASE WHEN st = 'new' AND h2 %% 10 = 0 THEN NULL ELSE "
                    "(%(sdrs)s::bigint[])[1 + i %% %(nsdr)s] END",
                    "assigned_ae_id": "CASE WHEN st IN ('handed_off', 'accepted') THEN "
                    "(%(aes)s::bigint[])[1 + ((i %% %(nsdr)s) / %(per_team)s) * "
                    "%(aes_per_team)s + i %% %(aes_per_team)s] END",
                    "state": "st",
                    "state_changed_at": "least(%(t0)s, created + interval '1 day' * (h %% 40))",
                    "disqualify_reason": "CASE WHEN st = 'disqualified' THEN (ARRAY['no_need', "
                    "'too_small', 'no_budget', 'no_authority', 'competitor', 'no_response', "
                    "'wrong_industry', 'bad_data', 'duplicate', 'other'])[1 + h2 %% 10] "
                    "ELSE '' END",
                    "disqualified_from": "CASE WHEN st = 'disqualified' THEN 'contacting' "
                    "ELSE '' END",
                    "disqualified_at": "CASE WHEN st = 'disqualified' THEN "
                    "created + interval '1 day' * (h %% 40) END",
                    "recycle_on": "CASE WHEN st = 'nurture' THEN "
                    "(%(t0)s + interval '1 day' * (h2 %% 180))::date END",
                    "qualified_at": "CASE WHEN st IN ('qualified', 'handed_off', 'accepted') "
                    "THEN least(%(t0)s, created + interval '1 day' * (h %% 40)) END",
                    "handed_off_at": "CASE WHEN st IN ('handed_off', 'accepted') "
                    "THEN least(%(t0)s, created + interval '1 day' * (h %% 40)) END",
                    "accepted_at": "CASE WHEN st = 'accepted' "
                    "THEN created + interval '1 day' * (h %% 40 + 1) END",
                    "handoff_brief": "CASE WHEN st IN ('handed_off', 'accepted') THEN "
                    "'Budget confirmed, wants a demo next week' ELSE '' END",
                    "score": "CASE WHEN h2 %% 10 = 0 THEN NULL ELSE h2 %% 101 END",
                    "role_known": "h2 %% 2 = 0",
                    "website_checked": "h2 %% 3 = 0",
                    "created_at": "created",
                    "updated_at": "least(%(t0)s, created + interval '1 day' * (h %% 40))",
                    "version": "1",
                },
                """
                FROM (
                  SELECT i, h, h2, created,
                    CASE WHEN i > %(n)s * 0.95 THEN
                      CASE WHEN h < 20 THEN 'handed_off' WHEN h < 2000 THEN 'new'
                           WHEN h < 3500 THEN 'researching' WHEN h < 7000 THEN 'contacting'
                           WHEN h < 8800 THEN 'engaged' ELSE 'qualified' END
                    ELSE
                      CASE WHEN h < 500 THEN 'nurture' WHEN h < 1700 THEN 'accepted'
                           ELSE 'disqualified' END
                    END AS st
                  FROM (
                    SELECT i, abs(hashint4(i)) %% 10000 AS h, abs(hashint4(i + 7919)) %% 10000
                      AS h2, %(t0)s - (%(n)s - i) * interval '1 day' * 1095 / %(n)s
                      - interval '1 second' * (abs(hashint4(i + 31)) %% 3600) AS created
                    FROM generate_series(1, %(n)s) AS i
                  ) g
                ) s
                """,
                p,
            )
        # Events: j-th event of every lead, then the (j+1)-th …: a lead's history is spread
        # over the table, as an append-only timeline is. 1 + i %% 19 events a lead (mean 10),
        # a lead in 5,000 has 400. Scaled to the size's total.
        with _step("timeline events"):
            # One statement per event rank j: the j-th event of every lead, then the
            # (j+1)-th …, so one lead's history is spread over the table as an append-only
            # timeline is. 1 + id %% 19 events a lead (10 on average); a lead in 5,000 has 400.
            event = {
                "lead_id": "l.id",
                "kind": "CASE WHEN j = 1 THEN 'created' ELSE (ARRAY['note', 'call', "
                "'email', 'transition', 'cadence', 'checklist', 'email', "
                "'call'])[1 + (l.id + j) %% 8] END",
                "actor_id": "l.owner_id",
                "created_at": "least(%(t0)s, l.created_at + interval '5 hours' * j)",
                "from_state": "CASE WHEN j > 1 AND (l.id + j) %% 8 = 3 THEN 'researching' "
                "ELSE '' END",
                "to_state": "CASE WHEN j > 1 AND (l.id + j) %% 8 = 3 THEN 'contacting' ELSE '' END",
                "body": "CASE (l.id + j) %% 8 WHEN 0 THEN 'Spoke to the assistant; call "
                "back Tuesday' WHEN 1 THEN 'No answer' WHEN 2 THEN 'Intro email sent' "
                "ELSE '' END",
                "payload": "'{}'::jsonb",
            }
            for j in range(1, 20):
                _insert(
                    cur,
                    "leads_leadevent",
                    event,
                    "FROM leads_lead l, (SELECT %(j)s::int AS j) AS r "
                    "WHERE 1 + l.id %% 19 >= %(j)s ORDER BY l.id",
                    {**p, "j": j},
                )
            _insert(
                cur,
                "leads_leadevent",
                event,
                "FROM leads_lead l CROSS JOIN generate_series(20, 400) AS j "
                "WHERE l.id %% 5000 = 0 ORDER BY j, l.id",
                p,
            )
        with _step("enrollments"):
            # Every contacting lead has an active enrollment; closed leads enough finished
            # ones that touches come to the size's total (8 a enrollment).
            _insert(
                cur,
                "cadences_enrollment",
                {
                    "lead_id": "l.id",
                    "cadence_id": "c.id",
                    "owner_id": "l.owner_id",
                    "status": "'active'",
                    "time_zone": "'Europe/Oslo'",
                    "started_at": "%(t0)s - interval '1 day' * (l.id %% 14)",
                    "enrolled_by_id": "l.owner_id",
                },
                "FROM leads_lead l JOIN cadences_cadence c ON c.team_id = l.team_id "
                "WHERE l.state = 'contacting' AND l.owner_id IS NOT NULL ORDER BY l.id",
                p,
            )
            cur.execute("SELECT count(*) FROM cadences_enrollment")
            active = cur.fetchone()[0]
            cur.execute(
                "SELECT count(*) FROM leads_lead WHERE state IN ('disqualified', 'accepted')"
            )
            closed = cur.fetchone()[0]
            p["hist_per_million"] = int(
                1_000_000 * max(0, spec["touches"] // len(CADENCE_STEPS) - active) / closed
            )
            _insert(
                cur,
                "cadences_enrollment",
                {
                    "lead_id": "l.id",
                    "cadence_id": "c.id",
                    "owner_id": "l.owner_id",
                    "status": "CASE WHEN l.id %% 3 = 0 THEN 'stopped' ELSE 'completed' END",
                    "stop_reason": "CASE WHEN l.id %% 3 = 0 THEN 'replied' ELSE '' END",
                    "time_zone": "'Europe/Oslo'",
                    "started_at": "l.created_at + interval '1 day'",
                    "ended_at": "l.created_at + interval '20 days'",
                    "enrolled_by_id": "l.owner_id",
                },
                "FROM leads_lead l JOIN cadences_cadence c ON c.team_id = l.team_id "
                "WHERE l.state IN ('disqualified', 'accepted') AND "
                "abs(hashint4((l.id + 13)::int)) %% 1000000 < %(hist_per_million)s ORDER BY l.id",
                p,
            )
        with _step("touches"):
            # Active: steps before the current one done/sent, the current one scheduled (due
            # from 2 days ago to 12 days ahead; a manual one already due is 'due'), later ones
            # planned. Finished enrollments: everything sent/done (cancelled after a reply).
            _insert(
                cur,
                "cadences_touch",
                {
                    "enrollment_id": "e.id",
                    "step_id": "(%(steps)s::bigint[])[(team_no - 1) * %(nsteps)s + pos]",
                    "position": "pos",
                    "owner_id": "e.owner_id",
                    "lead_id": "e.lead_id",
                    "channel": "ch",
                    "subject_template": "CASE WHEN ch LIKE '%%email' THEN "
                    "'Quick question, {{ first_name }}' ELSE '' END",
                    "body_template": "CASE WHEN ch LIKE '%%email' THEN "
                    "'Hi {{ first_name }}, …' ELSE '' END",
                    "instructions": "CASE WHEN ch LIKE '%%email' THEN '' ELSE "
                    "'Call and ask about their stack' END",
                    "offset_from": "'previous'",
                    "is_breakup": "pos = %(nsteps)s",
                    "breakup_wait_days": "5",
                    "status": "st",
                    "due_at": "due",
                    "attempts": "0",
                    "idempotency_key": "md5(e.id || ':' || pos)::uuid",
                    "sent_at": "CASE WHEN st = 'sent' THEN due END",
                    "completed_at": "CASE WHEN st IN ('sent', 'done') THEN due END",
                    "completed_by_id": "CASE WHEN st = 'done' THEN e.owner_id END",
                    "outcome": "CASE WHEN st = 'done' THEN 'no_answer' ELSE '' END",
                    "error": "CASE WHEN st = 'held' THEN 'Missing: first name' ELSE '' END",
                },
                """
                FROM (
                  SELECT e.*, pos, (%(channels)s::text[])[pos] AS ch, t.team_no,
                    CASE WHEN e.status = 'active' THEN
                      cur_due + (pos - cur) * interval '2 days'
                    ELSE e.started_at + pos * interval '2 days' END AS due,
                    CASE WHEN e.status <> 'active' THEN
                      CASE WHEN e.status = 'stopped' AND pos > 4 THEN 'cancelled'
                           WHEN (%(channels)s::text[])[pos] = 'auto_email' THEN 'sent'
                           ELSE 'done' END
                    WHEN pos < cur THEN
                      CASE WHEN (%(channels)s::text[])[pos] = 'auto_email' THEN 'sent'
                           ELSE 'done' END
                    WHEN pos > cur THEN 'planned'
                    WHEN (%(channels)s::text[])[pos] = 'auto_email' THEN
                      CASE WHEN e.id %% 50 = 0 THEN 'held' ELSE 'scheduled' END
                    WHEN cur_due <= %(t0)s THEN 'due'
                    ELSE 'scheduled' END AS st
                  FROM (
                    SELECT e.*, 1 + e.id %% %(nsteps)s AS cur,
                      %(t0)s - interval '2 days'
                        + interval '1 hour' * (abs(hashint4(e.id::int)) %% (14 * 24)) AS cur_due
                    FROM cadences_enrollment e
                  ) e
                  JOIN cadences_cadence c ON c.id = e.cadence_id
                  JOIN (SELECT id, row_number() OVER (ORDER BY id) AS team_no
                        FROM accounts_team) t ON t.id = c.team_id
                  CROSS JOIN generate_series(1, %(nsteps)s) AS pos
                ) e
                """,
                p,
            )
        with _step("reminders"):
            _insert(
                cur,
                "cadences_reminder",
                {
                    "lead_id": "l.id",
                    "owner_id": "l.owner_id",
                    "due_at": "CASE WHEN l.state = 'contacting' THEN %(t0)s + interval '1 hour' "
                    "* (l.id %% 48 - 24) ELSE l.created_at + interval '3 days' END",
                    "note": "'Call back about the renewal date'",
                    "done_at": "CASE WHEN l.state = 'contacting' THEN NULL "
                    "ELSE l.created_at + interval '3 days' END",
                    "created_at": "l.created_at",
                },
                "FROM leads_lead l WHERE l.owner_id IS NOT NULL "
                "AND abs(hashint4(l.id::int + 101)) %% 20 = 0",
                p,
            )
        cur.execute("SET session_replication_role = DEFAULT")
        for table in TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
            )
        with _step(f"{len(indexes)} indexes"):
            for definition in indexes:
                cur.execute(definition)
        counts = {}
        for table in ("leads_lead", "leads_leadevent", "cadences_touch"):
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
        seconds = time.perf_counter() - started
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_dataset (size text, generator int, leads bigint, "
            "events bigint, touches bigint, generated_at timestamptz, seconds float)"
        )
        cur.execute(
            "INSERT INTO bench_dataset VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [size, GENERATOR_VERSION, counts["leads_lead"], counts["leads_leadevent"],
             counts["cadences_touch"], t0, seconds],
        )  # fmt: skip
    connection.close()
    with connection.cursor() as cur, _step("VACUUM ANALYZE"):
        cur.execute("VACUUM ANALYZE")
