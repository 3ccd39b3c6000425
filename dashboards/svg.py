"""Charts as SVG rendered on the server: no JavaScript, no CDN. Every chart has a title and
a description for screen readers, and its page shows the same numbers in a table.
Colours come from classes in static/css/dashboards.css (no inline styles). The geometry is
worked out here; the SVG is written by partials/dashboards/ (autoescaped Jinja2)."""

from django.utils.safestring import SafeString

from sdrcrm.money import format_amount
from sdrcrm.partials import render_partial

ROW_HEIGHT = 26
LABEL_WIDTH = 170
VALUE_WIDTH = 90
WIDTH = 640


def hbar_chart(
    rows: list[tuple[str, float, str]], *, title: str, highlight: int | None = None
) -> SafeString:
    """Horizontal bars: (label, value, value text) per row; ``highlight`` is a row index.
    Room is kept right of the longest bar for its value text (about 7 px a character)."""
    top = max((v for _, v, _ in rows), default=0) or 1
    value_width = max(VALUE_WIDTH, 12 + 7 * max((len(t) for _, _, t in rows), default=0))
    span = max(100, WIDTH - LABEL_WIDTH - value_width)
    bars = [
        {
            "label": label,
            "text": text,
            "y": 4 + i * ROW_HEIGHT,
            "width": max(0.0, span * (value or 0) / top),
            "best": highlight == i,
        }
        for i, (label, value, text) in enumerate(rows)
    ]
    return render_partial(
        "dashboards/_hbar_chart.jinja",
        {
            "id": _id(title),
            "title": title,
            "width": WIDTH,
            "height": ROW_HEIGHT * max(1, len(rows)) + 8,
            "row_height": ROW_HEIGHT,
            "label_width": LABEL_WIDTH,
            "bars": bars,
        },
    )


def column_chart(series: list[tuple[str, float]], *, title: str) -> SafeString:
    """Vertical columns over time: (label, value); labels shown for at most ~12 columns."""
    height, base, left = 200, 170, 36
    n = max(1, len(series))
    top = max((v for _, v in series), default=0) or 1
    step = (WIDTH - left - 8) / n
    every = max(1, n // 12)
    columns = []
    for i, (label, value) in enumerate(series):
        h = (base - 16) * (value or 0) / top
        x = left + i * step
        columns.append(
            {
                "label": label,
                "value": _num(value),
                "x": x + step * 0.15,
                "y": base - h,
                "width": max(1.0, step * 0.7),
                "height": h,
                "label_x": x + step / 2 if i % every == 0 else None,
            }
        )
    return render_partial(
        "dashboards/_column_chart.jinja",
        {
            "id": _id(title),
            "title": title,
            "width": WIDTH,
            "height": height,
            "base": base,
            "left": left,
            "top": _num(top),
            "columns": columns,
        },
    )


def _num(v) -> str:
    return format_amount(round(v)) if isinstance(v, (int, float)) else str(v)


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())[:40]
