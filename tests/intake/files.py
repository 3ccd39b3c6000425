# ruff: noqa: E501  (the rows of a messy file read best one to a line)
"""Deliberately messy lists, built in code so each quirk is visible in the test that uses it."""

import io
import zipfile

MESSY_HEADER = "Fornavn;Etternavn;E-post;Firma;Nettside;Stilling;Antall ansatte;Bransje;Land\r\n"
MESSY_ROWS = [
    "Kari;Nordmann;Kari.Nordmann@Fjordkraft.no;Fjordkraft AS;www.fjordkraft.no;Innkjøpssjef;51-200;Energi;Norge",
    "Ola;Ødegård; ola@blåbær.no ;Blåbær AS;;Daglig leder;12;Mat;NO",
    "  Kari ; Nordmann ;  KARI.NORDMANN@fjordkraft.no ;Fjordkraft AS;;;;;",  # duplicate: case, spaces
    "Per;Hansen;per.hansen(at)example.com;Hansen AS;hansen.no;;;;",  # invalid email
    '=HYPERLINK("http://evil");Formel;formel@evil.no;@SUM(1+1);;-CEO;;;',  # formula cells
    "Åse;Æsøy;ase@gmail.com;;;Konsulent;mange;;",  # not a number
    "Siri;Lie;siri@lie-consulting.no;Lie Consulting;lie-consulting.no;CTO;7;IT;Sverige",
    ";;;;;;;;",  # blank line
    "Jon;Berg;;Berg AS;;;;;",  # no email
]


def messy_csv(encoding: str = "utf-8-sig") -> bytes:
    text = MESSY_HEADER + "\r\n".join(MESSY_ROWS) + "\r\n"
    if encoding == "cp1252":
        text = text.replace("blåbær", "blabaer")  # the domain must stay ASCII
    return text.encode(encoding)


def csv_bytes(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def people(n: int, *, start: int = 0, bad_every: int = 0, domain: str = "example.org") -> bytes:
    rows = []
    for i in range(start, start + n):
        email = f"person{i}@company{i // 2}.{domain}"
        if bad_every and i % bad_every == 0:
            email = f"broken-{i}"
        rows.append([f"First{i}", f"Last{i}", email, f"Company {i // 2}", "Seller", "NO"])
    return csv_bytes(["First Name", "Last Name", "Email", "Company", "Job Title", "Country"], rows)


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_bomb() -> bytes:
    """A workbook-shaped zip whose sheet unpacks to 600 MB of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            block = b"0" * (1 << 20)
            for _ in range(600):
                f.write(block)
    return buf.getvalue()


def xlsx_with_text_table(
    rows: list[list[int]], strings, *, declare_count: bool = True, extra_parts: dict | None = None
) -> bytes:
    """A minimal workbook written with zipfile: ``rows`` of indexes into the shared-strings
    table ``strings`` (any iterable, streamed into the zip so a large table stays cheap).
    ``declare_count``: whether the table says how many texts it holds."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    strings = list(strings)
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="List" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>'
            + "".join(
                f'<row r="{r}">'
                + "".join(f'<c r="{chr(65 + c)}{r}" t="s"><v>{i}</v></c>' for c, i in enumerate(row))
                + "</row>"
                for r, row in enumerate(rows, start=1)
            )
            + "</sheetData></worksheet>"
        ),
        **(extra_parts or {}),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
        count = f' count="{len(strings)}" uniqueCount="{len(strings)}"' if declare_count else ""
        with zf.open("xl/sharedStrings.xml", "w") as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}"{count}>'.encode())
            for s in strings:
                f.write(f"<si><t>{s}</t></si>".encode())
            f.write(b"</sst>")
    return buf.getvalue()
