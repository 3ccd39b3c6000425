"""dashboards.svg: the charts' SVG (partials/dashboards/), what each element says, with the
labels people typed (a cadence's name, an SDR's) escaped."""

from dashboards import svg
from tests.html import parse

NASTY = "<b>\"Tom\" & 'Jerry'</b>"


def test_horizontal_bars_with_their_labels_values_and_highlight():
    rows = [("Alpha", 10, "10 touches"), (NASTY, 5, "5 touches"), ("Zero", 0, "0 touches")]

    (chart,) = parse(svg.hbar_chart(rows, title="Touches <per> SDR", highlight=0)).elements

    assert (chart.tag, chart["role"], chart["aria-labelledby"]) == (
        "svg", "img", "chart-touches--per--sdr-t",
    )  # fmt: skip
    assert chart["viewbox"] == f"0 0 {svg.WIDTH} {3 * svg.ROW_HEIGHT + 8}"
    title = chart.one("title")
    assert (title["id"], title.text) == ("chart-touches--per--sdr-t", "Touches <per> SDR")
    bars = chart.find_all("rect")
    assert [b.classes for b in bars] == [["chart-bar", "best"], ["chart-bar"], ["chart-bar"]]
    widths = [float(b["width"]) for b in bars]
    assert widths[0] == 2 * widths[1] and widths[2] == 0.0
    assert [t.text for t in chart.find_all("text", class_="chart-label")] == [
        "Alpha", NASTY, "Zero",
    ]  # fmt: skip
    assert [t.text for t in chart.find_all("text", class_="chart-value")] == [
        "10 touches", "5 touches", "0 touches",
    ]  # fmt: skip
    assert chart.find_all("b") == [] and chart.find_all("per") == []  # escaped, not markup


def test_columns_over_time_with_a_tooltip_each_and_some_labels():
    series = [(f"W{i}", i * 1000) for i in range(26)]

    (chart,) = parse(svg.column_chart(series, title="Per week")).elements

    columns = chart.find_all("rect", class_="chart-bar")
    assert [c.one("title").text for c in columns][:2] == ["W0: 0", "W1: 1,000"]
    assert len(columns) == 26 and float(columns[0]["height"]) == 0.0
    assert [t.text for t in chart.find_all("text", class_="chart-label")] == [
        f"W{i}" for i in range(0, 26, 2)
    ]
    assert [t.text for t in chart.find_all("text", class_="chart-value")] == ["25,000", "0"]
