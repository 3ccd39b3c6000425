"""The one gate every lead field passes, whichever way the lead is made or edited.

The lead form, the API (create and PATCH), the public web form and the import's row check all
call these functions, and ``leads.services.LeadData`` runs them again on construction, so that
no path stores what another would refuse. Each function takes a value and returns the value to
store, or raises ``ValidationError`` with a message that names the field (the import's report
shows the message without the field next to it).

Pure: no database, no model import. The length limits equal the model's columns (a test
compares them).

The rules:
- Text is one line: runs of whitespace (tabs and newlines included) become one space, the ends
  are trimmed; any other control character (NUL, ESC, DEL, C1) and the bidirectional override
  and isolate marks, which reorder what a reader sees, are refused.
- A web address is http or https, nothing else. A bare domain (``fjord.example``) becomes
  ``https://fjord.example``; any other scheme (``javascript:``, ``data:``, ``vbscript:``,
  ``ftp:``, ``mailto:``), whitespace, a backslash or a user name in the address is refused,
  and the host must be a real domain (international ones allowed, ``localhost`` and IP
  addresses not). Scheme and host are lower-cased; the path is kept as given.
- A LinkedIn address must be on linkedin.com or one of its subdomains (www., no., uk.…): the
  field's purpose, and a link shown to SDRs as a LinkedIn profile must not lead elsewhere.
  Short links (lnkd.in) are refused too: they hide where they lead.
- An email is trimmed and lower-cased whole (it identifies the prospect, so Kari@X and kari@x
  must be one person); an international domain is checked in its IDNA form.
- A time zone is an IANA name (``Europe/Oslo``; the case is corrected).
- A country is an ISO 3166-1 alpha-2 code (``no`` becomes ``NO``; ``UK`` becomes ``GB``).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The model's column lengths (leads.models; tests/leads/test_fields.py compares them).
NAME_MAX = 100
EMAIL_MAX = 254
PHONE_MAX = 40
TITLE_MAX = 150
URL_MAX = 300
TIME_ZONE_MAX = 64
COMPANY_NAME_MAX = 200
INDUSTRY_MAX = 120
DOMAIN_MAX = 253
EMPLOYEES_MAX = 10_000_000
REVENUE_MAX = 10**15 - 1  # DecimalField(max_digits=15, decimal_places=0)
NO_COMPANY_REASON_MAX = 200
# What an imported row without a company (no name, no domain, a free-mail address) records as
# the reason: a busy team wants its list in, not rows refused for a company it may not know.
NO_COMPANY_IN_IMPORT = "Not given in the import"
# The same for a web form's submission without a company: an inbound lead is never refused
# for it (a lead without one is made only with a reason: ``LeadData``).
NO_COMPANY_ON_WEB_FORM = "Not given on the web form"

# C0 and C1 controls other than the whitespace that is collapsed, DEL, lone surrogates, and the
# bidirectional embedding/override/isolate marks.
_CONTROL_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_TLD = r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
_ASCII_DOMAIN_RE = re.compile(rf"^(?=.{{1,253}}$)(?:{_LABEL}\.)+{_TLD}$")
_EMAIL_RE = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@([a-z0-9-]+\.)+[a-z]{2,63}$")
WEB_SCHEMES = ("http", "https")

# ISO 3166-1 alpha-2, the officially assigned codes.
COUNTRY_CODES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
    GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA
    ZM ZW""".split()
)
# Codes people write that ISO reserves for the same country.
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}

# The fields of a lead's prospect and company that a person types (the form, the API, the
# import): the one list, in the order the form shows them. The form names the company's
# ``company_<name>``.
PROSPECT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "role",
    "linkedin_url",
    "time_zone",
    "do_not_contact",
    "no_company_reason",
)
COMPANY_FIELDS = (
    "name",
    "website",
    "industry",
    "employee_count",
    "annual_revenue",
    "country",
    "time_zone",
    "linkedin_url",
)


