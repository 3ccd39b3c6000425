"""Browser tests: pytest-playwright drives Debian's Chromium against Django's live_server.

`playwright install` cannot download here, so the browser is the system Chromium."""

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
        # Each role has its landing page (SDRs and BDRs: Today; managers: Leads).
        page.wait_for_url(lambda url: not url.startswith(f"{live_server.url}/login/"))

    return _login
