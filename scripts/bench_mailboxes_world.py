"""The world of scripts/bench_mailboxes.py: SDRs with their mailboxes on the test mail servers
(tests/mail/servers.py), a cadence, leads enrolled in it (set-based SQL, as
scripts/bench_dispatch.py makes its own), and the prospects' replies.

Django's modules are imported inside the functions: the benchmark imports this module before
it has chosen its database and set Django up.
"""

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime


def make_team(name: str):
    from accounts.models import Team

    return Team.objects.create(name=name, email_via="mailbox")


def make_mailboxes(team, servers, n: int, prefix: str, **limits) -> list:
    """``n`` SDRs of ``team``, each with a mailbox on the test servers (password login, plain
    ports on 127.0.0.1, the server filing the Sent copy as Gmail does), connected a month ago
    (no ramp-up)."""
    from accounts.models import Role, User
    from mailboxes.crypto import encrypt
    from mailboxes.models import Mailbox

    mail_users = [servers.add_user(f"{prefix}{i}@{servers.domain}") for i in range(n)]
    users = User.objects.bulk_create(
        User(
            username=f"{prefix}-{i}", first_name=f"Sdr{i}", last_name="Bench", role=Role.SDR,
            team=team, email=mu.email, title="SDR", daily_email_cap=10**6,
            time_zone="Europe/Oslo",
        )
        for i, mu in enumerate(mail_users)
    )  # fmt: skip
    connected = datetime.now(UTC) - timedelta(days=30)
    return Mailbox.objects.bulk_create(
        Mailbox(
            user=user, team=team, email=mu.email, auth_kind="password", username=mu.email,
            imap_host=servers.host, imap_port=servers.imap_port, imap_security="none",
            smtp_host=servers.host, smtp_port=servers.smtp_port, smtp_security="none",
            secret=encrypt(mu.password), sent_folder="Sent", server_saves_sent=True,
            connected_at=connected, **limits,
        )
        for user, mu in zip(users, mail_users, strict=True)
    )  # fmt: skip


def make_cadence(team):
    """Open all day every day (the figures are the mailboxes', not the send window's): a first
    email, and a second a month later that no part reaches."""
    from datetime import time as dtime

    from cadences.models import Cadence, CadenceStep, Channel
    from cadences.standard import STANDARD_STEPS

    cadence = Cadence.objects.create(
        team=team, name="Bench", window_start=dtime(0, 0), window_end=dtime(23, 59, 59),
        window_days="0123456",
    )  # fmt: skip
    steps = [
        CadenceStep.objects.create(
            cadence=cadence, position=position, channel=Channel.AUTO_EMAIL, day_offset=offset,
            subject_template=STANDARD_STEPS[i]["subject_template"],
            body_template=STANDARD_STEPS[i]["body_template"],
        )
        for position, offset, i in ((1, 0, 0), (2, 30, 2))
    ]  # fmt: skip
    return cadence, steps


