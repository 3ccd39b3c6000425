import io
import zipfile

import pytest

from intake import reader
from intake.reader import FileRejected
from intake.rows import field_for_header

from .files import csv_bytes, messy_csv, xlsx_bomb, xlsx_bytes


def detect(data: bytes) -> reader.Detected:
    s = reader.Sniffer()
    for i in range(0, len(data), 7):  # fed in odd pieces, as uploads arrive
        s.feed(data[i : i + 7])
    return s.finish()


def records(data: bytes):
    return list(reader.iter_records(detect(data), [data]))


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp1252", "cp1252"), ("utf-16", "utf-16")],
)
def test_encoding_is_detected_and_norwegian_letters_survive(encoding, expected):
    data = messy_csv(encoding)
    d = detect(data)
    assert (d.file_format, d.encoding, d.delimiter) == ("csv", expected, ";")
    recs = records(data)
    assert recs[0].cells[:3] == ["Fornavn", "Etternavn", "E-post"]
    assert recs[2].cells[1] == "Ødegård"


def test_latin1_bytes_undefined_in_cp1252_fall_back_to_latin1():
    data = "Fornavn,E-post\nJos\xe9,jose@x.no\n".encode("latin-1") + b"\x81\n"
    assert detect(data).encoding == "latin-1"


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_delimiter_is_detected(delimiter, name):
    data = csv_bytes(["Name", "Email", "Company"], [["A, B", "a@b.no", "X; Y"]] * 3, delimiter)
    assert detect(data).delimiter == delimiter


def test_header_row_found_below_title_lines():
    data = b"Export from OtherCRM\nGenerated 2026-11-01\n\nFirst Name,Last Name,Email\nA,B,a@b.no\n"
    recs = records(data)
    assert reader.header_guess(recs, field_for_header) == 3
    assert recs[3].line == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50, "This is not a spreadsheet: the file is binary."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "This is an old Excel (.xls) file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "This is not a spreadsheet"),
    ],
)
def test_files_that_are_not_lists_are_refused(data, message):
    with pytest.raises(FileRejected, match=message.replace("(", r"\(").replace(")", r"\)")):
        detect(data)


def test_a_row_of_ten_thousand_columns_is_refused():
    data = b"First Name,Email\n" + b",".join([b"x"] * 10_000) + b"\n"
    with pytest.raises(FileRejected, match=r"^Line 2 has 10,000 columns; the limit is 200\.$"):
        records(data)


def test_a_cell_of_a_megabyte_is_refused():
    data = b"First Name,Email\nA," + b"y" * 1_000_000 + b"\n"
    with pytest.raises(FileRejected, match=r"^Line 2 has a cell longer than 32,767 characters\.$"):
        records(data)


def test_invalid_bytes_late_in_a_utf8_looking_file_switch_the_encoding():
    data = b"First Name,Email\n" + b"Ann,ann@x.no\n" * 10_000 + b"J\xf8rn,jorn@x.no\n"
    d = detect(data)
    assert d.encoding == "cp1252"
    assert records(data)[-1].cells == ["Jørn", "jorn@x.no"]


def test_xlsx_cells_are_read_as_text_and_formulas_are_not_evaluated():
    data = xlsx_bytes(
        [["First Name", "Email", "Employees"], ["Kari", "k@x.no", 12], ["=1+1", "=A2", 3.0]]
    )
    d = detect(data)
    assert d.file_format == "xlsx"
    recs = records(data)
    assert [r.cells for r in recs] == [
        ["First Name", "Email", "Employees"],
        ["Kari", "k@x.no", "12"],
        ["=1+1", "=A2", "3"],
    ]


def test_an_xlsx_bomb_is_refused_before_parsing():
    data = xlsx_bomb()
    assert len(data) < 2_000_000
    with pytest.raises(
        FileRejected, match=r"too large once unpacked \(629\.1 MB; the limit is 500 MB\)"
    ):
        records(data)


def test_a_zip_that_is_not_a_workbook_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(FileRejected, match="not an Excel workbook"):
        records(buf.getvalue())