def _shown(value: str, limit: int = 60) -> str:
    """The value as quoted in a message: control characters visible, long values cut."""
    text = "".join(
        c if not _CONTROL_RE.match(c) and (c == " " or not c.isspace()) else f"\\x{ord(c):02x}"
        for c in value[: limit + 1]
    )
    return text[:limit] + "…" if len(value) > limit else text


def _as_text(value, label: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("%(label)s must be text.") % {"label": label}, code="invalid")
    return value


def _refuse_controls(value: str, label: str) -> None:
    m = _CONTROL_RE.search(value)
    if m:
        raise ValidationError(
            _("%(label)s contains a control character (U+%(code)04X).")
            % {"label": label, "code": ord(m[0])},
            code="control_character",
        )


def _too_long(label: str, limit: int) -> ValidationError:
    return ValidationError(
        _("%(label)s is longer than %(limit)s characters.") % {"label": label, "limit": limit},
        code="max_length",
    )


def clean_text(value, *, label: str, max_length: int | None) -> str:
    """One line of text: whitespace collapsed, control characters refused, at most
    ``max_length`` characters (None: the caller checks the length). ``None`` is ''."""
    text = _as_text(value, label)
    text = " ".join(text.split())
    _refuse_controls(text, label)
    if max_length is not None and len(text) > max_length:
        raise _too_long(label, max_length)
    return text


def clean_multiline(value, *, label: str, max_length: int) -> str:
    """Free text (a message, a note): line breaks and tabs kept, ends trimmed, other control
    characters refused."""
    text = _as_text(value, label).strip()
    _refuse_controls(text, label)
    if len(text) > max_length:
        raise _too_long(label, max_length)
    return text


# --- Domains and web addresses -----------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def ascii_host(host: str) -> str | None:
    """A host name as its lower-case ASCII (IDNA) form, or None if it is not a domain name
    with a top-level domain: 'Blåbær.NO.' -> 'xn--blbr-roah.no'; 'localhost' -> None."""
    host = host.strip().lower().rstrip(".")
    if not host:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None
    return host if _ASCII_DOMAIN_RE.match(host) else None


def _not_a_web_address(label: str, value: str) -> ValidationError:
    return ValidationError(
        _("%(label)s '%(value)s' is not a web address.") % {"label": label, "value": _shown(value)},
        code="invalid_url",
    )


def clean_url(value, *, label: str, max_length: int = URL_MAX, site: str = "") -> str:
    """An http(s) address, normalised; '' stays ''. ``site`` ('linkedin.com') requires the
    host to be that domain or one of its subdomains."""
    text = _as_text(value, label).strip()
    if not text:
        return ""
    _refuse_controls(text, label)
    if any(c.isspace() for c in text) or "\\" in text:
        raise _not_a_web_address(label, text)
    m = _SCHEME_RE.match(text)
    rest = text[m.end() :] if m else ""
    # 'fjord.example:8080/x' is a host and a port, not a scheme.
    if m and (rest.startswith("//") or not rest[:1].isdigit()):
        scheme = m[1].lower()
        if scheme not in WEB_SCHEMES:
            raise ValidationError(
                _("%(label)s '%(value)s' is refused: use an http:// or https:// address.")
                % {"label": label, "value": _shown(text)},
                code="scheme",
            )
        if not rest.startswith("//"):
            raise _not_a_web_address(label, text)
        url = scheme + ":" + rest
    else:
        scheme = "https"
        url = "https:" + text if text.startswith("//") else "https://" + text
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an unbalanced IPv6 bracket, a port out of range
        raise _not_a_web_address(label, text) from None
    if "@" in parts.netloc or not parts.hostname or ascii_host(parts.hostname) is None:
        raise _not_a_web_address(label, text)
    host = parts.hostname.rstrip(".")
    if site:
        ascii_name = ascii_host(host)
        if ascii_name != site and not ascii_name.endswith("." + site):
            raise ValidationError(
                _("%(label)s '%(value)s' is not a %(site)s address.")
                % {"label": label, "value": _shown(text), "site": site},
                code="site",
            )
    netloc = host if port is None else f"{host}:{port}"
    url = urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))
    if len(url) > max_length:
        raise _too_long(label, max_length)
    return url


