"""The panels the apps above leads register on its pages (leads/panels.py)."""

import pytest

from leads.panels import panel_register, panels_at


def test_each_slot_shows_the_registered_panels_in_order():
    assert [p.template_name for p in panels_at("lead_page")] == [
        "intake/_inbound_panel.html",
        "cadences/_lead_panel.html",
        "qualification/_lead_panel.html",
        "coaching/_lead_panel.html",
    ]
    assert [p.template_name for p in panels_at("note_tools")] == ["cadences/_snippet_picker.html"]
    assert [p.template_name for p in panels_at("lead_list_bulk")] == [
        "cadences/_enroll_controls.html"
    ]


def test_an_unknown_slot_is_refused():
    with pytest.raises(ValueError, match="No panel slot 'sidebar'"):
        panel_register("sidebar", "x.html", lambda context: {}, order=1)
    assert [p.template_name for p in panels_at("lead_page")][0] == "intake/_inbound_panel.html"
