"""Two SDRs on one company: before a lead is enrolled, whether another SDR of its team is
working leads at the same company (docs/design.md, "Two SDRs at one company").

Another SDR *works* a lead when the lead is at the same company (the team's own company row),
is owned by someone other than the enrolled lead's owner, and is being worked: researching,
contacting or engaged, or in a cadence that is active or paused. A lead in the pool, a new
lead nobody has started on, and a finished one (qualified, handed off, accepted,
disqualified, nurture) are not worked by anyone.

Enrolling such a lead asks first: ``enrollment_create`` raises ``CompanyWorked`` unless the
caller confirms. It is a warning, not a lock: a confirmed enrolment goes ahead.
"""

from django.db.models import Count, Q
from django.utils.translation import ngettext

from accounts.models import User
from leads.models import Lead, LeadState

from ..errors import CompanyWorked
from ..models import EnrollmentStatus

WORKING_STATES = (LeadState.RESEARCHING, LeadState.CONTACTING, LeadState.ENGAGED)


def company_workers(lead: Lead) -> list[tuple[int, str, int]]:
    """The other SDRs working leads at ``lead``'s company: ``(user id, name, leads)``, most
    leads first. Two queries; none when the lead has no company."""
    company_id = lead.prospect.company_id
    if company_id is None:
        return []
    counts = list(
        Lead.objects.filter(team_id=lead.team_id, prospect__company_id=company_id)
        .exclude(pk=lead.pk)
        .exclude(owner_id=lead.owner_id)
        .filter(owner__isnull=False)
        .filter(
            Q(state__in=WORKING_STATES)
            | Q(
                enrollments__status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED],
            )
        )
        .values("owner_id")
        .annotate(n=Count("id", distinct=True))
        .order_by("-n", "owner_id")
    )
    if not counts:
        return []
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[c["owner_id"] for c in counts])}
    return [(c["owner_id"], names[c["owner_id"]], c["n"]) for c in counts]


def company_check(lead: Lead) -> None:
    """Raise ``CompanyWorked`` when another SDR is working leads at ``lead``'s company.
    ``lead`` comes with its prospect and company loaded."""
    workers = company_workers(lead)
    if not workers:
        return
    company = lead.prospect.company.name
    parts = [
        ngettext(
            "%(name)s is working %(count)d lead at %(company)s",
            "%(name)s is working %(count)d leads at %(company)s",
            n,
        )
        % {"name": name, "count": n, "company": company}
        for _pk, name, n in workers
    ]
    raise CompanyWorked(
        "; ".join(parts) + ".",
        lead_id=lead.pk,
        lead_name=lead.prospect.full_name,
        company_name=company,
        workers=workers,
    )
