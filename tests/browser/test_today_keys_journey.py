"""Speed of work in a real browser (issue 20): Today from the keyboard, and each role's start
page after the login.

The keyboard journey: the SDR lands on Today, moves with j/k, opens an item's outcomes with d,
logs a voicemail, skips a step with s and opens a lead with o; after each action the page is
not reloaded (htmx) and the focus is on the next item. Screenshots land in var/screenshots/
(``today-keys-*``, ``start-*``) for a human to look at."""

import json

import pytest
from playwright.sync_api import expect

from cadences.models import Reminder, TaskOutcome, Touch, TouchStatus
from tests.browser import test_cadences_journey
from tests.browser.test_cadences_journey import TODAY, _today_scene, _who

pytestmark = pytest.mark.browser

set_clock = test_cadences_journey.set_clock  # the fixture that moves the scheduling clock

# The item that has the focus (None when the focus is elsewhere), and the focused element.
FOCUSED_ITEM = """() => {
    const item = document.activeElement && document.activeElement.closest('li.queue-item');
    return item ? item.querySelector('.what').textContent.trim() : null;
}"""
FOCUSED = "() => [document.activeElement.tagName, document.activeElement.textContent.trim()]"


def _focused_item(page):
    return page.evaluate(FOCUSED_ITEM)


def _focus_lands_on(page, what: str) -> None:
    """The focus reaches ``what`` once htmx has swapped and settled the page (not at once)."""
    page.wait_for_function(f"({FOCUSED_ITEM})() === {json.dumps(what)}", timeout=5000)


def test_today_from_the_keyboard(
    page, live_server, transactional_db, crew, login, screenshots, set_clock, axe
):
    a, b, c, b_call = _today_scene(crew, set_clock)
    set_clock(TODAY)
    login(page, crew.sdr)
    page.wait_for_url(f"{live_server.url}/today/")
    items = page.locator(".queue-item")
    expect(items).to_have_count(3)
    hints = page.locator("#today-keys")
    expect(hints).to_be_visible()
    expect(hints).to_have_text("Keyboard: j/k next·previous, d done, s skip, o open")
    # A marker that a page load would wipe out: the actions must keep it.
    page.evaluate("window.__sameDocument = true")
    a_what, b_what, c_what = (f"Overdue LinkedIn connection request · {_who(a)}",
                              f"Phone call · {_who(b)}",
                              f"LinkedIn connection request · {_who(c)}")  # fmt: skip

    # j and k (and the arrows) move between the items; nothing is focused before the first j.
    assert _focused_item(page) is None
    page.keyboard.press("j")
    assert _focused_item(page) == a_what
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert _focused_item(page) == c_what
    page.keyboard.press("j")  # the last item stays focused
    assert _focused_item(page) == c_what
    page.keyboard.press("k")
    assert _focused_item(page) == b_what
    page.keyboard.press("ArrowUp")
    assert _focused_item(page) == a_what
    page.keyboard.press("ArrowDown")
    assert _focused_item(page) == b_what
    page.screenshot(path=str(screenshots / "today-keys-01-item-focused.png"), full_page=True)
    axe(page, "Today with an item focused")

    # d: the outcomes of the focused call; Escape goes back to the item.
    page.keyboard.press("d")
    assert page.evaluate(FOCUSED) == ["BUTTON", "Connected"]
    assert _focused_item(page) == b_what
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.matches('li.queue-item')")
    page.keyboard.press("Enter")  # Enter on an item: its outcomes too
    assert page.evaluate(FOCUSED) == ["BUTTON", "Connected"]
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == ["BUTTON", "Left voicemail"]
    page.screenshot(path=str(screenshots / "today-keys-02-outcome-chosen.png"), full_page=True)
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text(
        f"Phone call with {b.prospect.full_name}: Left voicemail."
    )
    expect(items).to_have_count(2)
    expect(page.get_by_role("region", name="Proposed reminder")).to_be_visible()
    # The focus is on the item that took the place of the call: the next one.
    _focus_lands_on(page, c_what)
    assert page.evaluate("window.__sameDocument") is True
    b_call.refresh_from_db()
    assert (b_call.status, b_call.outcome) == (TouchStatus.DONE, TaskOutcome.VOICEMAIL)
    page.screenshot(path=str(screenshots / "today-keys-03-after-voicemail.png"), full_page=True)
    axe(page, "Today after an action from the keyboard")

    # Keys typed into a field are the field's: nothing is skipped or opened.
    when = page.get_by_role("region", name="Proposed reminder").get_by_label("When")
    when.focus()
    page.keyboard.press("s")
    page.keyboard.press("j")
    page.keyboard.press("o")
    assert page.evaluate("document.activeElement.id") == "proposal-when"
    expect(items).to_have_count(2)
    c_touch = Touch.objects.get(lead=c, status=TouchStatus.DUE)

    # s skips the focused item's step; the focus goes to the next item (here the last one
    # left, which was before it).
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert _focused_item(page) == c_what
    page.keyboard.press("s")
    expect(page.get_by_role("status")).to_have_text("Step skipped; the next one is scheduled.")
    expect(items).to_have_count(1)
    _focus_lands_on(page, a_what)
    assert page.evaluate("window.__sameDocument") is True
    c_touch.refresh_from_db()
    assert c_touch.status == TouchStatus.SKIPPED
    page.screenshot(path=str(screenshots / "today-keys-04-after-skip.png"), full_page=True)

    # A form outside the queue posts in place too (its button's own formaction: "No, thanks"
    # dismisses, it adds no reminder); the focus goes to the first item.
    page.get_by_role("button", name="No, thanks").click()
    expect(page.get_by_role("region", name="Proposed reminder")).to_have_count(0)
    _focus_lands_on(page, a_what)
    assert page.evaluate("window.__sameDocument") is True
    assert Reminder.objects.count() == 0

    # o opens the focused item's lead.
    page.keyboard.press("o")
    page.wait_for_url(f"{live_server.url}/leads/{a.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(a.prospect.full_name)


START = [
    ("sdr", "/today/", "Today"),
    ("ae", "/qualification/queue/", "AE queue"),
    ("manager", "/dashboards/", "Pipeline"),
    ("marketing", "/imports/", "Import leads"),
]


@pytest.mark.parametrize(("role", "path", "heading"), START)
def test_each_role_lands_on_its_start_page(
    page, live_server, transactional_db, crew, login, screenshots, role, path, heading
):
    login(page, getattr(crew, role))

    page.wait_for_url(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    page.screenshot(path=str(screenshots / f"start-{role}.png"), full_page=True)
