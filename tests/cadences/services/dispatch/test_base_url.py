"""The links in emails lead to the site (issue 20): a development run derives the public
address from the port it serves (scripts/dev-env.sh, sourced by scripts/run-dev.sh), and
outside development mode no cadence email goes out while SDRCRM_BASE_URL is unset: it is held
with the reason, and released once the address is set."""

import os
import subprocess
from pathlib import Path

import pytest
from django.core import mail

from cadences.models import HoldReason, TouchStatus
from cadences.selectors import today_queue
from cadences.services import tick, touch_dispatch_due
from leads.models import EventKind
from tests.cadences.helpers import events, touches
from tests.cadences.services.dispatch.helpers import enrolled

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[4]


def dev_base_url(**env: str) -> str:
    """SDRCRM_BASE_URL as scripts/run-dev.sh exports it, for ``env``."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "SDRCRM_BASE_URL")}
    result = subprocess.run(
        ["bash", "-c", 'source scripts/dev-env.sh && printf %s "$SDRCRM_BASE_URL"'],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def test_run_dev_derives_the_base_url_from_its_port_unless_one_is_given():
    assert dev_base_url(PORT="8765") == "http://127.0.0.1:8765"
    assert dev_base_url() == "http://127.0.0.1:8000"
    assert dev_base_url(PORT="8765", SDRCRM_BASE_URL="https://crm.example.com") == (
        "https://crm.example.com"
    )
    script = (ROOT / "scripts/run-dev.sh").read_text()
    assert script.index("source scripts/dev-env.sh") < script.index("manage.py runserver")


def test_an_email_sent_under_port_8765_links_to_port_8765(crew, cadence, now, settings):
    settings.SDRCRM_BASE_URL = dev_base_url(PORT="8765")
    lead, enrollment = enrolled(crew, cadence)

    assert touch_dispatch_due().sent == 1

    [message] = mail.outbox
    link = message.extra_headers["List-Unsubscribe"].removeprefix("<").removesuffix(">")
    assert link.startswith("http://127.0.0.1:8765/u/")
    assert "127.0.0.1:8000" not in message.body


def test_in_production_without_a_base_url_cadence_email_is_held_with_the_reason(
    crew, cadence, now, settings
):
    settings.DEVELOPMENT = False
    settings.SDRCRM_BASE_URL_SET = False
    lead, enrollment = enrolled(crew, cadence)

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.held) == (1, 0, 1)
    assert mail.outbox == []
    first = touches(enrollment)[0]
    assert (first.status, first.hold_reason, first.sent_at) == (
        TouchStatus.HELD, HoldReason.NO_BASE_URL, None,
    )  # fmt: skip
    assert first.error.startswith("SDRCRM_BASE_URL is not set, so the unsubscribe link")
    assert events(lead, EventKind.EMAIL) == []
    item = next(i for i in today_queue(user=crew.sdr).items if i.obj.pk == first.pk)
    assert (item.kind, item.label) == ("held_site", f"Email held: {first.error}")
    assert tick()["released"] == 0  # still unset: stays held
    assert touch_dispatch_due().claimed == 0

    settings.SDRCRM_BASE_URL_SET = True  # the administrator set it and restarted
    assert tick()["released"] == 1
    assert touch_dispatch_due().sent == 1
    assert [m.to for m in mail.outbox] == [[lead.prospect.email]]
