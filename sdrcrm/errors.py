"""The domain's errors, defined once (docs/architecture.md, "The rules").

Services raise these; they never raise HTTP exceptions. Each carries a message for the user
(``str(error)``) and, for wrong input, the name of the field it is about. They become
responses in two places only:

- pages: ``sdrcrm.middleware.DomainErrorMiddleware`` (a 404 or 403 page; for a conflict or
  wrong input, the message on the page the user came from, or an error page);
- the API: ``api.errors.exception_handler`` (``{"detail": …}`` or ``{field: [message]}``).

A view catches one of them only to do better than that: show wrong input as a form error, say.
"""


class DomainError(Exception):
    """A change or a read that could not be made; ``str(error)`` is shown to the user."""

    status = 400

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """The object does not exist for this user (outside their scope is the same answer)."""

    status = 404


class NotAllowed(DomainError):
    """The user may see the object but not do this."""

    status = 403


class Conflict(DomainError):
    """The object's current state or version does not allow it (someone else changed it)."""

    status = 409


class Invalid(DomainError):
    """The input is wrong; ``field`` names the form field when there is one."""

    status = 400
