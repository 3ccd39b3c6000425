"""Marketing uploads a messy CSV, checks the proposed mapping and preview, starts the import,
watches a real Celery worker's progress, and downloads the rejected rows."""

import csv
import io
import re
import uuid

import pytest
from playwright.sync_api import expect

from intake import services
from leads.models import Lead
from tests.browser.conftest import name_the_crew, press_by_keyboard
from tests.intake.files import MESSY_HEADER, MESSY_ROWS, people
from tests.integration.test_celery_worker import worker_process
from tests.integration.test_import_worker import send_to

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_marketing_imports_a_messy_list(
    page, live_server, transactional_db, crew, login, screenshots, tmp_path, monkeypatch, axe, fits
):
    queue = f"test-browser-import-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(services.start, "_enqueue", send_to(queue))
    # The messy rows, then enough clean ones for the progress bar to be seen moving.
    big = (MESSY_HEADER + "\r\n".join(MESSY_ROWS) + "\r\n").encode("utf-8-sig")
    extra = people(20_000, start=1000).decode().replace(",", ";").split("\n", 1)[1]
    extra = "\r\n".join(
        ";".join([first, last, email, company, "", title, "", "", country])
        for first, last, email, company, title, country in (
            line.split(";") for line in extra.splitlines()
        )
    )
    path = tmp_path / "messy-list.csv"
    path.write_bytes(big + extra.encode() + b"\r\n")

    name_the_crew(crew)
    login(page, crew.marketing)
    page.get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", name="Import leads")).to_be_visible()
    expect(page.get_by_text("No imports yet.")).to_be_visible()
    axe(page, "import list")
    fits(page, "import-01-list")
    page.get_by_label("CSV or XLSX file").set_input_files(str(path))
    page.screenshot(path=str(screenshots / "import-01-upload.png"), full_page=True)
    press_by_keyboard(page, page.get_by_role("button", name="Upload and map columns"))

    expect(page.get_by_role("heading", name="Map the columns of messy-list.csv")).to_be_visible()
    expect(page.get_by_text("Read as CSV, utf-8-sig, separated by semicolons")).to_be_visible()
    expect(page.get_by_label("E-post", exact=True)).to_have_value("email")
    expect(page.get_by_label("Antall ansatte")).to_have_value("employee_count")
    preview = page.locator("#preview")
    expect(preview.locator("tbody tr").first).to_contain_text("kari.nordmann@fjordkraft.no")
    expect(preview).to_contain_text("Email 'per.hansen(at)example.com' is not a valid address.")
    # Ignoring the job-title column updates the preview in place.
    page.get_by_label("Stilling").select_option(label="— ignore —")
    expect(preview.locator("tbody tr").first).not_to_contain_text("Innkjøpssjef")
    page.get_by_label("Stilling").select_option(label="Job title")
    expect(preview.locator("tbody tr").first).to_contain_text("Innkjøpssjef")
    page.screenshot(path=str(screenshots / "import-02-mapping.png"), full_page=True)
    axe(page, "import mapping")
    fits(page, "import-02-mapping")

    with worker_process(queue, tmp_path, SDRCRM_IMPORT_BATCH="500"):
        page.get_by_role("button", name="Start the import").click()
        progress = page.locator("#progress")
        expect(progress.locator("[data-started]")).to_have_text(
            "The import has started: you can leave this page."
        )
        expect(progress.locator("progress")).to_be_visible()
        expect(progress.locator(".progress-figures")).to_contain_text(
            re.compile(r"of 20,008 rows"), timeout=60_000
        )
        page.screenshot(path=str(screenshots / "import-03-progress.png"), full_page=True)
        expect(progress.get_by_role("heading", name="Finished")).to_be_visible(timeout=90_000)
    expect(page.get_by_text("The import has started")).to_have_count(0)  # gone when finished
    expect(progress.locator(".import-counts dd")).to_have_text(["20,004", "0", "1", "3"])
    expect(progress.locator("table tbody tr")).to_have_text(
        [
            "5Email 'per.hansen(at)example.com' is not a valid address.",
            "7Number of employees 'mange' is not a whole number.",
            "10The email is empty.",
        ]
    )
    page.screenshot(path=str(screenshots / "import-04-report.png"), full_page=True)
    axe(page, "import report")
    fits(page, "import-04-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows (CSV)").click()
    # UTF-8 with a byte order mark and ";" between cells: Excel with Norwegian settings.
    with open(download.value.path(), encoding="utf-8-sig") as f:
        rows = list(csv.reader(io.StringIO(f.read()), delimiter=";"))
    assert [r[:3] for r in rows] == [
        ["line", "kind", "reason"],
        ["5", "rejected", "Email 'per.hansen(at)example.com' is not a valid address."],
        ["7", "rejected", "Number of employees 'mange' is not a whole number."],
        ["10", "rejected", "The email is empty."],
    ]
    assert Lead.objects.count() == 20_004
    # A reload keeps the report: the state is in the database.
    page.reload()
    expect(page.locator("#progress").get_by_role("heading", name="Finished")).to_be_visible()
