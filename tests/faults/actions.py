"""What the fault-injection tests do to the application from outside: run as a process of its
own (``python -m tests.faults.actions COMMAND …``) against the private database named by
DATABASE_URL, as a web process or a provider's webhook would.

  seed N                    a team, 50 SDRs, a two-email cadence open every hour of every
                            day, and N contacting leads each with its first email due now
                            (the dispatch benchmark's world: scripts/bench_dispatch.py)
  enroll-and-die            a web request that enrolls a lead (its first email due now) and
                            is SIGKILLed after the commit, just before it enqueues the
                            dispatch: prints the touch's id, then dies
  exits K                   K replies, bounces and unsubscribes (in turn), each on a lead
                            whose email a dispatcher has just claimed (status ``sending``)
                            when there is one (it waits for the first claim before
                            starting): prints one JSON line per exit with the moment
                            its transaction had committed
"""

import json
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sdrcrm.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(n: int) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_dispatch import generate, make_world

    team, cadence, steps = make_world()
    generate(team, cadence, steps, n, "f", "now() - interval '1 minute'")
    print(json.dumps({"team": team.pk, "cadence": cadence.pk}), flush=True)


def enroll_and_die() -> None:
    from unittest import mock

    from accounts.models import User
    from cadences.models import Cadence, Touch
    from cadences.services import enrollment_create
    from cadences.tasks import touch_dispatch_task
    from leads.models import Company, Lead, Prospect

    sdr = User.objects.filter(role="sdr").order_by("pk").first()
    cadence = Cadence.objects.get(name="Bench")
    company = Company.objects.create(
        team=sdr.team, name="Killed Web AS", time_zone="Europe/Oslo"
    )
    prospect = Prospect.objects.create(
        team=sdr.team, company=company, first_name="Kai", last_name="Web",
        email="kai@killed-web.example",
    )  # fmt: skip
    lead = Lead.objects.create(team=sdr.team, prospect=prospect, owner=sdr, source="outbound")

    def die():
        touch = Touch.objects.get(lead=lead, position=1)
        print(json.dumps({"touch": touch.pk, "lead": lead.pk}), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # committed; the enqueue never happens

    with mock.patch.object(touch_dispatch_task, "delay", side_effect=die):
        enrollment_create(actor=sdr, lead_id=lead.pk, cadence_id=cadence.pk)
    raise SystemExit("not killed")


def exits(k: int) -> None:
    from django.db import connection

    from cadences.services import email_record_bounce, email_record_unsubscribe, lead_record_reply

    done: set[int] = set()
    with connection.cursor() as cur:  # started before the worker: wait for its first claim
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            cur.execute("SELECT 1 FROM cadences_touch WHERE status = 'sending' LIMIT 1")
            if cur.fetchone():
                break
            time.sleep(0.01)
    for i in range(k):
        kind = ("reply", "bounce", "unsubscribe")[i % 3]
        row = None
        deadline = time.monotonic() + 5
        with connection.cursor() as cur:
            while row is None and time.monotonic() < deadline:
                cur.execute(
                    "SELECT t.lead_id, p.email, t.status FROM cadences_touch t "
                    "JOIN leads_lead l ON l.id = t.lead_id "
                    "JOIN leads_prospect p ON p.id = l.prospect_id "
                    "WHERE t.position = 1 AND t.status = 'sending' AND NOT t.lead_id = ANY(%s) "
                    "ORDER BY random() LIMIT 1",
                    [list(done) or [0]],
                )
                row = cur.fetchone()
                if row is None:
                    time.sleep(0.005)
            if row is None:  # nothing being claimed right now: any email not sent yet
                cur.execute(
                    "SELECT t.lead_id, p.email, t.status FROM cadences_touch t "
                    "JOIN leads_lead l ON l.id = t.lead_id "
                    "JOIN leads_prospect p ON p.id = l.prospect_id "
                    "WHERE t.position = 1 AND t.status IN ('scheduled', 'sending') "
                    "AND NOT t.lead_id = ANY(%s) ORDER BY random() LIMIT 1",
                    [list(done) or [0]],
                )
                row = cur.fetchone()
        if row is None:
            break
        lead_id, email, seen = row
        done.add(lead_id)
        if kind == "reply":
            lead_record_reply(lead_id=lead_id, actor=None, body="Stop", source="webhook")
        elif kind == "bounce":
            email_record_bounce(email=email, note="550 no such user")
        else:
            email_record_unsubscribe(email=email, note="one-click")
        committed = time.time()  # the service's transaction has committed
        print(
            json.dumps(
                {"lead": lead_id, "email": email, "kind": kind, "seen": seen, "at": committed}
            ),
            flush=True,
        )
        time.sleep(0.02)


def main(argv: list[str]) -> None:
    setup()
    command, *args = argv
    if command == "seed":
        seed(int(args[0]))
    elif command == "enroll-and-die":
        enroll_and_die()
    elif command == "exits":
        exits(int(args[0]))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
