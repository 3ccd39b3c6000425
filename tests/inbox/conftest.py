from unittest import mock

import pytest

from cadences.services import cadence_ensure_standard
from cadences.tasks import touch_dispatch_task
from tests.cadences.helpers import at


@pytest.fixture(autouse=True)
def ring():
    """The dispatcher bell, rung after an enrollment commits: nothing reaches the broker."""
    with mock.patch.object(touch_dispatch_task, "delay") as delay:
        yield delay


@pytest.fixture
def standard(crew):
    return cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager)


@pytest.fixture
def now(time_machine):
    """Monday 3 May 2027, 10:00 in Oslo: a business day, inside the send window."""
    moment = at(2027, 5, 3, 10, 0)
    time_machine.move_to(moment, tick=False)
    return moment
