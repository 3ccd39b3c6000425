"""Migration leads 0004 (issue 20): every team that exists gets the starting lists of reasons,
the same as the code's defaults, so that old leads' codes keep their labels."""

from importlib import import_module

import pytest
from django.apps import apps

from leads.models import DisqualifyReason, Reason, RejectReason

migration = import_module("leads.migrations.0005_i20clean_reasons")

pytestmark = pytest.mark.django_db


def test_the_migrations_lists_are_the_defaults_of_when_it_was_written():
    assert migration.DISQUALIFY == [(c.value, c.label) for c in DisqualifyReason]
    assert migration.REJECT == [(c.value, str(c.label)) for c in RejectReason]


def test_seeding_gives_every_team_both_lists_once(crew, other_crew):
    migration.seed_reasons(apps, None)
    migration.seed_reasons(apps, None)  # a second run adds nothing
    for team in (crew.team, other_crew.team):
        rows = list(
            Reason.objects.filter(team=team)
            .order_by("kind", "position")
            .values_list("kind", "code", "position", "is_active")
        )
        assert rows == [
            *[("disqualify", c, i, True) for i, c in enumerate(DisqualifyReason.values)],
            *[("reject", c, i, True) for i, c in enumerate(RejectReason.values)],
        ]
