"""The lead page shows the newest timeline entries and links to the rest (issue 9: a lead
with hundreds of entries rendered them all on every view)."""

from datetime import timedelta

from django.utils import timezone

from leads.models import EventKind, LeadEvent
from leads.selectors import TIMELINE_SHORT


def _notes(lead, n):
    start = timezone.now() - timedelta(days=1)
    LeadEvent.objects.bulk_create(
        LeadEvent(lead=lead, kind=EventKind.NOTE, body=f"note {i}",
                  created_at=start + timedelta(seconds=i))
        for i in range(n)
    )  # fmt: skip


def test_a_long_timeline_shows_the_newest_entries_and_a_link_to_the_rest(crew, client):
    lead = crew.lead()
    _notes(lead, TIMELINE_SHORT + 5)
    client.force_login(crew.sdr)

    content = client.get(f"/leads/{lead.pk}/").content.decode()

    assert content.count('<li class="event') == TIMELINE_SHORT
    assert f"note {TIMELINE_SHORT + 4}</p>" in content  # the newest
    assert "note 4</p>" not in content and "note 5</p>" in content  # the oldest five left out
    assert f'href="/leads/{lead.pk}/?timeline=all#timeline"' in content

    content = client.get(f"/leads/{lead.pk}/?timeline=all").content.decode()

    assert content.count('<li class="event') == TIMELINE_SHORT + 5
    assert "note 0</p>" in content
    assert "?timeline=all#timeline" not in content


def test_a_short_timeline_has_no_link(crew, client):
    lead = crew.lead()
    _notes(lead, 3)
    client.force_login(crew.sdr)

    content = client.get(f"/leads/{lead.pk}/").content.decode()

    assert content.count('<li class="event') == 3
    assert "?timeline=all" not in content
