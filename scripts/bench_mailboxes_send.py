"""Part 3 of scripts/bench_mailboxes.py: sending with the mailboxes' limits on, through the
real SMTP server.

--send-emails emails come due at one moment across --send-mailboxes mailboxes with low limits
(``LIMITS``: 5 an hour, 10 a day, at least 120 s between two emails plus up to 60 s of random
jitter). The product's dispatcher sends them: at each tick ``cadences.services.tick`` and then
``SDRCRM_DISPATCH_FANOUT`` dispatch runs at once (``touch_dispatch_due``, what
``cadences.tick_task`` and ``touch_dispatch_task`` do; here in threads of this process, since
the broker only rings the bell, which scripts/bench_dispatch.py measures), through the test
SMTP server (aiosmtpd), which files the Sent copy as Gmail does.

The clock. The limits span hours and a day; the run takes minutes. The dispatcher reads the
time from sdrcrm/clock.py (an offset in the file ``SDRCRM_CLOCK_FILE``). This script sets it
tick by tick, on a grid of ``SDRCRM_TICK_SECONDS`` (10, as beat rings the tick) from the
start, skipping the ticks at which nothing is due, and never while a tick's dispatch runs
(real time passes at its own pace within a tick). So each email the SMTP server logged, at a
real moment, maps exactly to the simulated moment through the offset of its tick.

Checked from the SMTP server's log: every email handed over once (no Message-ID twice), no
mailbox over its hourly cap (per clock hour, UTC, as counted) or its daily cap (per local day
of its owner), no two emails of a mailbox closer than its gap. The product spaces the
*reservations* of two emails by the gap; an email reaches the server a fraction of a second
after its reservation and that fraction varies, so the server may see two of them up to
``HANDOVER_TOLERANCE`` closer than that; a closer pair fails the run.

Lateness: the simulated moment the server got each email minus the slot it was due at (its
``due_at``: the first moment, or the mailbox's next slot it was put back to).
"""

import os
import statistics
import threading
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from scripts.bench_mailboxes_world import (
    make_cadence,
    make_leads,
    make_mailboxes,
    make_team,
    percentile,
)

LIMITS = {"hourly_cap": 5, "daily_cap": 10, "min_gap_seconds": 120, "jitter_seconds": 60}
HANDOVER_TOLERANCE = 1.0  # seconds
OWNER_ZONE = ZoneInfo("Europe/Oslo")
MAX_SIMULATED = timedelta(days=7)


class Clock:
    """The offset file of sdrcrm/clock.py, set to put the dispatcher's now at a moment."""

    def __init__(self, path: str):
        self.path = Path(path)
        self.writes = 0

    def set(self, moment: datetime) -> float:
        offset = moment.timestamp() - time.time()
        self.path.write_text(repr(offset))
        # sdrcrm.clock reads the file again when its modification time changes: a new one
        # each time, whatever the file system's timestamp resolution.
        self.writes += 1
        os.utime(self.path, (1_000_000_000 + self.writes,) * 2)
        return offset


