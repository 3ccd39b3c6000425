"""Panels that the apps above ``leads`` show on its pages.

``leads`` knows none of cadences, qualification, coaching or intake (the layers in
pyproject.toml), and its templates may not load their template tags either
(tests/test_template_layers.py). Each of those apps registers what it shows from its
``AppConfig.ready``: a template of its own and a function that builds that template's context
from the page's. A leads page renders whatever is registered at a slot::

    {% load lead_panels %}{% panels "lead_page" lead %}

Slots: ``lead_page`` (the head of the lead page's second column, above notes, calls and the
timeline: the next action; argument: the lead), ``note_tools`` (beside
the note field; argument: the textarea's id), ``lead_list_bulk`` (the lead list's bulk
actions; no argument).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SLOTS = ("lead_page", "note_tools", "lead_list_bulk")


@dataclass(frozen=True)
class Panel:
    template_name: str
    # (the page's template context, the slot's arguments...) -> the panel template's context,
    # or None to show nothing. It runs a bounded number of queries: the page's count is pinned.
    context: Callable[..., dict | None]
    order: int


_registry: dict[str, list[Panel]] = {slot: [] for slot in SLOTS}


def panel_register(
    slot: str, template_name: str, context: Callable[..., dict | None], *, order: int
) -> None:
    """Show ``template_name`` at ``slot``, in ``order`` (lowest first). Registering the same
    template at a slot again replaces it (``ready`` may run more than once)."""
    if slot not in _registry:
        raise ValueError(f"No panel slot {slot!r}; slots: {', '.join(SLOTS)}")
    panels = [p for p in _registry[slot] if p.template_name != template_name]
    panels.append(Panel(template_name, context, order))
    _registry[slot] = sorted(panels, key=lambda p: p.order)


def panels_at(slot: str) -> tuple[Panel, ...]:
    return tuple(_registry[slot])