def clean_website(value, *, label: str | None = None) -> str:
    return clean_url(value, label=label or _("Website"))


def clean_linkedin_url(value, *, label: str | None = None) -> str:
    return clean_url(value, label=label or _("LinkedIn profile"), site="linkedin.com")


def clean_domain(value, *, label: str | None = None) -> str:
    """A company's domain as typed or as a web address -> 'example.com' ('www.' dropped,
    IDNA form); '' stays ''."""
    label = label or _("Company domain")
    text = _as_text(value, label).strip()
    if not text:
        return ""
    _refuse_controls(text, label)
    host = ""
    if not any(c.isspace() for c in text):
        candidate = text if "://" in text else "//" + text
        try:
            host = urlsplit(candidate).hostname or ""
        except ValueError:
            host = ""
    domain = ascii_host(host) if host else None
    if domain and domain.startswith("www."):
        domain = domain[4:]
    if not domain or not _ASCII_DOMAIN_RE.match(domain) or len(domain) > DOMAIN_MAX:
        raise ValidationError(
            _("%(label)s '%(value)s' is not a valid domain.")
            % {"label": label, "value": _shown(text)},
            code="invalid_domain",
        )
    return domain


def http_url(value) -> str:
    """``value`` if it is an http(s) address that is safe as a link's href, else ''.
    For rendering: whatever a row holds, a page links only to http and https."""
    if not isinstance(value, str) or not value:
        return ""
    if _CONTROL_RE.search(value) or any(c.isspace() for c in value) or "\\" in value:
        return ""
    m = _SCHEME_RE.match(value)
    if not m or m[1].lower() not in WEB_SCHEMES or not value[m.end() :].startswith("//"):
        return ""
    try:
        host = urlsplit(value).hostname
    except ValueError:
        return ""
    return value if host else ""


# --- People -------------------------------------------------------------------------------------


def email_valid(email: str) -> bool:
    """Syntax check of a lower-cased address; an international domain (blåbær.no) is checked
    in its IDNA form."""
    if len(email) > EMAIL_MAX or ".." in email:
        return False
    if not email.isascii():
        local, _at, domain = email.rpartition("@")
        try:
            email = local + "@" + domain.encode("idna").decode("ascii")
        except UnicodeError:
            return False
    return bool(_EMAIL_RE.match(email))


def clean_email(value, *, label: str | None = None) -> str:
    """Trimmed and lower-cased; '' stays ''."""
    label = label or _("Email")
    text = _as_text(value, label).strip()
    if not text:
        return ""
    _refuse_controls(text, label)
    text = text.lower()
    if not email_valid(text):
        raise ValidationError(
            _("%(label)s '%(value)s' is not a valid address.")
            % {"label": label, "value": _shown(text)},
            code="invalid_email",
        )
    return text


@functools.lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def clean_time_zone(value, *, label: str | None = None) -> str:
    """An IANA time zone name, its case corrected ('europe/oslo' -> 'Europe/Oslo')."""
    label = label or _("Time zone")
    text = _as_text(value, label).strip()
    if not text:
        return ""
    _refuse_controls(text, label)
    name = _zones().get(text.lower()) if len(text) <= TIME_ZONE_MAX else None
    if name is None:
        raise ValidationError(
            _("%(label)s '%(value)s' is not a known time zone; use a name like Europe/Oslo.")
            % {"label": label, "value": _shown(text)},
            code="time_zone",
        )
    return name


