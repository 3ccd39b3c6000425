"""Delivery under faults (issue 8): real Celery worker and beat processes on a private
PostgreSQL and a private Redis, an email backend that records every message on disk the
moment it is handed over, and the faults a deployment meets: workers SIGKILLed, Redis stopped
and emptied, PostgreSQL restarted, a web process killed between its commit and its enqueue,
two beat schedulers, and replies, bounces and unsubscribes landing while a batch is claimed.

The guarantees checked after every run (``assert_each_sent_once``): every due email was sent,
the database recorded it exactly once (one ``sent`` row, one timeline entry, the next step
scheduled once), and every message handed to the provider carried the Message-ID of its own
touch (its idempotency key): none lost, none unknown. A crash between handing a chunk to the
provider and committing it means that chunk is handed over again with the same Message-IDs
(``repeats``; the receiving side drops them); the figures are printed and kept in
docs/reliability.md.

Counts scale with SDRCRM_FAULT_SCALE (1 = the issue's numbers, `make test-faults`; unset = a
small version for `make test`). The dispatch lease is shortened to LEASE seconds here (the
production default, SDRCRM_DISPATCH_LEASE_SECONDS, is 300).
"""

import json
import signal
import threading
import time

import pytest

from .harness import assert_each_sent_once, scaled, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.worker]

LEASE = 5  # seconds: SDRCRM_DISPATCH_LEASE_SECONDS in these tests
SETTINGS = {
    "SDRCRM_DISPATCH_LEASE_SECONDS": LEASE,
    "SDRCRM_TICK_SECONDS": 1,
    "SDRCRM_DISPATCH_BATCH": 100,
    "SDRCRM_DISPATCH_CHUNK": 25,
    "SDRCRM_DISPATCH_MAX_SECONDS": 5,
    "SDRCRM_DISPATCH_FANOUT": 2,
    "SDRCRM_NURTURE_SWEEP_SECONDS": 3600,
}
# Bounds on waiting (a slow shared CI machine), not timing assertions.
SLACK = 60


def drain_within(n: int) -> float:
    return SLACK + n / 20


def seeded(deployment, n: int, **settings) -> None:
    deployment.settings.update(SETTINGS, **settings)
    result = deployment.run_action("seed", str(n))
    assert result.returncode == 0, result.stderr[-3000:]


def report(name: str, figures: dict) -> None:
    print(f"\nFAULTS {name}: {json.dumps(figures)}")


class LeaseWatch(threading.Thread):
    """Right after a whole worker was SIGKILLed: the touches it left ``sending``, and how long
    until none of them is held under that dead claim any more (put back by the tick, or claimed
    anew: a newer lease). Its own connection, polling every 50 ms."""

    def __init__(self, deployment, killed_at: float):
        super().__init__(daemon=True)
        self.deployment, self.killed_at = deployment, killed_at
        self.elapsed: float | None = None
        self.error: BaseException | None = None
        conn = deployment.pg.connect(deployment.dbname)
        with conn.cursor() as cur:
            cur.execute("SELECT id, lease_until FROM cadences_touch WHERE status = 'sending'")
            self.held = cur.fetchall()
        self.conn = conn
        self.start()

    def run(self):
        try:
            if not self.held:
                return
            ids = [pk for pk, _ in self.held]
            until = max(lease for _, lease in self.held)
            deadline = time.monotonic() + LEASE + SLACK
            with self.conn.cursor() as cur:
                while time.monotonic() < deadline:
                    cur.execute(
                        "SELECT count(*) FROM cadences_touch WHERE id = ANY(%s) "
                        "AND status = 'sending' AND lease_until <= %s",
                        [ids, until],
                    )
                    if cur.fetchone()[0] == 0:
                        self.elapsed = time.time() - self.killed_at
                        return
                    time.sleep(0.05)
        except BaseException as exc:  # noqa: BLE001 - reported by result()
            self.error = exc
        finally:
            self.conn.close()

    def result(self) -> float | None:
        self.join(timeout=LEASE + SLACK + 5)
        if self.error:
            raise self.error
        if self.held:
            assert self.elapsed is not None, "a dead worker's touches stayed held"
        return self.elapsed


