"""The fixtures: raw messages as the providers write them (tests/inbox/fixtures/*.eml)."""

from datetime import date
from pathlib import Path

from inbox.classify import Classified, classify

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The Message-ID the product gave the touch these messages answer (or bounce).
TOUCH_ID = "<5f0c2a3e-8d1b-4c7a-9e2f-1b3c4d5e6f70@nordlys.example>"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def classified(name: str, today: date = date(2026, 12, 10)) -> Classified:
    return classify(raw(name), today=today)
