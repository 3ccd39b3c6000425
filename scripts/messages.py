"""The message catalogues (docs/i18n.md), without GNU gettext.

    python scripts/messages.py compile    every locale/*/LC_MESSAGES/*.po -> .mo (make deps,
                                          make test, scripts/test-services.sh, the image)
    python scripts/messages.py baseline   rewrite locale/untranslated-baseline.txt: the bokmål
                                          entries still allowed to be untranslated

tests/test_translations.py fails on an untranslated or fuzzy bokmål entry that the baseline
does not list, and on a baseline line that is no longer needed: the baseline only shrinks.
Run ``baseline`` on purpose only (it would let every new untranslated string in); the goal is
an empty file.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sdrcrm import pofile  # noqa: E402  (the tree's own, without Django set up)

LOCALE = ROOT / "locale"
NB_PO = LOCALE / "nb" / "LC_MESSAGES" / "django.po"
BASELINE = LOCALE / "untranslated-baseline.txt"
BASELINE_HEAD = (
    "# The bokmål entries of locale/nb/LC_MESSAGES/django.po allowed to be untranslated for\n"
    "# now, one JSON string a line (a context, if any, then \\u0004, then the msgid).\n"
    "# tests/test_translations.py fails on any other untranslated or fuzzy entry, and on a\n"
    "# line here that is no longer needed. Only ever remove lines; the goal is an empty list.\n"
)


def untranslated(entries) -> list[str]:
    return sorted(e.key for e in entries if not e.is_header and not e.translated)


def read_baseline(path: Path = BASELINE) -> list[str]:
    if not path.exists():
        return []
    return [
        json.loads(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def write_baseline(keys: list[str], path: Path = BASELINE) -> None:
    lines = [json.dumps(k, ensure_ascii=False) for k in sorted(keys)]
    path.write_text(BASELINE_HEAD + "".join(line + "\n" for line in lines), encoding="utf-8")


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "compile":
        for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
            pofile.compile_file(po)
        return 0
    if command == "baseline":
        keys = untranslated(pofile.read(NB_PO))
        write_baseline(keys)
        print(f"messages: {len(keys)} untranslated bokmål entries in {BASELINE.name}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