def next_tick(start: datetime, moment: datetime, tick: float) -> datetime:
    """The first tick of the grid (``start`` + k × ``tick``) at or after ``moment``."""
    k = max(0, -(-(moment - start).total_seconds() // tick))
    return start + timedelta(seconds=k * tick)


def progress(team) -> tuple[int, datetime | None]:
    """First emails of the team not sent yet, and the earliest moment one is due."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FILTER (WHERE t.status IN ('scheduled', 'sending')), "
            "min(t.due_at) FILTER (WHERE t.status = 'scheduled') FROM cadences_touch t "
            "JOIN leads_lead l ON l.id = t.lead_id WHERE l.team_id = %s AND t.position = 1",
            [team.pk],
        )
        return cur.fetchone()


def dispatch_tick(fanout: int) -> list:
    """The tick, then ``fanout`` dispatch runs at once when emails are due; their stats."""
    from django.db import connection

    from cadences.services import tick, touch_dispatch_due

    if not tick()["emails_due"]:
        return []
    results, errors = [], []

    def run() -> None:
        try:
            results.append(touch_dispatch_due())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(fanout)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"a dispatch run failed: {errors[0]!r}")
    return results


def send_figure(servers, args) -> dict:
    from django.conf import settings
    from django.db import connection

    k, m = args.send_mailboxes, args.send_emails
    team = make_team("Bench send")
    mailboxes = make_mailboxes(team, servers, k, "send", **LIMITS)
    cadence, steps = make_cadence(team)
    # Tomorrow 10:50 in Oslo: the first hour is cut short, and the day's cap is reached in it.
    start = (datetime.now(OWNER_ZONE) + timedelta(days=1)).replace(
        hour=10, minute=50, second=0, microsecond=0
    )
    owners = [mailboxes[i % k].user_id for i in range(m)]
    make_leads(team, cadence, steps, owners, "s", start)
    print(f"{m} emails due across {k} mailboxes, limits {LIMITS}", flush=True)

    tick = float(os.environ.get("SDRCRM_TICK_SECONDS", 10))
    fanout = settings.SDRCRM_DISPATCH_FANOUT
    clock = Clock(settings.SDRCRM_CLOCK_FILE)
    windows: list[tuple[float, float, float]] = []  # real start, real end, offset
    rescheduled = busy = 0
    at, real_start = start, time.monotonic()
    with servers.smtp_mode(saves_sent=True):
        while True:
            offset = clock.set(at)
            began = time.time()
            stats = dispatch_tick(fanout)
            ended = time.time()
            windows.append((began, ended, offset))
            busy += bool(stats)
            rescheduled += sum(s.rescheduled for s in stats)
            left, due = progress(team)
            if not left:
                break
            if at - start > MAX_SIMULATED:
                raise SystemExit(f"{left} emails still unsent after {MAX_SIMULATED} simulated")
            done = datetime.fromtimestamp(ended + offset, UTC)  # this tick's simulated end
            at = max(next_tick(start, max(done, due or done), tick), at + timedelta(seconds=tick))
    real_seconds = time.monotonic() - real_start
    clock.path.unlink(missing_ok=True)

    logins = {mb.email for mb in mailboxes}
    log = [s for s in servers.submissions() if s.login in logins]
    starts = [w[0] for w in windows]

    def simulated(real: float) -> datetime:
        began, ended, offset = windows[bisect_right(starts, real) - 1]
        if not began <= real <= ended:
            raise SystemExit(f"an email reached the server between two ticks ({real})")
        return datetime.fromtimestamp(real + offset, UTC)

    handed = [(s.login, simulated(s.at), s.message_id) for s in log if s.accepted]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT t.message_id, t.due_at FROM cadences_touch t JOIN leads_lead l "
            "ON l.id = t.lead_id WHERE l.team_id = %s AND t.status = 'sent' AND t.position = 1",
            [team.pk],
        )
        due_at = dict(cur.fetchall())
    checks = check_limits(handed, m, due_at)
    late = sorted((when - due_at[mid]).total_seconds() for _, when, mid in handed)
    figure = {
        "name": "mailboxes.send_lateness",
        "unit": "s",
        "median": statistics.median(late),
        "p95": percentile(late, 0.95),
        "max": late[-1],
        "emails": m,
        "mailboxes": k,
        "limits": LIMITS,
        "tick_seconds": tick,
        "dispatch_runs_per_tick": fanout,
        "ticks": len(windows),
        "ticks_with_emails_due": busy,
        "rescheduled": rescheduled,
        "simulated_hours": round((windows[-1][1] + windows[-1][2] - start.timestamp()) / 3600, 2),
        "real_seconds": round(real_seconds, 1),
        **checks,
    }
    print(f"sending with caps: {figure}", flush=True)
    if checks["over_limit"]:
        raise SystemExit(f"a mailbox went over a limit: {checks['over_limit']}")
    return figure


def check_limits(handed: list[tuple[str, datetime, str]], wanted: int, due_at: dict) -> dict:
    """What the SMTP server's log says of the limits (``handed``: login, simulated moment,
    Message-ID of each email it accepted)."""
    over: list[str] = []
    twice = [mid for mid, n in Counter(mid for _, _, mid in handed).items() if n > 1]
    if twice:
        over.append(f"{len(twice)} Message-IDs handed over twice")
    if len(handed) != wanted or len(due_at) != wanted:
        over.append(f"{len(handed)} emails at the server, {len(due_at)} sent, {wanted} due")
    by_mailbox: dict[str, list[datetime]] = defaultdict(list)
    for login, when, _ in handed:
        by_mailbox[login].append(when)
    hourly, daily, gaps = Counter(), Counter(), []
    for login, moments in by_mailbox.items():
        moments.sort()
        for when in moments:
            hourly[login, when.replace(minute=0, second=0, microsecond=0)] += 1
            daily[login, when.astimezone(OWNER_ZONE).date()] += 1
        gaps += [(b - a).total_seconds() for a, b in zip(moments, moments[1:], strict=False)]
    gap = LIMITS["min_gap_seconds"]
    if max(hourly.values()) > LIMITS["hourly_cap"]:
        over.append(f"hourly cap: {max(hourly.values())} in one hour")
    if max(daily.values()) > LIMITS["daily_cap"]:
        over.append(f"daily cap: {max(daily.values())} in one day")
    closer = [g for g in gaps if g < gap - HANDOVER_TOLERANCE]
    if closer:
        over.append(f"gap: {len(closer)} pairs closer than {gap} s, the closest {min(closer)} s")
    return {
        "over_limit": over,
        "most_in_an_hour": max(hourly.values()),
        "most_in_a_day": max(daily.values()),
        "smallest_gap_seconds": round(min(gaps), 2) if gaps else None,
        "gaps_under_min_gap": sum(g < gap for g in gaps),
        "handed_over": len(handed),
    }
