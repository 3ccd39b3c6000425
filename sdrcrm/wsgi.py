import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sdrcrm.settings")
application = get_wsgi_application()

from sdrcrm.warmup import warm  # noqa: E402 (needs the settings and apps set up above)

warm()
