"""The leads' errors: subclasses of the domain's (``sdrcrm.errors``), each with a message meant
for the person who acted; views turn them into form errors or messages, the middleware and the
API's handler into responses, never a 500."""

from sdrcrm.errors import Conflict, DomainError, Invalid, NotAllowed


class LeadError(DomainError):
    """A change that could not be made; ``str(error)`` is shown to the user."""


class LeadConflict(LeadError, Conflict):
    """Someone else changed the lead first."""


class LeadForbidden(LeadError, NotAllowed):
    """The user may see the lead but not make this change."""


class LeadInvalid(LeadError, Invalid):
    """The input is wrong; ``field`` names the form field when there is one."""


class DuplicateProspect(LeadInvalid):
    def __init__(self, message: str, existing_lead_id: int | None = None):
        super().__init__(message, field="email")
        self.existing_lead_id = existing_lead_id
