# sdrcrm application image: the same image runs web (gunicorn), worker and beat (Celery).
# See docker-compose.yml and docs/operations.md.
FROM python:3.11-slim

# The code runs from /app: templates/ and static/ at the top of the tree are not part of the
# installed package, so PYTHONPATH puts /app before site-packages on the import path.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=sdrcrm.settings \
    SDRCRM_VAR_DIR=/app/var \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies in their own layer, rebuilt only when the lock changes: the exact versions and
# hashes of requirements.txt (pip-compile, `make upgrade`); the project itself adds nothing.
COPY requirements.txt ./
RUN pip install --require-hashes --no-deps -r requirements.txt && pip check

COPY . .
RUN pip install --no-deps . \
    && python scripts/messages.py compile \
    && rm -rf build ./*.egg-info \
    && useradd --system --create-home --home-dir /home/sdrcrm --shell /usr/sbin/nologin sdrcrm \
    && mkdir -p /app/var \
    && chown sdrcrm:sdrcrm /app/var

USER sdrcrm

EXPOSE 8000

# docker-compose.yml gives each service its own command; this default is the web server.
# Gunicorn takes its worker count from WEB_CONCURRENCY.
CMD ["gunicorn", "sdrcrm.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
