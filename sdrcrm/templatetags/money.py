"""``{% load money %}``: ``{{ lead.budget|money:team.currency }}`` ("150 000 kr" /
"NOK 150,000") and ``{{ count|amount }}`` ("1 234" / "1,234"), in the active language
(sdrcrm/money.py). Registered in TEMPLATES' ``libraries`` (sdrcrm is not an app)."""

from django import template

from sdrcrm.money import format_amount, format_money

register = template.Library()


@register.filter
def money(value, currency=""):
    return format_money(value, currency)


@register.filter
def amount(value):
    return format_amount(value)
