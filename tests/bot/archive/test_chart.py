"""The trend chart: well-formed SVG, described in words, escaped, readable without colour."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

from digests.render.chart import (
    chart_days,
    describe,
    series,
    trend_chart,
    trend_legend,
    trend_table,
)

SVG = "{http://www.w3.org/2000/svg}"
DAYS = chart_days(date(2026, 2, 11), 30)


def test_chart_days() -> None:
    assert len(DAYS) == 30
    assert DAYS[0] == date(2026, 1, 13) and DAYS[-1] == date(2026, 2, 11)
    assert chart_days(date(2026, 3, 1), 2) == [date(2026, 2, 28), date(2026, 3, 1)]


def test_chart_is_svg_with_title_desc_points_and_legend() -> None:
    counts = {"security": {date(2026, 2, 10): 7, date(2026, 2, 1): 2}, "drugs": {}}
    svg = trend_chart(counts, DAYS, ["security", "drugs"], {"security": "#C0392B"})
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "trend-title trend-desc"
    assert root.find(f"{SVG}title").text == "Stories per topic per day, last 30 days"
    desc = root.find(f"{SVG}desc").text
    assert "security: 9 stories, most on Feb 10 (7)" in desc
    assert "drugs: no stories" in desc
    lines = root.findall(f".//{SVG}polyline")
    assert len(lines) == 2
    assert lines[0].get("stroke") == "#C0392B"
    assert lines[1].get("stroke-dasharray")  # told apart by dashes, not colour alone
    assert len(lines[0].get("points").split()) == 30
    points = root.findall(f".//{SVG}circle")
    assert len(points) == 2  # one per day with stories, each with a tooltip
    assert points[1].find(f"{SVG}title").text == "security, 2026-02-10: 7 stories"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Feb 11" in texts  # the last day is labelled
    assert "style=" not in svg and "<script" not in svg


def test_legend_is_text_with_hidden_line_samples() -> None:
    counts = {"security": {DAYS[-1]: 2}}
    legend = trend_legend(counts, DAYS, ["security", "<b>x</b>"], {"security": "#C0392B"})
    root = ElementTree.fromstring(legend)
    items = root.findall("li")
    assert ["".join(li.itertext()).strip() for li in items] == ["security (2)", "<b>x</b> (0)"]
    samples = root.findall("li/svg")  # inline SVG in HTML: no xmlns needed
    assert all(s.get("aria-hidden") == "true" for s in samples) and len(samples) == 2
    assert samples[0].find("line").get("stroke") == "#C0392B"
    assert samples[1].find("line").get("stroke-dasharray")


def test_y_axis_grows_in_round_steps() -> None:
    counts = {"security": {DAYS[-1]: 37}}
    root = ElementTree.fromstring(trend_chart(counts, DAYS, ["security"]))
    ticks = [t.text for t in root.find(f"{SVG}g").iter(f"{SVG}text") if t.text.isdigit()]
    assert ticks == ["0", "10", "20", "30", "40"]


def test_empty_chart_says_so() -> None:
    svg = trend_chart({}, DAYS, ["security"])
    ElementTree.fromstring(svg)
    assert "No stories in this period" in svg


def test_hostile_topic_names_and_colours_are_inert() -> None:
    name = '<script>alert(1)</script>" onload="x'
    svg = trend_chart({name: {DAYS[0]: 1}}, DAYS, [name], {name: 'red" onload="alert(2)'})
    root = ElementTree.fromstring(svg)  # still well-formed
    for element in root.iter():
        assert not any(attr.startswith("on") for attr in element.attrib), element.attrib
    assert "<script>" not in svg
    line = root.find(f".//{SVG}polyline")
    assert line.get("stroke", "").startswith("#") and len(line.get("stroke")) == 7


def test_series_and_description_match_the_table() -> None:
    counts = {"migration": {DAYS[-1]: 3, DAYS[-2]: 1}}
    (s,) = series(counts, DAYS, ["migration"], {})
    assert s.total == 4 and s.counts[-2:] == (1, 3)
    assert describe([s], DAYS).endswith("migration: 4 stories, most on Feb 11 (3).")
    table = trend_table(counts, DAYS, ["migration"], caption="Stories")
    root = ElementTree.fromstring(table)
    rows = root.findall("./tbody/tr")
    assert len(rows) == 30
    assert rows[0].find("th/time").text == "2026-02-11" and rows[0].find("td").text == "3"
    assert root.find("caption").text == "Stories"
