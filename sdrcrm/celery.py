"""The Celery application.

Workers and beat only *signal* work: the database is the record of anything scheduled.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sdrcrm.settings")

app = Celery("sdrcrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
