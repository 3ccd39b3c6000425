from unittest import mock

import pytest

from cadences.services import cadence_ensure_standard
from cadences.tasks import touch_dispatch_task
from tests.cadences.helpers import at


@pytest.fixture(autouse=True)
def ring():
    """The dispatcher bell (``touch_dispatch_task.delay``), rung after an enrollment commits.
    Only ``.delay`` is replaced: nothing reaches the broker from these tests."""
    with mock.patch.object(touch_dispatch_task, "delay") as delay:
        yield delay


@pytest.fixture
def standard(crew):
    """The playbook cadence of the crew's team."""
    return cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager)


@pytest.fixture
def now(time_machine):
    """The clock frozen at Monday 3 May 2027, 10:00 in Oslo: a business day, inside the
    default send window. Move it on with ``time_machine.move_to(..., tick=False)``."""
    moment = at(2027, 5, 3, 10, 0)
    time_machine.move_to(moment, tick=False)
    return moment