def test_workers_sigkilled_repeatedly_send_every_email_once(deployment):
    """N due emails; the worker is SIGKILLed `kills` times while dispatching, alternately one
    pool child and the whole worker (every process of it), and restarted."""
    n, kills = scaled(10_000, 300), scaled(20, 4)
    # 10 ms a message: batches stay in flight long enough for each kill to land mid-dispatch.
    seeded(
        deployment,
        n,
        EMAIL_BACKEND="tests.faults.backends.SlowAppendLogBackend",
        SDRCRM_FAULTS_SEND_DELAY="0.01",
    )
    started = time.monotonic()
    deployment.start_beat()
    worker = deployment.start_worker()
    watchers = []  # one per whole-worker kill: how long the dead worker's touches stayed held
    for k in range(kills):
        target = (k + 1) * n // (kills + 2)
        wait_until(
            lambda t=target: (
                deployment.sent_count() >= t and deployment.statuses().get("sending", 0) > 0
            ),
            drain_within(n),
            f"dispatch under way before kill {k + 1}",
            deployment.logs(),
        )
        if k % 2 == 0:
            deployment.kill_pool_child(worker)
        else:
            worker.kill_group()
            watchers.append(LeaseWatch(deployment, time.time()))
            worker = deployment.start_worker()
    deployment.wait_drained(n, drain_within(n))
    elapsed = time.monotonic() - started

    figures = assert_each_sent_once(deployment, n)
    # What a dead worker held went back to the queue once its lease ran out (the tick's
    # recovery), to be sent with the rest of the backlog.
    recovery = [w.result() for w in watchers]
    recovery = [r for r in recovery if r is not None]  # None: the kill caught no batch
    assert recovery, "no whole-worker kill caught a batch in flight"
    assert max(recovery) < LEASE + SLACK
    report(
        "sigkill",
        figures
        | {
            "kills": kills,
            "whole_worker_kills_mid_batch": len(recovery),
            "lease_seconds": LEASE,
            "max_held_after_death_seconds": round(max(recovery), 1),
            "seconds": round(elapsed, 1),
        },
    )


def test_redis_stopped_started_and_flushed_during_dispatch(deployment):
    """Redis stopped (SIGTERM, then SIGKILL, in turn) and started `restarts` times, then
    emptied with FLUSHALL, while the backlog drains. Found here: Celery 5.7's worker exits
    ("Unrecoverable error") when Redis goes away while it holds an unacknowledged task; beat
    retries and lives. A deployment restarts an exited worker (docker-compose.yml:
    ``restart: unless-stopped``); so does this test, and it counts those restarts."""
    n, restarts = scaled(10_000, 300), scaled(5, 2)
    seeded(deployment, n)
    started = time.monotonic()
    beat = deployment.start_beat()
    workers = [deployment.start_worker()]

    def supervised(predicate):
        def check():
            if not workers[-1].alive():
                workers.append(deployment.start_worker())
            return predicate()

        return check

    for k in range(restarts + 1):
        target = (k + 1) * n // (restarts + 3)
        wait_until(
            supervised(lambda t=target: deployment.sent_count() >= t),
            drain_within(n),
            f"dispatch under way before Redis fault {k + 1}",
            deployment.logs(),
        )
        if k == restarts:
            deployment.redis.flushall()  # every queued and unacknowledged task gone
        else:
            deployment.redis.stop(signal.SIGKILL if k % 2 else signal.SIGTERM)
            time.sleep(2)  # down for a while: the worker and beat retry
            deployment.redis.start()
        # The backlog keeps draining after each fault.
        after = deployment.sent_count()
        wait_until(
            supervised(lambda a=after: deployment.sent_count() > a or deployment.sent_count() == n),
            drain_within(n),
            f"sending again after Redis fault {k + 1}",
            deployment.logs(),
        )
    wait_until(
        supervised(lambda: deployment.statuses() == {"sent": n}),
        drain_within(n),
        "all sent",
        deployment.logs(),
    )
    figures = assert_each_sent_once(deployment, n)
    assert beat.alive()
    report(
        "redis",
        figures
        | {
            "restarts": restarts,
            "flushall": 1,
            "worker_exits": len(workers) - 1,
            "seconds": round(time.monotonic() - started, 1),
        },
    )


def test_postgresql_restarted_during_dispatch(deployment):
    n = scaled(5_000, 300)
    # A provider taking 10 ms a message keeps chunks in "sending" long enough for the restart to
    # land mid-dispatch; without it a quiet machine sends 300 before the poll sees one in flight.
    seeded(
        deployment,
        n,
        EMAIL_BACKEND="tests.faults.backends.SlowAppendLogBackend",
        SDRCRM_FAULTS_SEND_DELAY="0.01",
    )
    deployment.start_beat()
    deployment.start_worker()
    wait_until(
        lambda: deployment.sent_count() >= n // 3 and deployment.statuses().get("sending", 0),
        drain_within(n),
        "dispatch under way",
        deployment.logs(),
    )
    deployment.pg.restart(mode="fast")  # every connection cut, mid-transaction or not
    deployment.wait_drained(n, drain_within(n))
    figures = assert_each_sent_once(deployment, n)
    assert all(p.alive() for p in deployment.processes)  # the worker reconnected
    report("postgresql", figures)


