"""Shared fixtures. Tests run against the real PostgreSQL and Redis that `make test` provides
(DATABASE_URL / REDIS_URL); there is no SQLite stand-in."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from
# a thread with a running loop unless told otherwise. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise pytest.UsageError(
            "The test suite runs on PostgreSQL: set DATABASE_URL (make test does this)."
        )
    if not settings.REDIS_URL.startswith("redis://"):
        raise pytest.UsageError(
            "The test suite runs with Redis as the broker: set REDIS_URL (make test does this)."
        )


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Manifest storage needs collectstatic; tests and live_server serve plain files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The default PBKDF2 costs ~0.3 s a user; a crew has nine. Tests only.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_language_left_over():
    # A request activates its language for the thread and leaves it active (accounts'
    # middleware, like Django's LocaleMiddleware): a bokmål request must not make a later
    # test's gettext answer in bokmål. Every test starts and ends in the site's language.
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


from tests.factories import *  # noqa: E402,F401,F403  (fixtures below use them)
from tests.fixtures import *  # noqa: E402,F401,F403

# The real mail servers (Dovecot, SMTP submission, OAuth 2.0), started by the first test that
# asks for them: tests/mail/.
from tests.mail.fixtures import (  # noqa: E402,F401
    mail_servers,
    mail_user,
    make_mailbox,
    oauth_server,
    trust_test_ca,
)
