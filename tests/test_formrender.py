"""sdrcrm.formrender.FormRenderer renders widgets with Django's Jinja2 templates: a browser must
build from it what it builds from Django's default renderer (the same elements, attributes and
text; whitespace between elements may differ), for every widget kind, value and attribute
shape; a template Jinja2 lacks (the admin's widgets) still renders, through Django's."""

import datetime
import decimal
import importlib
import inspect

import pytest
from django import forms
from django.apps import apps
from django.contrib.admin import widgets as admin_widgets
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from sdrcrm import formrender
from sdrcrm.formrender import FormRenderer
from tests.html import shape

DJANGO = DjangoTemplates()
OURS = FormRenderer()

NASTY = "<b>\"Tom\" & 'Jerry'</b>"
CHOICES = [("", "Any"), ("a", "Alpha"), (1, 1), ("b&c", NASTY), ("x", gettext_lazy("Lazy"))]
GROUPED = [("", "None"), ("Fruit", [("apple", "Apple"), ("pear", NASTY)]), ("z", "Zed")]


def both(widget: forms.Widget, name: str, value, attrs=None) -> tuple:
    """What a browser makes of the widget's HTML from Django's renderer, and from ours."""
    return (
        shape(widget.render(name, value, attrs=attrs, renderer=DJANGO)),
        shape(widget.render(name, value, attrs=attrs, renderer=OURS)),
    )