def test_web_process_killed_between_commit_and_enqueue(deployment):
    seeded(deployment, 0)
    result = deployment.run_action("enroll-and-die")
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    touch = json.loads(result.stdout.strip().splitlines()[-1])["touch"]
    # Committed, due now, and nothing reached the broker.
    assert deployment.query("SELECT status FROM cadences_touch WHERE id = %s", [touch]) == [
        ("scheduled",)
    ]
    assert deployment.redis.client().dbsize() == 0

    deployment.start_worker()
    deployment.start_beat()  # the periodic tick finds the due email
    wait_until(
        lambda: (
            deployment.query("SELECT status FROM cadences_touch WHERE id = %s", [touch])
            == [("sent",)]
        ),
        SLACK,
        "the tick to send the email",
        deployment.logs(),
    )
    [(key,)] = deployment.query(
        "SELECT idempotency_key::text FROM cadences_touch WHERE id = %s", [touch]
    )
    assert [(m, to) for _, m, to in deployment.messages()] == [
        (f"<{key}@localhost>", "kai@killed-web.example")
    ]


def test_two_beat_schedulers_at_once(deployment):
    n = scaled(5_000, 300)
    seeded(deployment, n)
    deployment.start_beat()
    deployment.start_beat()
    deployment.start_worker()
    deployment.wait_drained(n, drain_within(n))
    figures = assert_each_sent_once(deployment, n)
    assert figures["repeats"] == 0  # no crash here: nothing handed over twice either
    ticks = sum(
        p.log.read_text().count("Sending due task cadences-tick")
        for p in deployment.processes
        if p.name == "beat"
    )
    report("two-beats", figures | {"ticks": ticks})


def test_exits_committed_while_a_batch_is_claimed_stop_the_email(deployment):
    n, k = scaled(3_000, 900), scaled(60, 12)  # enough in flight for every exit to land
    # A provider taking 20 ms a message keeps batches in flight while the exits land.
    seeded(
        deployment,
        n,
        EMAIL_BACKEND="tests.faults.backends.SlowAppendLogBackend",
        SDRCRM_FAULTS_SEND_DELAY="0.02",
    )
    hitting = deployment.spawn_action("exits", str(k))
    deployment.start_beat()
    deployment.start_worker()
    out, err = hitting.communicate(timeout=drain_within(n))
    assert hitting.returncode == 0, err[-3000:]
    exits = [json.loads(line) for line in out.splitlines()]
    assert len(exits) == k
    wait_until(
        lambda: (
            deployment.statuses().get("scheduled", 0) + deployment.statuses().get("sending", 0) == 0
        ),
        drain_within(n),
        "the dispatch to finish",
        deployment.logs(),
    )

    sent_to: dict[str, list[float]] = {}
    for at, _, to in deployment.messages():
        sent_to.setdefault(to, []).append(at)
    outcomes = {"sent_before": 0, "stopped": 0, "claimed_when_hit": 0}
    stop_reason = {"reply": "replied", "bounce": "bounced", "unsubscribe": "unsubscribed"}
    for e in exits:
        outcomes["claimed_when_hit"] += e["seen"] == "sending"
        [(status,)] = deployment.query(
            "SELECT status FROM cadences_touch WHERE lead_id = %s AND position = 1", [e["lead"]]
        )
        times = sent_to.get(e["email"], [])
        # No email after the commit: either it had gone out before, or never.
        assert all(t < e["at"] for t in times), e
        if status == "sent":
            assert len(times) == 1
            outcomes["sent_before"] += 1
        else:
            assert (status, times) == ("cancelled", []), e
            outcomes["stopped"] += 1
        assert deployment.query(
            "SELECT status, stop_reason FROM cadences_enrollment WHERE lead_id = %s", [e["lead"]]
        ) == [("stopped", stop_reason[e["kind"]])]
        # Nothing is ever scheduled for them again.
        assert deployment.query(
            "SELECT count(*) FROM cadences_touch WHERE lead_id = %s "
            "AND status IN ('scheduled', 'sending', 'due')",
            [e["lead"]],
        ) == [(0,)]
    others = n - len(exits)
    assert deployment.statuses()["sent"] == outcomes["sent_before"] + others
    report("exits", outcomes | {"exits": k, "touches": n})


def test_a_provider_slower_than_the_lease_never_gets_an_email_twice(deployment):
    """A worker that outlives its lease (a provider taking 50 ms a message, batches of 100:
    5 s a batch, lease 1 s): the tick puts its touches back and the other pool process claims
    them. The first must not send what is no longer its own (found by this test: both sent,
    and the timeline showed each email twice)."""
    n = scaled(1_000, 150)
    seeded(
        deployment,
        n,
        EMAIL_BACKEND="tests.faults.backends.SlowAppendLogBackend",
        SDRCRM_FAULTS_SEND_DELAY="0.05",
        SDRCRM_DISPATCH_LEASE_SECONDS="1",
    )
    deployment.start_beat()
    deployment.start_worker()
    deployment.wait_drained(n, drain_within(n))
    figures = assert_each_sent_once(deployment, n)
    assert figures["repeats"] == 0
    report("slow-provider", figures)
