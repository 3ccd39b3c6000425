"""Bring stored web addresses, time zones and countries to what the lead field gate
(leads/fields.py) accepts, so that no row holds a link a page must not render and no edit of
a lead fails on a field its user did not touch.

- An address without a scheme gets https:// (``fjord.example`` -> ``https://fjord.example``);
  one with another scheme than http(s) (``javascript:``, ``data:``, ``ftp:``…), one that is not
  an address, and a LinkedIn field that is not on linkedin.com are blanked.
- A time zone in the wrong case is corrected (``europe/oslo``); an unknown one is blanked.
- A country is upper-cased (``no``) or its ISO alias applied (``UK`` -> ``GB``); an unknown
  one is blanked.

Every change is logged on the ``leads.migrations`` logger (table, id, field, what was done;
a company's old value is in the line, a person's LinkedIn address is not) with a summary line.
Only rows that may need it are read: a value that certainly passes (an ASCII http(s) address,
a known zone) is selected out in SQL.

Uses the gate of today's code on purpose: the rows must end as the application validates them.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import migrations

from leads import fields as gate

log = logging.getLogger("leads.migrations")

# Values that certainly pass the gate as they are (see the module docstring).
SURE_URL = r"^https?://([a-z0-9-]+\.)+[a-z]{2,63}(:[0-9]{1,5})?([/?#][!-\[\]-~]*)?$"
SURE_LINKEDIN = r"^https?://([a-z0-9-]+\.)*linkedin\.com(:[0-9]{1,5})?([/?#][!-\[\]-~]*)?$"

URL_FIELDS = [
    ("Company", "website", gate.clean_website, SURE_URL, True),
    ("Company", "linkedin_url", gate.clean_linkedin_url, SURE_LINKEDIN, True),
    ("Prospect", "linkedin_url", gate.clean_linkedin_url, SURE_LINKEDIN, False),
]


def _fix_urls(apps, counts: dict) -> None:
    for model_name, field, clean, sure, show_value in URL_FIELDS:
        model = apps.get_model("leads", model_name)
        rows = (
            model.objects.exclude(**{field: ""})
            .exclude(**{f"{field}__regex": sure})
            .values_list("pk", field)
            .order_by("pk")
        )
        for pk, old in rows.iterator(chunk_size=2000):
            try:
                new, action = clean(old), "normalised"
            except ValidationError as exc:
                new, action = "", f"blanked ({exc.code})"
            if new == old:
                continue
            model.objects.filter(pk=pk).update(**{field: new})
            counts[action.split(" ")[0]] = counts.get(action.split(" ")[0], 0) + 1
            shown = f" {old[:120]!r} -> {new!r}" if show_value else ""
            log.info("leads %s %s %s: %s%s", model_name.lower(), pk, field, action, shown)


def _fix_by_value(apps, counts: dict, model_name: str, field: str, clean) -> None:
    model = apps.get_model("leads", model_name)
    values = model.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct()
    for old in list(values):
        try:
            new, action = clean(old), "normalised"
        except ValidationError:
            new, action = "", "blanked"
        if new == old:
            continue
        n = model.objects.filter(**{field: old}).update(**{field: new})
        counts[action] = counts.get(action, 0) + n
        log.info(
            "leads %s %s %r -> %r: %s on %d row(s)", model_name.lower(), field, old, new, action, n
        )


def forwards(apps, schema_editor):
    counts: dict[str, int] = {}
    _fix_urls(apps, counts)
    for model_name in ("Company", "Prospect"):
        _fix_by_value(apps, counts, model_name, "time_zone", gate.clean_time_zone)
    _fix_by_value(apps, counts, "Company", "country", gate.clean_country)
    if counts:
        log.warning(
            "leads: the field gate migration normalised %d value(s) and blanked %d "
            "(details in the lines above)",
            counts.get("normalised", 0),
            counts.get("blanked", 0),
        )


class Migration(migrations.Migration):
    dependencies = [("leads", "0012_per_team_unique_domain_and_email")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
