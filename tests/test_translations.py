"""The bokmål catalogue (locale/nb/LC_MESSAGES/django.po, docs/i18n.md).

Fails on an untranslated entry that locale/untranslated-baseline.txt does not list, on any
fuzzy entry (a msgid that changed under its translation: check it and remove the flag), on a
baseline line that is no longer needed (translated, or gone: the baseline only shrinks), and
on a translation whose %(name)s placeholders differ from the English (it would raise at
render time). Issue 21's first wave left most entries untranslated, listed in the baseline;
the next wave translates them and empties it."""

import importlib.util
import re
from pathlib import Path

import pytest
from django.utils import translation

from sdrcrm import pofile

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("scripts_messages", ROOT / "scripts/messages.py")
messages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messages)

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}")


@pytest.fixture(scope="module")
def entries():
    return pofile.read(messages.NB_PO)


def test_the_catalogue_has_a_proper_header(entries):
    header = entries[0]
    assert header.is_header and not header.fuzzy
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields["Language"] == "nb"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_no_entry_is_fuzzy(entries):
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if e.fuzzy and not e.is_header]
    assert fuzzy == [], "check these translations and remove their fuzzy flag"


def test_every_entry_is_translated_or_in_the_baseline(entries):
    baseline = set(messages.read_baseline())
    missing = [
        f"line {e.line}: {e.msgid!r}"
        for e in entries
        if not e.is_header and not e.translated and e.key not in baseline
    ]
    assert missing == [], "translate these (docs/glossary.md)"


def test_the_baseline_only_lists_what_is_still_untranslated(entries):
    still = set(messages.untranslated(entries))
    stale = sorted(set(messages.read_baseline()) - still)
    assert stale == [], "translated or gone: remove these lines from the baseline"


def test_the_baseline_has_no_duplicates():
    lines = messages.read_baseline()
    assert len(lines) == len(set(lines))


def test_translations_keep_the_placeholders(entries):
    wrong = []
    for e in entries:
        if e.is_header or not e.translated:
            continue
        english = {m for m in PLACEHOLDER.findall(e.msgid + (e.msgid_plural or ""))}
        for text in e.msgstr.values():
            if {m for m in PLACEHOLDER.findall(text)} - english:
                wrong.append(f"line {e.line}: {e.msgid!r}")
        if e.msgid_plural is None and {m for m in PLACEHOLDER.findall(e.msgstr[0])} != english:
            wrong.append(f"line {e.line}: {e.msgid!r}")
    assert wrong == []


def test_the_compiled_catalogue_is_current_and_read_by_django(entries):
    """scripts/test-services.sh compiled it before this run (make deps does it too)."""
    mo = messages.NB_PO.with_suffix(".mo")
    assert mo.read_bytes() == pofile.compile_mo(entries)
    with translation.override("nb"):
        assert translation.gettext("Change language") == "Bytt språk"
    with translation.override("en"):
        assert translation.gettext("Change language") == "Change language"
