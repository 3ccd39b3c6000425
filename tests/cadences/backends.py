"""Email backends for the cadence tests.

``RecordingBackend`` records every message it is handed into one process-wide, thread-safe
list: the concurrency tests count messages per ``X-SDRCRM-Touch`` header across threads
(Django's locmem outbox is a plain list). ``FailingBackend`` refuses every message, as a
provider outage would.
"""

import threading

from django.core.mail.backends.base import BaseEmailBackend

_lock = threading.Lock()
_messages: list = []


def recorded() -> list:
    with _lock:
        return list(_messages)


def reset() -> None:
    with _lock:
        _messages.clear()


class RecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        with _lock:
            _messages.extend(email_messages)
        return len(email_messages)


class ProviderDown(Exception):
    pass


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ProviderDown("the email provider answered 503")
