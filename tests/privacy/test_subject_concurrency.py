"""Two erasures of one person at the same moment (two officers, or a double click reaching
two web workers), on real concurrent connections: the rows are locked by address, so one
erases every team's row and the other finds nobody held and changes nothing."""

from functools import partial

import pytest

from audit.models import AuditEntry
from leads.models import Prospect
from privacy.registry import ERASED_NAME
from privacy.services import subject_erase
from tests.leads.test_concurrency import OK, race

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 10


def test_two_erasures_at_once_erase_once(crew, other_crew):
    for n in range(ROUNDS):
        email = f"twice{n}@race.example"
        leads = [c.lead(owner="sdr", prospect__email=email) for c in (crew, other_crew)]

        results = race(
            partial(subject_erase, actor=crew.privacy, email=email, reason=f"DSR-{n}-a"),
            partial(subject_erase, actor=other_crew.privacy, email=email, reason=f"DSR-{n}-b"),
        )

        assert [kind for kind, _ in results] == [OK, OK], results
        outcomes = [value for _, value in results]
        assert outcomes.count(None) == 1, outcomes
        (changed,) = [v for v in outcomes if v is not None]
        assert changed["leads.prospect"] == 2
        names = Prospect.objects.filter(pk__in=[lead.prospect_id for lead in leads])
        assert list(names.values_list("first_name", flat=True)) == [ERASED_NAME] * 2
        entries = AuditEntry.objects.filter(
            action="privacy_erase", target_id__in=[str(lead.prospect_id) for lead in leads]
        )
        assert entries.count() == 2
        assert len({e.changes["reason"] for e in entries}) == 1  # one erasure, one reference
