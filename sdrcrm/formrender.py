"""The form renderer (settings.FORM_RENDERER): Django's Jinja2 renderer, falling back to its
Django-templates renderer for a template Jinja2 does not have.

Django renders every widget through a template engine, and a ``<select>`` includes one template
per option: through Django templates a filter form of eight fields took 3 ms of a 14 ms lead
list (docs/performance.md). Django ships the same form templates for Jinja2
(django/forms/jinja2/), which render the same HTML several times faster. The admin's widgets
(and any widget with a template of its own under templates/) have no Jinja2 version: those
names go to ``DjangoTemplates`` as before. tests/test_formrender.py compares the parsed output
with Django's default renderer for every widget kind, value and attribute shape."""

from __future__ import annotations

from functools import cached_property

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(Jinja2):
    """``django.forms.renderers.Jinja2``; what it lacks, from ``DjangoTemplates``."""

    @cached_property
    def fallback(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
