"""In a real browser, under the Content-Security-Policy: no page reports a violation, the
behaviour moved out of inline attributes still works (bar widths, the manager's day picker),
and the two-factor page shows its QR code."""

import pytest

pytestmark = pytest.mark.browser


def _watch_csp(page) -> list[str]:
    violations = []
    page.on(
        "console",
        lambda msg: (
            violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    return violations


def test_pages_run_without_csp_violations(
    page, live_server, transactional_db, crew, login, screenshots
):
    lead = crew.lead(owner="sdr")
    violations = _watch_csp(page)
    login(page, crew.manager)
    paths = ["/leads/", f"/leads/{lead.pk}/", "/leads/overview/", "/today/", "/cadences/"]
    paths += [f"/qualification/leads/{lead.pk}/", "/qualification/model/"]
    for path in paths:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    # The notifications badge is loaded by htmx (hx-trigger="load").
    page.goto(live_server.url + "/leads/")
    page.wait_for_load_state("networkidle")
    assert page.locator("nav [hx-get]").count() == 0  # swapped by the badge
    # Overview bars got their width from data-width (app.js), not an inline style attribute.
    page.goto(live_server.url + "/leads/overview/")
    width = page.locator(".bar[data-width]").first.evaluate(
        "el => el.style.getPropertyValue('--w')"
    )
    assert width.endswith("%")
    # The manager's day picker submits on change without an inline onchange.
    page.goto(live_server.url + "/today/")
    page.select_option("#sdr", str(crew.sdr.pk))
    page.wait_for_url(f"{live_server.url}/today/?sdr={crew.sdr.pk}")
    page.screenshot(path=str(screenshots / "security-today-manager.png"), full_page=True)
    assert violations == []


def test_two_factor_page_shows_a_qr_code(
    page, live_server, transactional_db, crew, login, screenshots
):
    violations = _watch_csp(page)
    login(page, crew.manager)
    page.get_by_role("link", name="Two-factor").click()
    page.wait_for_url(f"{live_server.url}/account/two-factor/")
    box = page.locator("figure.qr svg").bounding_box()
    assert box["width"] > 100 and box["height"] > 100
    page.screenshot(path=str(screenshots / "security-two-factor.png"), full_page=True)
    assert violations == []
