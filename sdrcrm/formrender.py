"""The form renderer (settings.FORM_RENDERER): Django's own, with its most used widget templates
written in Python.

Django renders every widget through the template engine, and a ``<select>`` includes one template
per option and another for each option's attributes: a filter form of eight fields took 3 ms of
a 14 ms lead list (docs/performance.md). ``FastRenderer`` produces the same HTML, character for
character, for the inputs, selects, textareas and groups of checkboxes or radios of Django's
built-in templates; any other template (the admin's widgets, a widget with its own template, a
custom option template) goes to the template engine as before. tests/test_formrender.py checks
the output against Django's renderer for every widget kind, value and attribute shape.
"""

from __future__ import annotations

import html

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

from .fasthtml import text

W = "django/forms/widgets/"


def _stringformat(value) -> str:
    """``{{ value|stringformat:'s' }}`` (the filter keeps the safety of its input)."""
    if type(value) is str:
        return html.escape(value)
    if isinstance(value, tuple):
        value = str(value)
    try:
        formatted = "%s" % value  # noqa: UP031 - exactly the filter's formatting
    except (ValueError, TypeError):
        return ""
    return formatted if isinstance(value, SafeData) else conditional_escape(formatted)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is not False:
            out.append(" " + text(name))
            if value is not True:
                out.append('="' + _stringformat(value) + '"')
    return "".join(out)


def _input(w: dict) -> str:
    """input.html (and every widget template that only includes it), with its final newline."""
    value = "" if w["value"] is None else f' value="{_stringformat(w["value"])}"'
    start = f'<input type="{text(w["type"])}" name="{text(w["name"])}"'
    return f"{start}{value}{_attrs(w['attrs'])}>\n"


def _select_option(w: dict) -> str:
    return (
        f'<option value="{_stringformat(w["value"])}"{_attrs(w["attrs"])}>'
        f"{text(w['label'])}</option>\n"
    )


def _input_option(w: dict) -> str:
    """input_option.html, included by checkbox_option.html and radio_option.html (which add a
    newline of their own)."""
    out = _input(w)
    if w.get("wrap_label"):
        label_for = w["attrs"].get("id")
        label_for = f' for="{text(label_for)}"' if label_for else ""
        out = f"<label{label_for}>{out} {text(w['label'])}</label>"
    return out + "\n"


_OPTIONS = {
    W + "select_option.html": _select_option,
    W + "checkbox_option.html": lambda w: _input_option(w) + "\n",
    W + "radio_option.html": lambda w: _input_option(w) + "\n",
}


def _options(w: dict):
    """The widget's option groups, or None when an option has a template of its own."""
    groups = []
    for group_name, options, _index in w["optgroups"]:
        rendered = []
        for option in options:
            fn = _OPTIONS.get(option["template_name"])
            if fn is None:
                return None
            rendered.append(fn(option))
        groups.append((group_name, rendered))
    return groups


def _select(w: dict) -> str | None:
    groups = _options(w)
    if groups is None:
        return None
    out = [f'<select name="{text(w["name"])}"{_attrs(w["attrs"])}>']
    for group_name, options in groups:
        if group_name:
            out.append(f'\n  <optgroup label="{text(group_name)}">')
        out.extend("\n  " + option for option in options)
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _multiple_input(w: dict) -> str | None:
    """checkbox_select.html and radio.html (multiple_input.html)."""
    groups = _options(w)
    if groups is None:
        return None
    widget_id, css = w["attrs"].get("id"), w["attrs"].get("class")
    out = ["<div"]
    if widget_id:
        out.append(f' id="{text(widget_id)}"')
    if css:
        out.append(f' class="{text(css)}"')
    out.append(">")
    for group_name, options in groups:
        if group_name:
            out.append(f"\n  <div><label>{text(group_name)}</label>")
        out.extend(f"<div>\n    {option}</div>" for option in options)
        if group_name:
            out.append("\n  </div>")
    out.append("\n</div>")
    return "".join(out)


def _textarea(w: dict) -> str:
    value = text(w["value"]) if w["value"] else ""
    return f'<textarea name="{text(w["name"])}"{_attrs(w["attrs"])}>\n{value}</textarea>'


_INPUTS = ("checkbox", "color", "date", "datetime", "email", "file", "hidden", "input", "number",
           "password", "search", "tel", "text", "time", "url")  # fmt: skip
_WIDGETS = {
    **{f"{W}{name}.html": lambda w: _input(w).strip() for name in _INPUTS},
    W + "select.html": _select,
    W + "checkbox_select.html": _multiple_input,
    W + "radio.html": _multiple_input,
    W + "multiple_input.html": _multiple_input,
    W + "textarea.html": _textarea,
}


class FastRenderer(DjangoTemplates):
    """Django's default form renderer; the widget templates above are rendered in Python."""

    def render(self, template_name, context, request=None):
        fn = _WIDGETS.get(template_name)
        if fn is not None and "widget" in context:
            out = fn(context["widget"])
            if out is not None:
                return out.strip()
        return super().render(template_name, context, request=request)
