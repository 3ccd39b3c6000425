"""Charts as SVG rendered on the server: no JavaScript, no CDN. Every chart has a title and
a description for screen readers, and its page shows the same numbers in a table.
Colours come from classes in static/css/dashboards.css (no inline styles)."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ROW_HEIGHT = 26
LABEL_WIDTH = 170
VALUE_WIDTH = 90
WIDTH = 640


def hbar_chart(
    rows: list[tuple[str, float, str]], *, title: str, highlight: int | None = None
) -> SafeString:
    """Horizontal bars: (label, value, value text) per row; ``highlight`` is a row index.
    Room is kept right of the longest bar for its value text (about 7 px a character)."""
    height = ROW_HEIGHT * max(1, len(rows)) + 8
    top = max((v for _, v, _ in rows), default=0) or 1
    value_width = max(VALUE_WIDTH, 12 + 7 * max((len(t) for _, _, t in rows), default=0))
    span = max(100, WIDTH - LABEL_WIDTH - value_width)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{_id(title)}-t">',
        f'<title id="{_id(title)}-t">{escape(title)}</title>',
    ]
    for i, (label, value, text) in enumerate(rows):
        y = 4 + i * ROW_HEIGHT
        w = max(0.0, span * (value or 0) / top)
        cls = "chart-bar best" if highlight == i else "chart-bar"
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + 17}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect class="{cls}" x="{LABEL_WIDTH}" y="{y + 3}" width="{w:.1f}" '
            f'height="{ROW_HEIGHT - 8}" rx="3"></rect>'
            f'<text class="chart-value" x="{LABEL_WIDTH + w + 6:.1f}" y="{y + 17}">'
            f"{escape(text)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def column_chart(series: list[tuple[str, float]], *, title: str) -> SafeString:
    """Vertical columns over time: (label, value); labels shown for at most ~12 columns."""
    height, base, left = 200, 170, 36
    n = max(1, len(series))
    top = max((v for _, v in series), default=0) or 1
    step = (WIDTH - left - 8) / n
    every = max(1, n // 12)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{_id(title)}-t">',
        f'<title id="{_id(title)}-t">{escape(title)}</title>',
        f'<line class="chart-axis" x1="{left}" y1="{base}" x2="{WIDTH - 4}" y2="{base}"></line>',
        f'<text class="chart-value" x="{left - 4}" y="14" text-anchor="end">{_num(top)}</text>',
        f'<text class="chart-value" x="{left - 4}" y="{base}" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(series):
        h = (base - 16) * (value or 0) / top
        x = left + i * step
        parts.append(
            f'<rect class="chart-bar" x="{x + step * 0.15:.1f}" y="{base - h:.1f}" '
            f'width="{max(1.0, step * 0.7):.1f}" height="{h:.1f}"><title>{escape(label)}: '
            f"{_num(value)}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text class="chart-label small" x="{x + step / 2:.1f}" y="{base + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _num(v) -> str:
    return f"{v:,.0f}" if isinstance(v, (int, float)) else escape(str(v))


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())[:40]
