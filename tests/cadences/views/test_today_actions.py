"""An action on Today answered in place (issue 20): static/js/today.js posts the item's form
with htmx and swaps #today-page from the page the POST redirects to. The answer carries its
messages inside #today-page, and a click costs the same queries whatever the queue's length."""

import pytest

from cadences.models import TaskOutcome, Touch, TouchStatus
from tests.cadences.views import test_today
from tests.cadences.views.test_today import due_call, fill_queue, queue_items

pytestmark = pytest.mark.django_db

calls = test_today.calls  # the fixture: a cadence whose first step is a call

HTMX = {"HTTP_HX_REQUEST": "true"}
# The POST: session, user, the touch locked with its enrollment and lead, the step's outcome
# written with its timeline entry, the next step scheduled (on the team calendar's working
# days), the session saved.
POST_QUERIES = 15
# The page it redirects to: the Today page's own queries and the session's update.
PAGE_QUERIES = test_today.TODAY_QUERIES


def _page(html: str) -> str:
    """The part of the page the htmx answer swaps in."""
    start = html.index('<div id="today-page">')
    return html[start : html.index('<script src="/static/js/today.js"', start)]


@pytest.mark.parametrize("n", [2, 30])
def test_an_outcome_costs_the_same_queries_for_2_or_30_items(
    crew, calls, now, client, django_assert_num_queries, n
):
    fill_queue(crew, calls, n, now)
    lead, touch = due_call(crew, calls, prospect__first_name="Ada")
    client.force_login(crew.sdr)
    client.get("/today/")  # warm the session

    with django_assert_num_queries(POST_QUERIES):
        response = client.post(
            f"/cadences/touches/{touch.pk}/complete/",
            {"outcome": "voicemail", "next": "/today/"},
            **HTMX,
        )
    assert (response.status_code, response["Location"]) == (302, "/today/")
    with django_assert_num_queries(PAGE_QUERIES):
        page = client.get("/today/", **HTMX)

    html = page.content.decode()
    assert len(queue_items(html)) == n
    touch.refresh_from_db()
    assert (touch.status, touch.outcome) == (TouchStatus.DONE, TaskOutcome.VOICEMAIL)
    # The message is inside the part swapped in, once; the proposal too.
    swapped = _page(html)
    assert swapped.count(f"Phone call with Ada {lead.prospect.last_name}: Left voicemail.") == 1
    assert html.count("Left voicemail.") == 2  # and in base.html's own place, not swapped
    assert 'aria-label="Proposed reminder"' in swapped


def test_a_plain_page_load_shows_the_messages_once(crew, calls, now, client):
    lead, touch = due_call(crew, calls)
    client.force_login(crew.sdr)
    client.post(f"/cadences/touches/{touch.pk}/skip/", {"next": "/today/"})

    html = client.get("/today/").content.decode()

    assert html.count("Step skipped; the next one is scheduled.") == 1
    assert "Step skipped" not in _page(html)


def test_the_page_has_the_keys_hint_and_script_only_with_items(crew, calls, now, client):
    client.force_login(crew.sdr)
    empty = client.get("/today/").content.decode()
    assert 'id="today-keys"' not in empty
    assert '<script src="/static/js/today.js" defer></script>' in empty

    due_call(crew, calls)
    html = client.get("/today/").content.decode()
    assert html.count('id="today-keys"') == 1
    assert '<p id="today-keys" class="key-hints muted small" hidden>' in html


def test_a_refused_action_changes_nothing_and_answers_no_fragment(
    crew, other_crew, calls, now, client
):
    lead, touch = due_call(crew, calls)
    client.force_login(other_crew.sdr)

    response = client.post(
        f"/cadences/touches/{touch.pk}/complete/", {"outcome": "voicemail"}, **HTMX
    )

    assert response.status_code == 404
    assert Touch.objects.get(pk=touch.pk).status == TouchStatus.DUE
