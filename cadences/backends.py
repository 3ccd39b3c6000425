"""Email backends that render every message and then discard it: for benchmarks of the
dispatcher, and for load tests that must not send mail.

- ``DiscardBackend`` does what an email provider's backend (django-anymail) does before its
  HTTP call: reads every part of the message and serialises the API payload (JSON).
- ``DiscardMimeBackend`` does what the SMTP backend does before talking to the server: builds
  and serialises the full MIME message.
"""

import json

from django.core.mail.backends.base import BaseEmailBackend


class DiscardBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        count = 0
        for message in email_messages:
            json.dumps(
                {
                    "from": message.from_email,
                    "to": message.to,
                    "subject": message.subject,
                    "text": message.body,
                    "headers": message.extra_headers,
                }
            )
            count += 1
        return count


class DiscardMimeBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        count = 0
        for message in email_messages:
            message.message().as_bytes(linesep="\r\n")
            count += 1
        return count