WIDGETS = [
    (forms.TextInput(), "q", None, None),
    (forms.TextInput(), "q", "", None),
    (forms.TextInput(attrs={"placeholder": NASTY, "maxlength": 200}), "q", NASTY, {"id": "id_q"}),
    (forms.TextInput(attrs={"required": True, "disabled": False, "data-x": None}), "q", "v", None),
    (forms.TextInput(attrs={"title": mark_safe("<i>safe</i>")}), "q", mark_safe("<i>s</i>"), None),
    (forms.TextInput(), "q", ("a", "b"), None),
    (forms.NumberInput(), "n", 12345, {"id": "id_n", "min": 0, "step": decimal.Decimal("0.5")}),
    (forms.NumberInput(), "n", decimal.Decimal("1234.50"), None),
    (forms.NumberInput(), "n", 0, None),
    (forms.EmailInput(), "e", "a@b.c", {"autocomplete": "email"}),
    (forms.URLInput(), "u", "https://x.test/?a=1&b=2", None),
    (forms.PasswordInput(), "p", "secret", None),
    (forms.PasswordInput(render_value=True), "p", "secret", None),
    (forms.HiddenInput(), "cursor", "abc==", {"id": "id_cursor"}),
    (forms.DateInput(attrs={"type": "date"}), "d", datetime.date(2026, 11, 28), None),
    (forms.DateInput(), "d", "2026-13-45", None),
    (forms.DateTimeInput(), "dt", datetime.datetime(2026, 11, 28, 7, 30), None),
    (forms.TimeInput(), "t", datetime.time(9, 5), None),
    (forms.SearchInput(), "s", "x", None),
    (forms.TelInput(), "tel", "+47 123", None),
    (forms.ColorInput(), "c", "#ff0000", None),
    (forms.FileInput(), "f", None, None),
    (forms.CheckboxInput(), "c", True, {"id": "id_c"}),
    (forms.CheckboxInput(), "c", False, None),
    (forms.CheckboxInput(), "c", "", None),
    (forms.Textarea(), "body", None, None),
    (forms.Textarea(), "body", "", None),
    (forms.Textarea(attrs={"rows": 3}), "body", "line 1\n" + NASTY + "\n", {"id": "id_body"}),
    (forms.Select(choices=CHOICES), "s", "a", {"id": "id_s"}),
    (forms.Select(choices=CHOICES), "s", 1, None),
    (forms.Select(choices=CHOICES), "s", None, None),
    (forms.Select(choices=CHOICES), "s", "b&c", {"required": True, "aria-invalid": "true"}),
    (forms.Select(choices=GROUPED), "s", "pear", {"id": "id_g"}),
    (forms.Select(choices=[]), "s", None, None),
    (forms.SelectMultiple(choices=CHOICES), "m", ["a", "1"], {"id": "id_m"}),
    (forms.SelectMultiple(choices=GROUPED), "m", [], None),
    (forms.NullBooleanSelect(), "nb", True, None),
    (forms.CheckboxSelectMultiple(choices=CHOICES), "cs", ["a", "x"], {"id": "id_cs"}),
    (forms.CheckboxSelectMultiple(choices=CHOICES), "cs", [], None),
    (forms.CheckboxSelectMultiple(choices=GROUPED, attrs={"class": "checks"}), "cs", ["apple"],
     {"id": "id_cs"}),
    (forms.RadioSelect(choices=CHOICES), "r", "a", {"id": "id_r"}),
    (forms.RadioSelect(choices=GROUPED), "r", None, None),
    (forms.RadioSelect(choices=CHOICES, attrs={"class": NASTY}), "r", "b&c", {"id": "id_r"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("widget", "name", "value", "attrs"),
    WIDGETS,
    ids=[f"{type(w).__name__}-{i}" for i, (w, *_rest) in enumerate(WIDGETS)],
)
def test_widget_html_is_djangos(widget, name, value, attrs):
    expected, got = both(widget, name, value, attrs)
    assert got == expected


def test_jinja2_renders_the_builtin_widgets(monkeypatch):
    """The comparison above would pass trivially if everything fell back to Django's
    templates."""
    monkeypatch.setattr(
        DjangoTemplates, "get_template", lambda *a, **k: pytest.fail("Django templates used")
    )
    for widget, name, value, attrs in WIDGETS:
        assert "<" in widget.render(name, value, attrs=attrs, renderer=OURS)


def test_escapes_what_it_is_given():
    html = forms.Select(choices=CHOICES).render(NASTY, "b&c", renderer=OURS)

    assert "<b>" not in html and "&lt;b&gt;" in html
    select = shape(html)[0]
    assert select[1] == {"name": NASTY}
    assert ("option", {"value": "b&c", "selected": ""}, (NASTY,)) in select[2]


def test_templates_jinja2_lacks_go_to_djangos():
    date = admin_widgets.AdminDateWidget()
    expected, got = both(date, "d", datetime.date(2026, 1, 2))
    assert got == expected and got[0][:2] == ("p", {"class": "date"})
    split = admin_widgets.AdminSplitDateTime()
    expected, got = both(split, "when", datetime.datetime(2026, 1, 2, 3, 4))
    assert got == expected

    class CustomOption(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    expected, got = both(CustomOption(choices=CHOICES), "s", "a")
    assert got == expected


def test_settings_use_it():
    from django.conf import settings as django_settings
    from django.forms.renderers import get_default_renderer

    assert django_settings.FORM_RENDERER == "sdrcrm.formrender.FormRenderer"
    assert isinstance(get_default_renderer(), FormRenderer)


def _project_forms():
    """Every Form class of the project's apps that can be made without arguments."""
    found = {}
    for config in apps.get_app_configs():
        if not config.path.startswith(str(formrender.__file__).rsplit("/sdrcrm/", 1)[0]):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = cls
    return found


@pytest.mark.django_db
def test_every_project_form_renders_as_with_django():
    rendered = 0
    for name, cls in sorted(_project_forms().items()):
        try:
            form = cls()
        except TypeError:
            continue  # needs arguments (a lead, a user): covered by its page tests
        for bound in form:
            widget = bound.field.widget
            attrs = bound.build_widget_attrs({"id": bound.auto_id} if bound.auto_id else {})
            value = bound.value()
            expected, got = both(widget, bound.html_name, value, attrs)
            assert got == expected, f"{name}.{bound.name}"
            rendered += 1
    assert rendered > 30  # the project's forms were found and rendered


text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
attr_value = st.one_of(st.booleans(), st.none(), st.integers(-5, 10**6), text)
attr_name = st.sampled_from(["id", "class", "title", "data-x", "maxlength"])
attrs = st.dictionaries(attr_name, attr_value)
choices = st.lists(st.tuples(st.one_of(text, st.integers(0, 99)), text), max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(
        [forms.TextInput, forms.Textarea, forms.Select, forms.SelectMultiple,
         forms.CheckboxSelectMultiple, forms.RadioSelect, forms.CheckboxInput, forms.NumberInput]
    ),
    choices=choices,
    value=st.one_of(st.none(), text, st.integers(0, 99), st.lists(text, max_size=3)),
    widget_attrs=attrs,
    extra_attrs=attrs,
    name=text,
)  # fmt: skip
def test_any_input_renders_as_with_django(kind, choices, value, widget_attrs, extra_attrs, name):
    if kind in (forms.Select, forms.SelectMultiple, forms.CheckboxSelectMultiple,
                forms.RadioSelect):  # fmt: skip
        widget = kind(choices=choices, attrs=widget_attrs)
    else:
        widget = kind(attrs=widget_attrs)
    expected, got = both(widget, name, value, extra_attrs)
    assert got == expected
