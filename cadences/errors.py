"""The cadences' domain errors: subclasses of the house's (``sdrcrm.errors``), so that the
middleware and the API's exception handler answer them like any other."""

from leads.services import LeadError
from sdrcrm.errors import Invalid, NotAllowed


class CadenceError(LeadError):
    """A cadence change that could not be made; the message is for the user."""


class CadenceInvalid(CadenceError, Invalid):
    """Wrong input for a cadence change; ``field`` names the form field when there is one."""


class CadenceForbidden(CadenceError, NotAllowed):
    """The user sees the cadence but may not change it (a team cadence and not a manager)."""
