"""Reads and writes of the suppression list. What else happens when an address is suppressed
(a bounce, an unsubscribe, an erasure stop the cadences emailing it) is the caller's:
``cadences.services.email_record_*``."""

from django.db.models import Q
from django.utils.translation import gettext

from leads.normalize import normalize_email
from sdrcrm.errors import Invalid

from .models import Suppression, email_domain, email_hash


def suppressed_emails(emails) -> set[str]:
    """Which of ``emails`` must not be emailed: the address (by its hash, so erased people
    count) or its domain is on the suppression list. One query, whatever the number."""
    emails = {e for e in emails if e}
    if not emails:
        return set()
    by_hash = {email_hash(e): e for e in emails}
    domains = {email_domain(e) for e in emails}
    hashes, blocked_domains = set(), set()
    for h, d in Suppression.objects.filter(
        Q(email_hash__in=list(by_hash)) | Q(domain__in=list(domains))
    ).values_list("email_hash", "domain"):
        if h:
            hashes.add(h)
        if d:
            blocked_domains.add(d)
    return {e for h, e in by_hash.items() if h in hashes or email_domain(e) in blocked_domains}


def email_is_suppressed(email: str) -> bool:
    """For importers: True when this address must never be emailed (also after the person
    was erased, through the kept hash, or when their domain is suppressed)."""
    email = normalize_email(email or "")
    return bool(email) and bool(suppressed_emails([email]))


def suppression_add(*, email: str = "", domain: str = "", reason: str) -> Suppression:
    """Suppress an address or a whole domain (idempotent: the first reason stays)."""
    if email:
        row, _ = Suppression.objects.get_or_create(
            email_hash=email_hash(email), defaults={"email": email, "reason": reason}
        )
        return row
    domain = domain.strip().lower().lstrip("@")
    if not domain or "." not in domain or "@" in domain:
        raise Invalid(gettext("Type a domain such as example.com."), field="domain")
    row, _ = Suppression.objects.get_or_create(domain=domain, defaults={"reason": reason})
    return row
