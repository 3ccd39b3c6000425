"""Column mapping and row normalisation for imported lists. Pure functions.

``FIELDS`` are what a column can be mapped to; ``propose_mapping`` recognises the usual export
headers of CRMs and sales tools in English and Norwegian; ``normalise_row`` turns one row into the
values that will be stored, or a reason it cannot be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leads import fields as lead_fields
from leads.normalize import FREE_MAIL, normalize_domain, normalize_name

# field -> (label, max length or None)
FIELDS: dict[str, tuple[Promise, int | None]] = {
    "first_name": (_("First name"), 100),
    "last_name": (_("Last name"), 100),
    "full_name": (_("Full name (split into first and last)"), 201),
    "email": (_("Email"), 254),
    "phone": (_("Phone"), 40),
    "title": (_("Job title"), 150),
    "linkedin_url": (_("LinkedIn profile"), 300),
    "time_zone": (_("Time zone"), 64),
    "company_name": (_("Company"), 200),
    "website": (_("Company website"), 300),
    "domain": (_("Company domain"), 253),
    "industry": (_("Industry"), 120),
    "employee_count": (_("Number of employees"), None),
    "annual_revenue": (_("Annual revenue"), None),
    "country": (_("Country"), None),
    "company_linkedin_url": (_("Company LinkedIn"), 300),
}

_ALIASES = {
    "first_name": "first name, firstname, given name, fornavn, forename, contact first name",
    "last_name": "last name, lastname, surname, family name, etternavn, contact last name",
    "full_name": "name, full name, fullname, contact name, contact, navn, fullt navn, person",
    "email": (
        "email, e-mail, e mail, email address, e-mail address, work email, business email, "
        "e-post, epost, e-postadresse, epostadresse, mail, contact email, primary email"
    ),
    "phone": (
        "phone, phone number, telephone, tel, mobile, mobile phone, cell, direct phone, "
        "work phone, telefon, telefonnummer, mobil, mobilnummer, tlf"
    ),
    "title": "job title, title, position, role, stilling, tittel, stillingstittel, jobbtittel",
    "linkedin_url": (
        "linkedin, linkedin url, linkedin profile, person linkedin url, linkedin-profil, "
        "linkedin profil, profile url"
    ),
    "time_zone": "time zone, timezone, tidssone",
    "company_name": (
        "company, company name, account, account name, organization, organisation, "
        "organization name, employer, firma, firmanavn, bedrift, selskap, virksomhet, "
        "organisasjon"
    ),
    "website": (
        "website, company website, web site, url, web, homepage, company url, nettside, "
        "hjemmeside, nettsted, webside"
    ),
    "domain": "domain, company domain, email domain, domene",
    "industry": "industry, sector, vertical, bransje, næring, sektor",
    "employee_count": (
        "number of employees, employees, # employees, no. of employees, employee count, "
        "company size, headcount, size, antall ansatte, ansatte, størrelse"
    ),
    "annual_revenue": "annual revenue, revenue, turnover, omsetning, årlig omsetning",
    "country": "country, country code, land, landkode, company country, hq country",
    "company_linkedin_url": "company linkedin, company linkedin url, linkedin company",
}


def header_key(value: str) -> str:
    value = value.strip().lower().replace("_", " ").replace("-", " ")
    return " ".join(re.sub(r"[^\w#æøå ]+", " ", value).split())


HEADER_FIELDS: dict[str, str] = {}
for _field, _names in _ALIASES.items():
    for _name in _names.split(","):
        HEADER_FIELDS[header_key(_name)] = _field


def field_for_header(header: str) -> str | None:
    return HEADER_FIELDS.get(header_key(header))


def propose_mapping(headers: list[str]) -> dict[str, str]:
    """column index (as text) -> field, each field used once (the first column wins)."""
    mapping, used = {}, set()
    for i, h in enumerate(headers):
        field = field_for_header(h)
        if field and field not in used:
            mapping[str(i)] = field
            used.add(field)
    return mapping


def mapping_problems(mapping: dict[str, str]) -> list[str]:
    fields = list(mapping.values())
    problems = []
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        problems.append(
            gettext("Unknown field(s): %(fields)s.") % {"fields": ", ".join(sorted(set(unknown)))}
        )
    twice = sorted({f for f in fields if fields.count(f) > 1})
    if twice:
        problems.append(
            gettext("Each field can be mapped from one column only: %(fields)s.")
            % {"fields": ", ".join(str(FIELDS[f][0]) for f in twice if f in FIELDS)}
        )
    if "email" not in fields:
        problems.append(gettext("Map a column to Email: it identifies each prospect."))
    if "first_name" not in fields and "full_name" not in fields:
        problems.append(gettext("Map a column to First name or Full name."))
    return problems


# --- Values -----------------------------------------------------------------------------------

COUNTRIES = {
    **{
        k: v
        for v, names in {
            "NO": "norway, norge, noreg, kingdom of norway",
            "SE": "sweden, sverige",
            "DK": "denmark, danmark",
            "FI": "finland, suomi",
            "IS": "iceland, island",
            "DE": "germany, tyskland, deutschland",
            "GB": "united kingdom, uk, great britain, england, scotland, wales, storbritannia",
            "IE": "ireland, irland",
            "NL": "netherlands, the netherlands, holland, nederland",
            "BE": "belgium, belgia",
            "FR": "france, frankrike",
            "ES": "spain, spania",
            "PT": "portugal",
            "IT": "italy, italia",
            "CH": "switzerland, sveits",
            "AT": "austria, østerrike",
            "PL": "poland, polen",
            "EE": "estonia, estland",
            "LV": "latvia, latvia",
            "LT": "lithuania, litauen",
            "US": "united states, usa, us, united states of america, america",
            "CA": "canada",
            "AU": "australia",
            "NZ": "new zealand",
            "IN": "india",
            "JP": "japan",
            "SG": "singapore",
            "BR": "brazil, brasil",
        }.items()
        for k in (n.strip() for n in names.split(","))
    }
}
_NUMBER_RE = re.compile(r"^\d+(?:[.,]\d+)?$")
_SUFFIX = {"k": 1_000, "m": 1_000_000, "mm": 1_000_000, "mill": 1_000_000, "bn": 10**9, "b": 10**9}


LINKEDIN = "linkedin.com"


class RowError(ValueError):
    pass


def parse_int(text: str, label: str) -> int | None:
    """'1 200', '1,200', '51-200' (the middle: 126), '10,000+' -> int."""
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if not t:
        return None
    t = t.rstrip("+")
    if "-" in t[1:] or "–" in t:
        low, _dash, high = t.replace("–", "-").partition("-")
        a, b = parse_int(low, label), parse_int(high, label)
        if a is None or b is None or b < a:
            raise RowError(
                gettext("%(label)s '%(text)s' is not a number or a range like 51-200.")
                % {"label": label, "text": text}
            )
        return (a + b + 1) // 2
    t = t.replace(",", "")
    if not (t.isascii() and t.isdigit()):
        raise RowError(
            gettext("%(label)s '%(text)s' is not a whole number.") % {"label": label, "text": text}
        )
    value = int(t)
    if value > 10_000_000:
        raise RowError(
            gettext("%(label)s '%(text)s' is too large.") % {"label": label, "text": text}
        )
    return value


def parse_money(text: str, label: str) -> int | None:
    """'NOK 5 000 000', '1.2M', '2,5 mill' -> whole units."""
    t = text.strip().lower().replace("\u00a0", "").replace(" ", "")
    if not t:
        return None
    t = re.sub(r"^(nok|sek|dkk|eur|usd|gbp|kr|[$€£])", "", t)
    t = re.sub(r"(nok|sek|dkk|eur|usd|gbp|kr|[$€£])$", "", t)
    m = re.fullmatch(r"([\d.,]+)([a-z]*)", t)
    if not m or (m[2] and m[2] not in _SUFFIX):
        raise RowError(
            gettext("%(label)s '%(text)s' is not an amount.") % {"label": label, "text": text}
        )
    digits, suffix = m[1], m[2]
    if suffix:
        digits = digits.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}([.,]\d{3})+", digits):
        digits = re.sub(r"[.,]", "", digits)  # thousands separators
    else:
        digits = digits.replace(",", ".")
    try:
        value = Decimal(digits) * _SUFFIX.get(suffix, 1)
    except InvalidOperation as exc:
        raise RowError(
            gettext("%(label)s '%(text)s' is not an amount.") % {"label": label, "text": text}
        ) from exc
    if value >= Decimal(10) ** 15:
        raise RowError(
            gettext("%(label)s '%(text)s' is too large.") % {"label": label, "text": text}
        )
    return int(value)


def _gate(check, *args, **kwargs):
    """Run a gate of leads.fields (the one every way a lead is made shares)."""
    try:
        return check(*args, **kwargs)
    except ValidationError as exc:
        raise RowError(exc.messages[0]) from None


def parse_url(text: str, label: str, *, site: str = "") -> str:
    """An http(s) address; a bare domain gets https://."""
    return _gate(lead_fields.clean_url, text, label=label, site=site)


