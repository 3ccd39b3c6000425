"""Every dashboard page runs a fixed number of queries, however much data there is."""

import pytest

from cadences.services import cadence_ensure_standard
from dashboards.rollup import facts_refresh
from leads.services import lead_log_call
from tests.fixtures import walk

pytestmark = pytest.mark.django_db

# session, user (with their team, the scope) and, where the page has an SDR or cadence filter,
# the team's SDRs and cadences; the rollup's time; then the page's own queries (see each
# metrics function's docstring).
PAGES = {
    "/dashboards/": {"manager": 8, "sdr": 7},  # + funnel; stalled: per state, oldest 50
    "/dashboards/activity/": {"manager": 8, "sdr": 7},  # + counts, worked and speed, names
    "/dashboards/commission/": {"manager": 8, "sdr": 7},  # + facts, summary, leads, names
    "/dashboards/cadences/": {"manager": 8, "sdr": 7},  # + day counts, cadences, steps
    "/dashboards/time-in-stage/": {"manager": 6, "sdr": 5},  # + percentiles
    "/dashboards/leads/?figure=call": {"manager": 6, "sdr": 5},  # + facts, leads
}


def _activity(crew, n):
    cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager)
    for i in range(n):
        for owner in ("sdr", "sdr2"):
            lead = crew.lead(owner=owner)
            lead_log_call(actor=lead.owner, lead_id=lead.pk, outcome="connected")
            walk(lead, "accepted" if i % 2 else "handed_off", ae=crew.ae)
    facts_refresh()


@pytest.mark.parametrize("n", [2, 8])
@pytest.mark.parametrize("path", list(PAGES))
@pytest.mark.parametrize("role", ["manager", "sdr"])
def test_dashboard_query_count_does_not_grow(
    crew, client, django_assert_num_queries, n, path, role
):
    _activity(crew, n)
    client.force_login(getattr(crew, role))
    with django_assert_num_queries(PAGES[path][role]):
        response = client.get(path)
    assert response.status_code == 200
