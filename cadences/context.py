"""What a touch is personalised with, and who it is for."""

from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.calendar import team_calendar
from sdrcrm.inputs import parse_id

from .schedule import Recipient, SendWindow, recipient_zone

UNSUBSCRIBE_SALT = "sdrcrm.unsubscribe"


@lru_cache(maxsize=1)
def _signer() -> signing.Signer:
    return signing.Signer(salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(touch_id: int) -> str:
    """``<touch id>:<HMAC>``: unforgeable without the secret key, and cheap to make (it is
    made for every email sent)."""
    return _signer().sign(str(touch_id))


def unsubscribe_touch_id(token: str) -> int | None:
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    return parse_id(value)


@lru_cache(maxsize=4)
def _unsubscribe_pattern(base_url: str) -> str:
    # reverse() once per process: the token is the only part that changes.
    return base_url.rstrip("/") + reverse("unsubscribe", args=["TOKEN"]).replace("TOKEN", "{}")


def unsubscribe_url(touch_id: int) -> str:
    return _unsubscribe_pattern(settings.SDRCRM_BASE_URL).format(unsubscribe_token(touch_id))


def render_context(*, prospect, company, sdr, touch_id: int | None) -> dict[str, str]:
    def s(value) -> str:
        return "" if value is None else str(value)

    return {
        "prospect.first_name": s(prospect.first_name),
        "prospect.last_name": s(prospect.last_name),
        "prospect.full_name": s(prospect.full_name),
        "prospect.title": s(prospect.title),
        "prospect.email": s(prospect.email),
        "company.name": s(company.name) if company else "",
        "company.industry": s(company.industry) if company else "",
        "company.website": s(company.website) if company else "",
        "company.country": s(company.country) if company else "",
        "sdr.first_name": s(sdr.first_name),
        "sdr.last_name": s(sdr.last_name),
        "sdr.full_name": s(sdr.get_full_name()),
        "sdr.title": s(sdr.title),
        "sdr.email": s(sdr.email),
        "sdr.phone": s(sdr.phone),
        "sdr.company": settings.SDRCRM_COMPANY_NAME,
        "unsubscribe_url": unsubscribe_url(touch_id) if touch_id else "",
    }


def recipient(tz_name: str, country: str, cadence) -> Recipient:
    """Where and when a prospect can be reached under ``cadence``'s send window: not on the
    public holidays of the prospect's ``country`` nor on the closed days of the cadence's team
    (``accounts.calendar``: one query, once per ``team_calendar_scope``). The team's own
    country's public holidays do not stop touches to a prospect elsewhere."""
    return _recipient(
        tz_name,
        country,
        cadence.window_start,
        cadence.window_end,
        cadence.window_days,
        team_calendar(cadence.team_id).closed,
    )


@lru_cache(maxsize=1024)
def _recipient(tz_name, country, window_start, window_end, window_days, closed) -> Recipient:
    # Recipients are few and immutable: one object per (zone, country, window, closed days).
    return Recipient(
        tz=recipient_zone(tz_name, default=settings.TIME_ZONE),
        country=country or "",
        window=SendWindow(
            start=window_start, end=window_end, days=tuple(int(d) for d in window_days)
        ),
        closed=closed,
    )


def enrollment_recipient(enrollment) -> Recipient:
    return recipient(enrollment.time_zone, enrollment.country, enrollment.cadence)


def recipient_for(*, prospect, company, sdr, cadence) -> Recipient:
    """The recipient of a new enrollment: the prospect's time zone, else the company's, else
    the SDR's; the company's country for public holidays."""
    tz = recipient_zone(
        prospect.time_zone,
        company.time_zone if company else "",
        sdr.time_zone,
        default=settings.TIME_ZONE,
    )
    return recipient(str(tz.key), (company.country if company else "") or "", cadence)