def clean_country(value, *, label: str | None = None) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased."""
    label = label or _("Country")
    text = _as_text(value, label).strip()
    if not text:
        return ""
    _refuse_controls(text, label)
    code = text.upper()
    code = COUNTRY_ALIASES.get(code, code)
    if code not in COUNTRY_CODES:
        raise ValidationError(
            _("%(label)s '%(value)s' is not recognised: use a two-letter code such as NO.")
            % {"label": label, "value": _shown(text)},
            code="country",
        )
    return code


def clean_whole_number(value, *, label: str, maximum: int) -> int | None:
    """A whole number from 0 to ``maximum``; None and '' are None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise ValidationError(
                _("%(label)s '%(value)s' is not a whole number.")
                % {"label": label, "value": _shown(str(value))},
                code="invalid_number",
            ) from None
    if not 0 <= value <= maximum:
        raise ValidationError(
            _("%(label)s must be between 0 and %(maximum)s.")
            % {"label": label, "maximum": maximum},
            code="range",
        )
    return value


def clean_choice(value, *, label: str, choices) -> str:
    text = _as_text(value, label).strip()
    if text not in choices:
        raise ValidationError(
            _("%(label)s '%(value)s' is not one of the choices.")
            % {"label": label, "value": _shown(text)},
            code="invalid_choice",
        )
    return text


# --- The lead's fields, by their names in LeadData, the lead form and the API ------------------


def _text(label: str, limit: int):
    return lambda value: clean_text(value, label=label, max_length=limit)


LEAD_FIELDS = {
    "first_name": _text(gettext_lazy("First name"), NAME_MAX),
    "last_name": _text(gettext_lazy("Last name"), NAME_MAX),
    "email": clean_email,
    "phone": _text(gettext_lazy("Phone"), PHONE_MAX),
    "title": _text(gettext_lazy("Job title"), TITLE_MAX),
    "linkedin_url": clean_linkedin_url,
    "time_zone": clean_time_zone,
    "company_name": _text(gettext_lazy("Company"), COMPANY_NAME_MAX),
    "company_website": clean_website,
    "company_domain": clean_domain,
    "company_industry": _text(gettext_lazy("Industry"), INDUSTRY_MAX),
    "company_employee_count": lambda v: clean_whole_number(
        v, label=gettext_lazy("Number of employees"), maximum=EMPLOYEES_MAX
    ),
    "company_annual_revenue": lambda v: clean_whole_number(
        v, label=gettext_lazy("Annual revenue"), maximum=REVENUE_MAX
    ),
    "company_country": clean_country,
    "company_time_zone": lambda v: clean_time_zone(v, label=gettext_lazy("Company time zone")),
    "company_linkedin_url": lambda v: clean_linkedin_url(v, label=gettext_lazy("Company LinkedIn")),
    "no_company_reason": _text(gettext_lazy("No company because"), NO_COMPANY_REASON_MAX),
}
"""Field name -> its gate. Role and source are choices of the model and checked where the
model's choices are known (``LeadData``, the forms and serializers)."""


def clean_lead_field(name: str, value):
    """Run the gate of one lead field; fields without one pass unchanged."""
    gate = LEAD_FIELDS.get(name)
    return value if gate is None else gate(value)


# --- What every lead needs: a way to reach the person, and a company or why not -----------------


def reachability_errors(
    *, email: str, phone: str, linkedin_url: str, has_company: bool, no_company_reason: str
) -> dict[str, str]:
    """Field name -> message for what a lead lacks (empty when it has both): at least one of
    email, phone and LinkedIn, and a company or a stated reason why not. The one rule the lead
    form, the API and ``LeadData`` (every path that makes or edits a lead) apply."""
    errors = {}
    if not (email or phone or linkedin_url):
        errors["email"] = _("Give at least one way to reach the person: email, phone or LinkedIn.")
    if not has_company and not (no_company_reason or "").strip():
        errors["no_company_reason"] = _(
            "Give the company, or say why there is none (e.g. a private person)."
        )
    return errors
