"""An email backend for the fault-injection tests: one line per message handed to it, written
with a single ``write`` on a file opened in append mode, so that it is on record (in the
kernel's page cache) the moment ``send_messages`` returns, even if the process is SIGKILLed
the next instant. One file per process (``sent-<pid>.log`` under ``EMAIL_FILE_PATH``).

Line format: ``<unix time>\\t<Message-ID>\\t<To>\\n``.
"""

import os
import time

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class AppendLogBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        path = os.path.join(settings.EMAIL_FILE_PATH, f"sent-{os.getpid()}.log")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            for message in email_messages:
                line = "{:.6f}\t{}\t{}\n".format(
                    time.time(), message.extra_headers["Message-ID"], ",".join(message.to)
                )
                os.write(fd, line.encode())
        finally:
            os.close(fd)
        return len(email_messages)


class SlowAppendLogBackend(AppendLogBackend):
    """A provider that takes ``SDRCRM_FAULTS_SEND_DELAY`` seconds per message."""

    def send_messages(self, email_messages) -> int:
        time.sleep(float(os.environ.get("SDRCRM_FAULTS_SEND_DELAY", "0")) * len(email_messages))
        return super().send_messages(email_messages)
