"""The archive's trend chart: stories per topic per day as a server-rendered SVG, no JavaScript.

Pure: counts in, markup out. The SVG is meant to sit inline in a page, so its text and grid
take ``currentColor`` (the page's colour, light or dark) and only the series carry their topic
colour. Accessible: ``role="img"`` with a ``<title>`` and a ``<desc>`` that says in words what
the lines show, each series told apart by dash pattern as well as colour, and a ``<title>`` on
every point (a tooltip without script). ``trend_legend`` is the legend in HTML (so its text
stays readable when the picture shrinks on a phone) and ``trend_table`` the same data as a
table for readers who cannot use the picture. Only presentation attributes are used (no
``style``), so a strict Content-Security-Policy does not break it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from digests.render._text import one_line

WIDTH = 640
HEIGHT = 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 16, 14, 34  # plot margins, room for the axis labels
_PALETTE = ("#C0392B", "#2471A3", "#1E8449", "#B9770E", "#7D3C98", "#117A65")
_DASHES = ("", "7 4", "2 3", "10 3 2 3", "4 2", "1 2")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Counts = Mapping[str, Mapping[date, int]]


@dataclass(frozen=True)
class Series:
    """One topic's line: its daily counts over the chart's days, and how it is drawn."""

    topic: str
    counts: tuple[int, ...]
    color: str
    dash: str

    @property
    def total(self) -> int:
        return sum(self.counts)


def chart_days(last: date, days: int = 30) -> list[date]:
    """The ``days`` calendar days ending with ``last``, oldest first."""
    return [last - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def series(
    counts: Counts, days: Sequence[date], topics: Sequence[str], colors: Mapping[str, str]
) -> list[Series]:
    """One ``Series`` per topic, in ``topics`` order; days without stories count 0."""
    out = []
    for index, topic in enumerate(topics):
        per_day = counts.get(topic, {})
        color = colors.get(topic, "")
        out.append(
            Series(
                topic=topic,
                counts=tuple(max(0, int(per_day.get(day, 0))) for day in days),
                color=color if _COLOR.match(color) else _PALETTE[index % len(_PALETTE)],
                dash=_DASHES[index % len(_DASHES)],
            )
        )
    return out


def trend_chart(
    counts: Counts,
    days: Sequence[date],
    topics: Sequence[str],
    colors: Mapping[str, str] | None = None,
    *,
    id_prefix: str = "trend",
) -> str:
    """An inline ``<svg>`` line chart of ``counts`` (topic -> day -> stories) over ``days``."""
    lines = series(counts, days, topics, colors or {})
    top = _nice_top(max((c for s in lines for c in s.counts), default=0))
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" viewBox="0 0 {WIDTH} '
        f'{HEIGHT}" width="100%" role="img" aria-labelledby="{title_id} {desc_id}" '
        'font-family="system-ui, sans-serif" font-size="12" fill="currentColor">',
        f'<title id="{title_id}">{escape(chart_title(days))}</title>',
        f'<desc id="{desc_id}">{escape(describe(lines, days))}</desc>',
    ]
    parts += _axes(days, top)
    parts += [_line(s, days, top) for s in lines]
    if not any(s.total for s in lines):
        parts.append(
            f'<text x="{_LEFT + _plot_width() / 2:.0f}" y="{_TOP + _plot_height() / 2:.0f}" '
            'text-anchor="middle" fill-opacity="0.7">No stories in this period</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def chart_title(days: Sequence[date]) -> str:
    return f"Stories per topic per day, last {len(days)} days"


def describe(lines: Sequence[Series], days: Sequence[date]) -> str:
    """The chart in words, for screen readers: totals and the busiest day per topic."""
    if not days:
        return "No days to show."
    span = f"From {_label(days[0], year=True)} to {_label(days[-1], year=True)}."
    if not lines:
        return f"{span} No topics."
    said = []
    for s in lines:
        name = one_line(s.topic)
        if not s.total:
            said.append(f"{name}: no stories")
            continue
        peak = max(range(len(s.counts)), key=lambda i: (s.counts[i], i))
        said.append(f"{name}: {_stories(s.total)}, most on {_label(days[peak])} ({s.counts[peak]})")
    return f"{span} {'; '.join(said)}."


def trend_legend(
    counts: Counts,
    days: Sequence[date],
    topics: Sequence[str],
    colors: Mapping[str, str] | None = None,
) -> str:
    """The legend as HTML (text at the page's size, also on a phone): each topic's line sample
    (a decorative inline SVG, hidden from screen readers) and its name with its total."""
    items = []
    for s in series(counts, days, topics, colors or {}):
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        items.append(
            '<li><svg aria-hidden="true" focusable="false" width="28" height="10" '
            f'viewBox="0 0 28 10"><line x1="1" x2="27" y1="5" y2="5" stroke="{s.color}" '
            f'stroke-width="3"{dash}/></svg> {escape(one_line(s.topic))} ({s.total})</li>'
        )
    return f'<ul class="legend">{"".join(items)}</ul>'


def trend_table(
    counts: Counts, days: Sequence[date], topics: Sequence[str], *, caption: str = ""
) -> str:
    """The chart's data as an HTML table (one row per day, newest first; one column per topic)."""
    lines = series(counts, days, topics, {})
    head = "".join(f'<th scope="col">{escape(one_line(s.topic))}</th>' for s in lines)
    rows = []
    for i in range(len(days) - 1, -1, -1):
        cells = "".join(f"<td>{s.counts[i]}</td>" for s in lines)
        rows.append(
            f'<tr><th scope="row"><time datetime="{days[i].isoformat()}">'
            f"{days[i].isoformat()}</time></th>{cells}</tr>"
        )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (
        f'<table class="trend-table">{cap}<thead><tr><th scope="col">Day</th>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


# --- geometry ------------------------------------------------------------------------------


def _plot_width() -> int:
    return WIDTH - _LEFT - _RIGHT


def _plot_height() -> int:
    return HEIGHT - _TOP - _BOTTOM


def _x(index: int, count: int) -> float:
    if count <= 1:
        return _LEFT + _plot_width() / 2
    return _LEFT + _plot_width() * index / (count - 1)


def _y(value: int, top: int) -> float:
    return _TOP + _plot_height() * (1 - value / top)


def _nice_top(peak: int) -> int:
    """The y axis' top: at least 4, a multiple of a 1-2-5 step that gives at most 5 gridlines."""
    peak = max(peak, 4)
    step = _step(peak)
    return -(-peak // step) * step


def _step(top: int) -> int:
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if top / step <= 5:
                return step
        magnitude *= 10


def _axes(days: Sequence[date], top: int) -> list[str]:
    parts = ['<g class="axes" aria-hidden="true">']
    step = _step(top)
    for value in range(0, top + 1, step):
        y = _y(value, top)
        parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="currentColor" stroke-opacity="{0.45 if value == 0 else 0.15}"/>'
        )
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    baseline = HEIGHT - _BOTTOM + 18
    for i in _tick_indexes(len(days)):
        anchor = "start" if i == 0 and len(days) > 1 else "middle"
        if i == len(days) - 1 and len(days) > 1:
            anchor = "end"
        parts.append(
            f'<text x="{_x(i, len(days)):.1f}" y="{baseline}" text-anchor="{anchor}">'
            f"{_label(days[i])}</text>"
        )
    parts.append("</g>")
    return parts


def _tick_indexes(count: int) -> list[int]:
    """The last day and every 7th before it; the first day only when not crowded."""
    if count == 0:
        return []
    ticks = list(range(count - 1, -1, -7))
    if ticks[-1] >= 3:
        ticks.append(0)
    return sorted(ticks)


def _line(s: Series, days: Sequence[date], top: int) -> str:
    name = escape(one_line(s.topic))
    points = " ".join(f"{_x(i, len(days)):.1f},{_y(c, top):.1f}" for i, c in enumerate(s.counts))
    dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
    parts = [
        f'<g class="series" data-topic="{name}">',
        f"<title>{name}: {_stories(s.total)}</title>",
        f'<polyline points="{points}" fill="none" stroke="{s.color}" stroke-width="2.5" '
        f'stroke-linejoin="round"{dash}/>',
    ]
    for i, c in enumerate(s.counts):
        if c:
            parts.append(
                f'<circle cx="{_x(i, len(days)):.1f}" cy="{_y(c, top):.1f}" r="3.5" '
                f'fill="{s.color}"><title>{name}, {days[i].isoformat()}: '
                f"{_stories(c)}</title></circle>"
            )
    parts.append("</g>")
    return "\n".join(parts)


def _label(day: date, *, year: bool = False) -> str:
    text = f"{_MONTHS[day.month - 1]} {day.day}"
    return f"{text}, {day.year}" if year else text


def _stories(count: int) -> str:
    return f"{count} {'story' if count == 1 else 'stories'}"
