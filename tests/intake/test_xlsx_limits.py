"""XLSX lists with bounded work: the upload request unpacks only what the mapping page needs;
the background import refuses a table of texts, a sheet or an archive over the limits, with a
message for the person who uploaded it. What is inflated is counted at zipfile's own level
(every piece of a part it decompresses), not timed."""

import io
import tempfile
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from intake import services
from intake.models import ImportChunk, ImportJob, ImportStatus
from intake.reader import FileRejected
from leads.models import Lead

from .conftest import upload
from .files import xlsx_bomb, xlsx_with_text_table

pytestmark = pytest.mark.django_db

HEADER = ["First Name", "Email", "Company"]


@pytest.fixture
def inflated(monkeypatch):
    """Bytes zipfile decompresses, whatever reads them (openpyxl, our reader, ElementTree)."""
    count = {"bytes": 0}
    real = zipfile.ZipExtFile._update_crc

    def counting(self, newdata):
        count["bytes"] += len(newdata)
        return real(self, newdata)

    monkeypatch.setattr(zipfile.ZipExtFile, "_update_crc", counting)
    return count


def people_table(n_rows: int, n_strings: int, *, declare_count: bool = True, header_last=False):
    """A list of ``n_rows`` people whose texts come first in a table of ``n_strings`` (the rest
    is filler no cell uses, as in a workbook whose other sheets hold many texts)."""
    texts = []
    for i in range(n_rows):
        texts += [f"Person{i}", f"person{i}@firm{i}.example.org", f"Firm {i}"]
    filler = (f"Unused text number {i:08d}" for i in range(n_strings - len(texts) - 3))
    if header_last:
        strings = [*texts, *filler, *HEADER]
        h = len(strings) - 3
    else:
        strings = [*HEADER, *texts, *filler]
        h = 0
    first = 0 if header_last else 3
    rows = [[h, h + 1, h + 2]] + [
        [first + 3 * i, first + 3 * i + 1, first + 3 * i + 2] for i in range(n_rows)
    ]
    return xlsx_with_text_table(rows, strings, declare_count=declare_count)


def table_size(data: bytes) -> int:
    return zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml").file_size


def start_and_run(actor, job):
    opts = services.ImportOptions(mapping=job.mapping, header_row=job.header_row)
    services.import_start(actor=actor, job_id=job.pk, options=opts)
    services.import_run(job.pk)
    job.refresh_from_db()
    return job


def test_a_huge_text_table_gets_a_preview_and_is_refused_in_the_background(
    client, crew, settings, inflated
):
    settings.SDRCRM_IMPORT_MAX_XLSX_STRINGS = 20_000
    data = people_table(25, 50_000, declare_count=False)  # the table does not say its size
    size = table_size(data)
    assert size > 1_500_000 and len(data) < 250_000

    client.force_login(crew.marketing)
    response = client.post("/imports/", {"file": SimpleUploadedFile("big.xlsx", data)})
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/"
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Map the columns of big.xlsx" in page and "person3@firm3.example.org" in page
    # Two requests (upload, mapping page) unpacked the first rows only, not the table.
    assert inflated["bytes"] < 200_000

    inflated["bytes"] = 0
    job = start_and_run(crew.marketing, job)
    assert (job.status, job.message) == (
        ImportStatus.FAILED,
        "This spreadsheet holds more different texts than the limit of 20,000. Split it into "
        "smaller files, or save it as CSV and upload that.",
    )
    # The reader stopped at the 20,001st text: about 40 % of the table was ever inflated.
    assert inflated["bytes"] < 0.6 * size
    assert (Lead.objects.count(), ImportChunk.objects.count(), job.created_count) == (0, 0, 0)


def test_a_table_that_declares_too_many_texts_is_refused_at_upload(crew, settings, inflated):
    settings.SDRCRM_IMPORT_MAX_XLSX_STRINGS = 20_000
    data = people_table(25, 50_000)
    with pytest.raises(FileRejected, match=r"^This spreadsheet holds more different texts "
                                           r"than the limit of 20,000\. "):  # fmt: skip
        upload(crew.marketing, data, "big.xlsx")
    assert inflated["bytes"] < 100_000
    assert (ImportJob.objects.count(), ImportChunk.objects.count()) == (0, 0)


