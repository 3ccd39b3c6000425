"""The cadences' domain errors: subclasses of the house's (``sdrcrm.errors``), so that the
middleware and the API's exception handler answer them like any other."""

from leads.services import LeadError
from sdrcrm.errors import Conflict, Invalid, NotAllowed


class CadenceError(LeadError):
    """A cadence change that could not be made; the message is for the user."""


class CadenceInvalid(CadenceError, Invalid):
    """Wrong input for a cadence change; ``field`` names the form field when there is one."""


class CadenceForbidden(CadenceError, NotAllowed):
    """The user sees the cadence but may not change it (a team cadence and not a manager)."""


class CompanyWorked(CadenceError, Conflict):
    """Another SDR is working leads at the lead's company (``cadences.services.company``):
    enrolling asks first, and goes ahead only when confirmed. ``workers`` holds one
    ``(user id, name, number of leads)`` per SDR; ``lead_name`` and ``company_name`` say which
    lead and company, for a page that asks about several leads at once."""

    def __init__(
        self,
        message: str,
        *,
        lead_id: int,
        lead_name: str,
        company_name: str,
        workers: list[tuple[int, str, int]],
    ):
        super().__init__(message)
        self.lead_id = lead_id
        self.lead_name = lead_name
        self.company_name = company_name
        self.workers = workers