def make_leads(team, cadence, steps, owners: list[int], tag: str, due) -> None:
    """One contacting lead per owner (in order), prospect ``kari@<tag><i>.bench.example``,
    enrolled, its first email scheduled at ``due``. Set-based SQL."""
    from django.db import connection

    params = {"team": team.pk, "cadence": cadence.pk, "s1": steps[0].pk, "n": len(owners),
              "tag": tag, "owners": owners, "k": len(owners), "due": due}  # fmt: skip
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO leads_company (team_id, name, domain, website, industry,
                employee_count, country, time_zone, linkedin_url, created_at)
            SELECT %(team)s, 'Company ' || %(tag)s || i, %(tag)s || i || '.bench.example', '',
                   'Software', 50, '', 'Europe/Oslo', '', now()
            FROM generate_series(1, %(n)s) AS i;
            INSERT INTO leads_prospect (team_id, company_id, first_name, last_name, email,
                phone, title, role, linkedin_url, time_zone, do_not_contact, created_at)
            SELECT c.team_id, c.id, 'Kari', 'Nordmann', 'kari@' || c.domain, '', 'CEO',
                   'decision_maker', '', 'Europe/Oslo', false, now()
            FROM leads_company c
            WHERE c.team_id = %(team)s AND c.domain LIKE %(tag)s || '%%.bench.example';
            INSERT INTO leads_lead (team_id, prospect_id, source, owner_id, state,
                state_changed_at, disqualify_reason, disqualify_note, disqualified_from,
                rejection_reason, handoff_brief, role_known, decision_maker_identified,
                need_understood, website_checked, linkedin_checked, created_at, updated_at,
                version)
            SELECT %(team)s, p.id, 'outbound',
                   (%(owners)s::bigint[])[1 + (row_number() OVER (ORDER BY p.id) - 1) %% %(k)s],
                   'contacting', now(), '', '', '', '', '', false, false, false, false, false,
                   now(), now(), 1
            FROM leads_prospect p
            WHERE p.team_id = %(team)s AND p.email LIKE 'kari@' || %(tag)s || '%%';
            INSERT INTO cadences_enrollment (lead_id, cadence_id, owner_id, status, stop_reason,
                stop_note, time_zone, country, started_at, enrolled_by_id,
                disqualifier_overridden)
            SELECT l.id, %(cadence)s, l.owner_id, 'active', '', '', 'Europe/Oslo', '', now(),
                   l.owner_id, ''
            FROM leads_lead l JOIN leads_prospect p ON p.id = l.prospect_id
            WHERE l.team_id = %(team)s AND p.email LIKE 'kari@' || %(tag)s || '%%';
            INSERT INTO cadences_touch (enrollment_id, step_id, position, owner_id, lead_id,
                channel, subject_template, body_template, instructions, day_offset,
                offset_from, is_breakup, breakup_wait_days, status, due_at, attempts,
                idempotency_key, rendered_subject, rendered_body, outcome, note, error,
                reply_in_thread, message_id, hold_reason)
            SELECT e.id, st.id, st.position, e.owner_id, e.lead_id, 'auto_email',
                   st.subject_template, st.body_template, '', st.day_offset, 'previous',
                   false, 5, CASE st.position WHEN 1 THEN 'scheduled' ELSE 'planned' END,
                   %(due)s + st.day_offset * interval '1 day', 0, gen_random_uuid(), '', '',
                   '', '', '', false, '', ''
            FROM cadences_enrollment e JOIN leads_lead l ON l.id = e.lead_id
            JOIN leads_prospect p ON p.id = l.prospect_id
            CROSS JOIN cadences_cadencestep st
            WHERE l.team_id = %(team)s AND p.email LIKE 'kari@' || %(tag)s || '%%'
              AND st.cadence_id = %(cadence)s;
            ANALYZE;
            """,
            params,
        )


def mark_first_emails_sent(team) -> None:
    """The first email of each of the team's enrollments went out through its SDR's mailbox:
    sent, with the Message-ID the dispatcher gives it (its key at the mailbox's domain)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE cadences_touch t
            SET status = 'sent', sent_at = now(), attempts = 1, mailbox_id = m.id,
                message_id = '<' || t.idempotency_key::text || '@'
                             || split_part(m.email, '@', 2) || '>',
                rendered_subject = 'Hello from the bench'
            FROM mailboxes_mailbox m, leads_lead l
            WHERE m.user_id = t.owner_id AND l.id = t.lead_id AND l.team_id = %s
              AND t.position = 1
            """,
            [team.pk],
        )


def reply_targets(team, tag: str) -> list[dict]:
    """Per mailbox, its lead of round ``tag``: who replies to what."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT m.email, e.id, p.email, t.message_id FROM cadences_touch t "
            "JOIN cadences_enrollment e ON e.id = t.enrollment_id "
            "JOIN leads_lead l ON l.id = t.lead_id JOIN leads_prospect p ON p.id = l.prospect_id "
            "JOIN mailboxes_mailbox m ON m.id = t.mailbox_id "
            "WHERE l.team_id = %s AND t.position = 1 AND p.email LIKE %s ORDER BY m.id",
            [team.pk, f"kari@{tag}%"],
        )
        return [
            {"mailbox": r[0], "enrollment": r[1], "prospect": r[2], "message_id": r[3]}
            for r in cur.fetchall()
        ]


def reply(target: dict) -> bytes:
    """The prospect's answer, as a mail client writes it: in the thread, quoting the email."""
    domain = target["prospect"].rpartition("@")[2]
    return "\r\n".join([
        f"From: Kari Nordmann <{target['prospect']}>",
        f"To: <{target['mailbox']}>",
        "Subject: Re: Hello from the bench",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: <{uuid.uuid4().hex}@{domain}>",
        f"In-Reply-To: {target['message_id']}",
        f"References: {target['message_id']}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Thanks, that sounds interesting. Can we talk on Thursday?",
        "",
        f"On Monday, <{target['mailbox']}> wrote:",
        "> Hello from the bench",
        "",
    ]).encode()  # fmt: skip


def newsletter(to: str) -> bytes:
    """A message from nobody the team knows: the sync reads its headers and leaves it."""
    return "\r\n".join([
        "From: News <news@newsletter.example>",
        f"To: <{to}>",
        "Subject: This week's news",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: <{uuid.uuid4().hex}@newsletter.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Nothing for a cadence here.",
        "",
    ]).encode()  # fmt: skip


def percentile(ordered: list[float], q: float) -> float:
    return ordered[round(q * (len(ordered) - 1))]
