"""A web process does its one-time work when it starts (sdrcrm/warmup.py), not in a click."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# In a fresh interpreter, as gunicorn and runserver load it: the holidays library's country
# calendars and the project's tasks (without which the first click imported them) are there
# once sdrcrm.wsgi is imported, and not before.
PROBE = """
import sys
import django
django.setup()
from sdrcrm.celery import app
def state():
    return ("holidays.countries" in sys.modules, "cadences.touch_dispatch_task" in app.tasks,
            "qualification.outcome_model_rebuild_task" in app.tasks)
print(state())
import sdrcrm.wsgi
print(state())
"""


def test_the_wsgi_application_starts_warm():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SDRCRM_DEV": "1"}
    env["DJANGO_SETTINGS_MODULE"] = "sdrcrm.settings"
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["(False, False, False)", "(True, True, True)"]
