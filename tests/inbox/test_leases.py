"""Leases: sync processes share the mailboxes and never hold one at the same time; a dead
process's mailboxes are taken over once its leases run out; a disconnected mailbox is let go."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inbox.models import SyncLease
from inbox.services import lease_claim, lease_held, lease_release, lease_renew
from mailboxes.models import Mailbox
from tests.factories import UserFactory


def mailboxes(team, n: int, **fields) -> list[int]:
    ids = []
    for _ in range(n):
        user = UserFactory(team=team)
        box = Mailbox.objects.create(
            user=user, team=team, email=f"{user.username}@sdr.example", auth_kind="password",
            username=user.username, imap_host="127.0.0.1", smtp_host="127.0.0.1", **fields,
        )  # fmt: skip
        ids.append(box.pk)
    return ids


@pytest.mark.django_db(transaction=True)
def test_two_processes_claiming_at_once_share_the_mailboxes_without_overlap(crew):
    ids = mailboxes(crew.team, 12)
    barrier, claimed, errors = threading.Barrier(2), {}, []

    def claim(holder):
        try:
            barrier.wait()
            claimed[holder] = lease_claim(holder=holder, limit=8, seconds=60)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(h,)) for h in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert set(claimed["a"]).isdisjoint(claimed["b"])
    assert sorted(claimed["a"] + claimed["b"]) == ids
    assert sorted(len(c) for c in claimed.values()) == [4, 8]
    holders = dict(SyncLease.objects.values_list("mailbox_id", "holder"))
    assert holders == {i: ("a" if i in claimed["a"] else "b") for i in ids}


@pytest.mark.django_db
def test_a_held_mailbox_is_not_claimed_until_its_lease_runs_out(crew, time_machine):
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    ids = mailboxes(crew.team, 2)
    assert lease_claim(holder="a", limit=10, seconds=90) == ids

    assert lease_claim(holder="b", limit=10, seconds=90) == []
    time_machine.move_to(now + timedelta(seconds=89), tick=False)
    assert lease_renew(holder="a", mailbox_ids=[ids[0]], seconds=90) == [ids[0]]

    # a dies: its renewals stop; the lease it did not renew runs out first.
    time_machine.move_to(now + timedelta(seconds=91), tick=False)
    assert lease_claim(holder="b", limit=10, seconds=90) == [ids[1]]
    time_machine.move_to(now + timedelta(seconds=180), tick=False)
    assert lease_claim(holder="b", limit=10, seconds=90) == [ids[0]]

    # a comes back: it holds nothing any more, and knows it.
    assert lease_renew(holder="a", mailbox_ids=ids, seconds=90) == []
    assert lease_held(mailbox_id=ids[0], holder="a") is False
    assert lease_held(mailbox_id=ids[0], holder="b") is True


@pytest.mark.django_db
def test_a_released_mailbox_is_free_at_once_and_a_disconnected_one_is_let_go(crew):
    ids = mailboxes(crew.team, 3)
    mailboxes(crew.team, 1, status="disconnected")
    assert lease_claim(holder="a", limit=10, seconds=90) == ids

    assert lease_release(holder="a", mailbox_ids=[ids[0]]) == 1
    assert lease_claim(holder="b", limit=10, seconds=90) == [ids[0]]

    Mailbox.objects.filter(pk=ids[1]).update(status="disconnected")
    assert lease_renew(holder="a", mailbox_ids=ids[1:], seconds=90) == [ids[2]]
    assert lease_release(holder="a") == 2
    assert set(SyncLease.objects.filter(holder="").values_list("mailbox_id", flat=True)) == {
        ids[1], ids[2],
    }  # fmt: skip
