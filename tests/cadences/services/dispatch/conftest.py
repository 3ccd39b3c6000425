"""The dispatcher tests' cadence: an email, a LinkedIn touch the same day, an email two
business days later."""

import pytest

from cadences.models import Channel
from tests.cadences.helpers import email, make_cadence, task
from tests.cadences.services.dispatch.helpers import BODY
from tests.cadences.services.dispatch.mailbox_world import world  # noqa: F401 (a fixture)


@pytest.fixture
def cadence(crew):
    """Email now, a LinkedIn touch the same day, an email two business days later."""
    return make_cadence(
        crew.manager,
        [
            email(subject="Hi {{ prospect.first_name }}", body=BODY),
            task(Channel.LINKEDIN_CONNECT),
            email(subject="Following up", body=BODY, day_offset=2),
        ],
        name="Short",
    )
