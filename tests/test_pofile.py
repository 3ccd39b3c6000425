"""sdrcrm/pofile.py: reading .po files and compiling them as GNU msgfmt does, checked against
Python's own gettext reader (the one Django uses)."""

import gettext
import io

import pytest

from sdrcrm import pofile

PO = r"""# A comment
msgid ""
msgstr ""
"Language: nb\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: leads/views.py
msgid "Lead"
msgstr "Kundeemne"

#: a.py
#, python-format
msgid ""
"A long "
"line with %(name)s"
msgstr ""
"En lang "
"linje med %(name)s"

msgctxt "abbrev. month"
msgid "May"
msgstr "mai"

msgid "%(n)s lead"
msgid_plural "%(n)s leads"
msgstr[0] "%(n)s kundeemne"
msgstr[1] "%(n)s kundeemner"

#, fuzzy
msgid "Cadence"
msgstr "Kadens"

msgid "Not yet"
msgstr ""

msgid "Quote \"and\" tab\there"
msgstr "Sitat \"og\" tab\ther"

#~ msgid "Gone"
#~ msgstr "Borte"
"""


def _catalogue(text: str) -> gettext.GNUTranslations:
    return gettext.GNUTranslations(io.BytesIO(pofile.compile_mo(pofile.parse(text))))


def test_parse_reads_every_kind_of_entry():
    entries = pofile.parse(PO)
    assert [e.key for e in entries] == [
        "", "Lead", "A long line with %(name)s", "abbrev. month\x04May", "%(n)s lead",
        "Cadence", "Not yet", 'Quote "and" tab\there',
    ]  # fmt: skip
    by_key = {e.key: e for e in entries}
    assert by_key["Lead"].references == ["leads/views.py"]
    assert by_key["A long line with %(name)s"].flags == {"python-format"}
    assert by_key["A long line with %(name)s"].msgstr == {0: "En lang linje med %(name)s"}
    assert by_key["%(n)s lead"].msgid_plural == "%(n)s leads"
    assert by_key["Cadence"].fuzzy and by_key["Cadence"].translated
    assert not by_key["Not yet"].translated


def test_the_compiled_catalogue_reads_as_gettext_reads_it():
    t = _catalogue(PO)
    assert t.gettext("Lead") == "Kundeemne"
    assert t.gettext("A long line with %(name)s") == "En lang linje med %(name)s"
    assert t.pgettext("abbrev. month", "May") == "mai"
    assert t.ngettext("%(n)s lead", "%(n)s leads", 1) == "%(n)s kundeemne"
    assert t.ngettext("%(n)s lead", "%(n)s leads", 5) == "%(n)s kundeemner"
    assert t.gettext('Quote "and" tab\there') == 'Sitat "og" tab\ther'
    # Left out, as msgfmt leaves them out: the English shows.
    assert t.gettext("Cadence") == "Cadence"
    assert t.gettext("Not yet") == "Not yet"
    assert t.gettext("Gone") == "Gone"
    assert t.info()["language"] == "nb"


def test_non_ascii_survives_the_round_trip():
    t = _catalogue(PO.replace('"Kundeemne"', '"Kundeemne – ærlig, øyeblikkelig, å"'))
    assert t.gettext("Lead") == "Kundeemne – ærlig, øyeblikkelig, å"


@pytest.mark.parametrize(
    "text",
    [
        'msgid "a"\nmsgstr "b"\nmsgid "c"\nmsgstr "d"\n',  # a blank line missing
        'msgid "a"\nmsgstr "b"\nmsgstr "c"\n',
        'msgid "a\nmsgstr "b"\n',
        'msgid "a"\nbogus\n',
        'msgstr "b"\n',
    ],
)
def test_a_broken_file_is_an_error_naming_the_line(text):
    with pytest.raises(pofile.POError, match=r"<po>:\d+: "):
        pofile.parse(text)


def test_compile_file_writes_only_when_changed(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(PO, encoding="utf-8")
    mo = pofile.compile_file(po)
    first = mo.stat().st_mtime_ns
    assert mo.read_bytes() == pofile.compile_mo(pofile.parse(PO))
    pofile.compile_file(po)
    assert mo.stat().st_mtime_ns == first