def test_a_text_table_too_large_once_unpacked_is_refused_without_unpacking_it(
    client, crew, settings, inflated
):
    settings.SDRCRM_IMPORT_MAX_XLSX_STRINGS_BYTES = 1_000_000
    data = people_table(25, 50_000)
    client.force_login(crew.marketing)
    response = client.post("/imports/", {"file": SimpleUploadedFile("big.xlsx", data)})
    assert response.status_code == 400
    assert (
        "big.xlsx: The file&#x27;s table of texts is too large once unpacked (2.1 MB; the limit "
        "is 1 MB). Split it into smaller files, or save it as CSV and upload that. Nothing was "
        "stored." in response.content.decode()
    )
    assert inflated["bytes"] == 0
    assert (ImportJob.objects.count(), ImportChunk.objects.count()) == (0, 0)


def test_first_rows_that_need_the_end_of_the_table_are_refused_within_the_budget(
    crew, settings, inflated
):
    settings.SDRCRM_IMPORT_XLSX_PREVIEW_BYTES = 100_000
    data = people_table(25, 50_000, header_last=True)  # the header's texts are the last ones
    with pytest.raises(
        FileRejected,
        match=r"^The first rows of this spreadsheet cannot be read without unpacking more than "
        r"0\.1 MB of it\. Save it as CSV and upload that\.$",
    ):
        upload(crew.marketing, data, "odd.xlsx")
    assert inflated["bytes"] < 100_000 + 70_000  # the budget, and at most one block read
    assert ImportJob.objects.count() == 0


def test_a_sheet_over_the_cell_limit_is_refused_in_the_background(crew, settings):
    settings.SDRCRM_IMPORT_MAX_XLSX_CELLS = 150
    data = people_table(60, 200)  # 61 rows of 3 cells
    job = upload(crew.marketing, data, "wide.xlsx")  # the preview reads 32 rows at most
    assert job.columns == HEADER
    job = start_and_run(crew.marketing, job)
    assert (job.status, job.message) == (
        ImportStatus.FAILED,
        "This spreadsheet has more cells than the limit of 150 (rows × columns, counted up to "
        "row 51). Split it into smaller files, or save it as CSV and upload that.",
    )
    assert Lead.objects.count() == 0


def test_a_list_within_the_limits_imports(crew):
    job = start_and_run(crew.marketing, upload(crew.marketing, people_table(25, 500), "ok.xlsx"))
    assert (job.status, job.created_count, job.rejected_count) == (ImportStatus.DONE, 25, 0)


def test_a_zip_bomb_is_refused_at_upload_without_inflating_it(client, crew, inflated):
    data = xlsx_bomb()
    client.force_login(crew.marketing)
    response = client.post("/imports/", {"file": SimpleUploadedFile("bomb.xlsx", data)})
    assert response.status_code == 400
    assert (
        "bomb.xlsx: The file is too large once unpacked (629.1 MB; the limit is 500 MB). Split "
        "it into smaller files, or save it as CSV and upload that. Nothing was stored."
        in response.content.decode()
    )
    assert inflated["bytes"] == 0
    assert (ImportJob.objects.count(), ImportChunk.objects.count()) == (0, 0)


def test_a_part_compressed_suspiciously_well_is_refused_without_inflating_it(
    crew, settings, inflated
):
    settings.SDRCRM_IMPORT_MAX_XLSX_UNPACKED = 10**12
    with pytest.raises(FileRejected, match=r"compressed suspiciously well \(629\.1 MB unpacked "):
        upload(crew.marketing, xlsx_bomb(), "bomb.xlsx")
    assert inflated["bytes"] == 0


@pytest.mark.parametrize(
    "parts",
    [
        {"xl/workbook.xml": "<workbook><sheets"},  # broken XML
        {"[Content_Types].xml": "not xml at all"},
        {"xl/worksheets/sheet1.xml": "<worksheet><sheetData><row><c t='s'><v>99999</v>"},
    ],
)
def test_an_unreadable_xlsx_gets_a_message_without_the_servers_paths(client, crew, parts):
    good = people_table(3, 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, parts.get(info.filename, src.read(info.filename)))
    client.force_login(crew.marketing)
    response = client.post("/imports/", {"file": SimpleUploadedFile("broken.xlsx", buf.getvalue())})
    page = response.content.decode()
    assert response.status_code == 400
    assert (
        "broken.xlsx: This XLSX file cannot be read: it is damaged or not an Excel workbook. "
        "Open it in Excel and save it again, or save it as CSV and upload that. Nothing was "
        "stored." in page
    )
    assert tempfile.gettempdir() not in page and "/tmp" not in page
    assert ImportJob.objects.count() == 0
