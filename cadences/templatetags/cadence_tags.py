"""The snippet picker for cadence pages (what cadences shows on the leads app's pages is in
cadences/panels.py)."""

from django import template

from .. import panels

register = template.Library()

register.inclusion_tag("cadences/_snippet_picker.html", takes_context=True)(panels.snippet_picker)