def parse_country(text: str) -> str:
    """A country's name in English or Norwegian, or its ISO code -> the ISO code."""
    t = " ".join(text.strip().lower().split())
    return COUNTRIES.get(t) or _gate(lead_fields.clean_country, text)


@dataclass(slots=True)
class Row:
    line: int
    email: str
    first_name: str
    last_name: str = ""
    phone: str = ""
    title: str = ""
    linkedin_url: str = ""
    time_zone: str = ""
    company_name: str = ""
    domain: str | None = None
    website: str = ""
    industry: str = ""
    employee_count: int | None = None
    annual_revenue: int | None = None
    country: str = ""
    company_linkedin_url: str = ""


def _text(values: dict, field: str) -> str:
    label, limit = FIELDS[field]
    return _gate(lead_fields.clean_text, values.get(field, ""), label=label, max_length=limit)


def normalise_row(line: int, cells: list[str], mapping: dict[int, str]) -> Row:
    """One data row -> the values to store. Raises RowError with the reason for the user."""
    values = {field: cells[i] if i < len(cells) else "" for i, field in mapping.items()}
    email = _gate(lead_fields.clean_email, values.get("email", ""))
    if not email:
        raise RowError(gettext("The email is empty."))
    first, last = _text(values, "first_name") if "first_name" in values else "", ""
    if "last_name" in values:
        last = _text(values, "last_name")
    if not first and "full_name" in values:
        full = _text(values, "full_name")
        if "," in full:  # "Nordmann, Kari"
            last_part, _comma, first_part = full.partition(",")
            first, last = normalize_name(first_part), last or normalize_name(last_part)
        else:
            first, _space, rest = full.partition(" ")
            last = last or rest
    if not first:
        raise RowError(gettext("The first name is empty."))
    if len(first) > 100 or len(last) > 100:
        raise RowError(gettext("The name is longer than 100 characters."))
    website = parse_url(values.get("website", ""), _("Website"))
    domain = None
    if values.get("domain", "").strip():
        domain = _gate(lead_fields.clean_domain, values["domain"], label=_("Domain"))
    elif website:
        domain = normalize_domain(website)
    else:
        email_domain = email.rpartition("@")[2]
        if email_domain not in FREE_MAIL:
            domain = normalize_domain(email_domain)
    return Row(
        line=line,
        email=email,
        first_name=first,
        last_name=last,
        phone=_text(values, "phone") if "phone" in values else "",
        title=_text(values, "title") if "title" in values else "",
        linkedin_url=parse_url(
            values.get("linkedin_url", ""), _("LinkedIn profile"), site=LINKEDIN
        ),
        time_zone=_gate(lead_fields.clean_time_zone, values.get("time_zone", "")),
        company_name=_text(values, "company_name") if "company_name" in values else "",
        domain=domain,
        website=website,
        industry=_text(values, "industry") if "industry" in values else "",
        employee_count=parse_int(values.get("employee_count", ""), _("Number of employees")),
        annual_revenue=parse_money(values.get("annual_revenue", ""), _("Annual revenue")),
        country=parse_country(values.get("country", "")),
        company_linkedin_url=parse_url(
            values.get("company_linkedin_url", ""), _("Company LinkedIn"), site=LINKEDIN
        ),
    )


def is_blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)
