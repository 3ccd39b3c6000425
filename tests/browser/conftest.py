"""Browser tests: pytest-playwright drives Debian's Chromium against Django's live_server.

`playwright install` cannot download here, so the browser is the system Chromium."""

import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's password


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def login(live_server):
    """Log ``user`` in through the real login form; the page ends on the user's landing page
    (accounts.views.home)."""

    def _login(page, user, *, screenshot: Path | None = None):
        page.goto(f"{live_server.url}/login/")
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        # Each role has its start page (accounts.views.START_PAGES: SDRs and BDRs Today, AEs
        # their queue, managers the pipeline, marketing the imports).
        page.wait_for_url(lambda url: not url.startswith(f"{live_server.url}/login/"))

    return _login


# --- accessibility and layout checks (issue 10) --------------------------------------------
REPO = Path(__file__).resolve().parents[2]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
AXE_BLOCKING = ("serious", "critical")


def _axe_source() -> Path:
    """axe-core comes from the npm registry, pinned in package.json / package-lock.json. `make
    test` runs `npm ci` first; a bare `pytest` installs it here when it is missing."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("axe-core is missing and npm is not installed: apt-get install npm")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=REPO, check=True)
    return AXE_JS


def page_widths(page) -> tuple[int, int]:
    return tuple(page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))


def too_wide(page) -> list[str]:
    """The outermost elements sticking out on the right, for a failure message."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                     && e.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                  + (e.className && typeof e.className === 'string'
                     ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                  + ' right=' + Math.round(e.getBoundingClientRect().right))"""
    )


@pytest.fixture
def axe(page):
    """``axe(page, name)``: run axe-core on the page as it is now and fail on any serious or
    critical violation. The project's Content-Security-Policy forbids inline scripts, which is
    how Playwright injects one, so this fixture (only) tells Chromium to bypass the policy for
    this page; tests/browser/test_security_pages.py checks the policy itself."""
    source = _axe_source()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.setBypassCSP", {"enabled": True})

    def _check(page, name: str) -> None:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(source))
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
            }"""
        )
        blocking = [v for v in result if v["impact"] in AXE_BLOCKING]
        assert not blocking, f"axe on {name} ({page.url}): {blocking}"

    return _check


@pytest.fixture
def fits(page):
    """``fits(page, name)``: no horizontal scroll of the whole page at phone width (375 px) nor
    at desktop width (the layout follows a resize; nothing is reloaded), then left at the desktop
    width. A
    screenshot of the phone layout is saved as var/screenshots/phone-<name>.png."""

    def _check(page, name: str) -> None:
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            scroll_width, inner_width = page_widths(page)
            if size is PHONE:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), full_page=True)
            assert inner_width == size["width"]
            assert scroll_width <= inner_width, f"{name} at {size['width']}px: {too_wide(page)}"

    return _check


def press_by_keyboard(page, target, *, key: str = "Enter", most: int = 80) -> None:
    """Reach ``target`` (a locator) from the top of the page with the Tab key alone, then
    activate it with ``key``: the action is reachable without a mouse, in tab order."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")  # the first stop: the skip link or the first link
    for _ in range(most):
        if target.evaluate("el => el === document.activeElement"):
            page.keyboard.press(key)
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} is not reached with Tab within {most} presses")


CREW_NAMES = {
    "manager": ("Maria", "Haugen"),
    "sdr": ("Sara", "Berg"),
    "sdr2": ("Sindre", "Dahl"),
    "bdr": ("Bjørn", "Strand"),
    "ae": ("Anders", "Lie"),
    "ae2": ("Ingrid", "Moe"),
    "marketing": ("Mia", "Solberg"),
}


def name_the_crew(crew) -> None:
    """Give the crew people's names (as the demo data does), for screenshots worth reading."""
    for attr, (first, last) in CREW_NAMES.items():
        user = getattr(crew, attr)
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
