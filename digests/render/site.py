"""The archive site's pages as HTML strings: pure, values in, markup out.

The same functions serve the live site (``bot/archive_site.py``) and the static copy
(``digestbot archive build``); only ``Links`` differs: absolute paths on the server, relative
``.html`` paths in files so the copy can be hosted under any path or opened from disk.

Every piece of feed text goes through ``html.escape``; only http, https and file URLs become
``href``s (``safe_url``), so a ``javascript:`` link is shown as text. Pages use one external
stylesheet, no scripts, no fonts, and landmarks (header, nav, main, footer) with one ``<h1>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html import escape
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from digests.models import Digest
from digests.render._text import heading, iso, one_line, safe_url, stamp, story_count
from digests.render.html import LINK_SCHEMES, render_fragment
from digests.store.types import ArchivedDigest, SearchHit

SITE_NAME = "digestbot archive"
STATIC_CSP = "script-src 'none'; object-src 'none'; base-uri 'none'"  # as <meta> in files
_MARK = re.compile(r"\*\*(.+?)\*\*")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Links:
    """Where the site's pages are, seen from the page being rendered.

    ``root`` leads from that page to the site's root: ``"/"`` on the server, ``""``,
    ``"../"`` or ``"../../"`` in the static copy. ``static``: ``.html`` file names, no search.
    """

    root: str = "/"
    static: bool = False

    def at(self, root: str) -> Links:
        return replace(self, root=root)

    def home(self) -> str:
        return f"{self.root}index.html" if self.static else self.root or "./"

    def topic(self, topic: str, page: int = 1) -> str:
        base = f"{self.root}digests/{_segment(topic)}"
        if self.static:
            return f"{base}/index.html" if page <= 1 else f"{base}/page-{page}.html"
        return base if page <= 1 else f"{base}?page={page}"

    def digest(self, topic: str, digest_id: int) -> str:
        suffix = ".html" if self.static else ""
        return f"{self.root}digests/{_segment(topic)}/{digest_id}{suffix}"

    def search(self, query: str = "", topic: str | None = None) -> str | None:
        """The search page, or None in the static copy (it has no server to search)."""
        if self.static:
            return None
        params = {k: v for k, v in (("q", query), ("topic", topic or "")) if v}
        return f"{self.root}search" + (f"?{urlencode(params)}" if params else "")

    def css(self) -> str:
        return f"{self.root}static/site.css"


@dataclass(frozen=True)
class TopicOverview:
    """A topic on the home page: its name, what it covers, its latest archived digests."""

    name: str
    description: str = ""
    latest: tuple[ArchivedDigest, ...] = ()


# --- pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartParts:
    """The trend chart's markup (``digests.render.chart``): picture, legend, data table."""

    svg: str
    legend: str = ""
    table: str = ""


def index_page(
    topics: Sequence[TopicOverview],
    chart: ChartParts,
    links: Links,
    *,
    generated: datetime | None = None,
) -> str:
    """Home: the trend chart, then each topic with its latest digests."""
    body = [
        "<h1>News digests</h1>",
        _search_form(links, "", None, [t.name for t in topics], compact=True),
        '<section aria-labelledby="trend-heading">',
        '<h2 id="trend-heading">Trend</h2>',
        f'<figure class="chart">{chart.legend}{chart.svg}'
        "<figcaption>Stories per topic per day; a story told by several sources counts "
        "once.</figcaption></figure>",
        f"<details><summary>The chart as a table</summary>{chart.table}</details>",
        "</section>",
        '<section aria-labelledby="topics-heading">',
        '<h2 id="topics-heading">Topics</h2>',
    ]
    if not topics:
        body.append("<p>No topics configured.</p>")
    for overview in topics:
        body.append(_topic_card(overview, links))
    body.append("</section>")
    return _page("News digests", "\n".join(body), links, generated=generated)


def topic_page(
    topic: str,
    description: str,
    digests: Sequence[ArchivedDigest],
    links: Links,
    *,
    page: int = 1,
    has_next: bool = False,
    generated: datetime | None = None,
) -> str:
    """One topic's archived digests, newest first, one page of them."""
    name = _title_case(topic)
    body = [
        _breadcrumbs(links, [(name, None)]),
        f"<h1>{_text(name)} digests</h1>",
    ]
    if description:
        body.append(f'<p class="lede">{_text(description)}</p>')
    if digests:
        body.append(_digest_list(digests, links))
    elif page <= 1:
        body.append("<p>No digests archived for this topic yet.</p>")
    body.append(_pager(topic, page, has_next, links))
    title = f"{name} digests" + (f" (page {page})" if page > 1 else "")
    return _page(title, "\n".join(body), links, generated=generated)


def digest_page(
    archived: ArchivedDigest, digest: Digest, links: Links, *, generated: datetime | None = None
) -> str:
    """One archived digest: every story with summary, key facts and sources, and its window."""
    name = _title_case(archived.topic)
    shown = replace(digest, archive_url=None)  # the page is the archive: no link to itself
    window = (
        f'<time datetime="{iso(digest.since)}">{stamp(digest.since)}</time> to '
        f'<time datetime="{iso(digest.until)}">{stamp(digest.until)}</time>'
    )
    body = [
        _breadcrumbs(links, [(name, links.topic(archived.topic)), (_when(archived), None)]),
        render_fragment(shown),
        '<footer class="digest-meta">',
        f"<p>Time window: {window} (last {_text(digest.window)}). "
        f'Archived <time datetime="{iso(archived.created_at)}">{_when(archived)}</time>.</p>',
        f'<p><a href="{escape(links.topic(archived.topic))}">All {_text(name)} digests</a></p>',
        "</footer>",
    ]
    title = f"{heading(digest)}, {_when(archived)}"
    return _page(title, "\n".join(body), links, generated=generated)


def search_page(
    query: str,
    topic: str | None,
    topics: Sequence[str],
    hits: Sequence[SearchHit],
    links: Links,
    *,
    error: str = "",
) -> str:
    """The search form and, for a query, its ranked results with snippets."""
    body = ["<h1>Search</h1>", _search_form(links, query, topic, topics)]
    if error:
        body.append(f'<p class="error" role="alert">{_text(error)}</p>')
    elif query.strip():
        where = f" in {_text(topic)}" if topic else ""
        found = f"{len(hits)} result{'' if len(hits) == 1 else 's'}"
        body.append(f'<p class="meta" role="status">{found} for “{_text(query)}”{where}.</p>')
        if hits:
            body.append('<ol class="results">')
            body += [_hit(hit) for hit in hits]
            body.append("</ol>")
    title = f"Search: {one_line(query)}" if query.strip() else "Search"
    return _page(title, "\n".join(body), links)


def message_page(title: str, message: str, links: Links) -> str:
    """A small page for 404s, refusals and errors."""
    body = f"<h1>{_text(title)}</h1>\n<p>{_text(message)}</p>\n" + (
        f'<p><a href="{escape(links.home())}">Back to the archive</a></p>'
    )
    return _page(title, body, links)


# --- parts -----------------------------------------------------------------------------------


def _page(title: str, body: str, links: Links, *, generated: datetime | None = None) -> str:
    csp = f'<meta http-equiv="Content-Security-Policy" content="{STATIC_CSP}">\n'
    footer = f"Generated {stamp(generated)}. " if generated else ""
    search = links.search()
    nav = [f'<a href="{escape(links.home())}">Topics</a>']
    if search is not None:
        nav.append(f'<a href="{escape(search)}">Search</a>')
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"{csp if links.static else ''}"
        f"<title>{_text(title)} · {SITE_NAME}</title>\n"
        f'<link rel="stylesheet" href="{escape(links.css())}">\n'
        '<link rel="icon" href="data:,">\n'  # no favicon request per page
        "</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to content</a>\n'
        '<header class="site">'
        f'<a class="brand" href="{escape(links.home())}">{SITE_NAME}</a>'
        f'<nav aria-label="Site">{" ".join(nav)}</nav></header>\n'
        f'<main id="main">\n{body}\n</main>\n'
        f'<footer class="site"><p>{footer}Read-only archive of the digests digestbot '
        "posted. Story text comes from the feeds and is shown as plain text.</p></footer>\n"
        "</body>\n</html>\n"
    )


def _topic_card(overview: TopicOverview, links: Links) -> str:
    name = _title_case(overview.name)
    heading_id = f"topic-{_segment(overview.name)}"
    parts = [
        f'<article class="topic" aria-labelledby="{escape(heading_id)}">',
        f'<h3 id="{escape(heading_id)}"><a href="{escape(links.topic(overview.name))}">'
        f"{_text(name)}</a></h3>",
    ]
    if overview.description:
        parts.append(f'<p class="meta">{_text(overview.description)}</p>')
    if overview.latest:
        parts.append(_digest_list(overview.latest, links))
        parts.append(
            f'<p><a href="{escape(links.topic(overview.name))}">All {_text(name)} digests</a></p>'
        )
    else:
        parts.append("<p>No digests archived yet.</p>")
    parts.append("</article>")
    return "\n".join(parts)


def _digest_list(digests: Sequence[ArchivedDigest], links: Links) -> str:
    items = []
    for archived in digests:
        count, window, lead = payload_facts(archived.payload)
        facts = [story_count(count) if count else "no stories"]
        if window:
            facts.append(f"last {window}")
        teaser = f'<br><span class="teaser">{_text(lead)}</span>' if lead else ""
        items.append(
            f'<li><a href="{escape(links.digest(archived.topic, archived.id))}">'
            f'<time datetime="{iso(archived.created_at)}">{_when(archived)}</time></a> '
            f'<span class="meta">· {_text(" · ".join(facts))}</span>{teaser}</li>'
        )
    return f'<ul class="digests">{"".join(items)}</ul>'


def _pager(topic: str, page: int, has_next: bool, links: Links) -> str:
    if page <= 1 and not has_next:
        return ""
    parts = ['<nav class="pager" aria-label="Pages">']
    if page > 1:
        parts.append(f'<a rel="prev" href="{escape(links.topic(topic, page - 1))}">← Newer</a>')
    parts.append(f'<span aria-current="page">Page {page}</span>')
    if has_next:
        parts.append(f'<a rel="next" href="{escape(links.topic(topic, page + 1))}">Older →</a>')
    parts.append("</nav>")
    return " ".join(parts)


def _breadcrumbs(links: Links, trail: Sequence[tuple[str, str | None]]) -> str:
    items = [f'<li><a href="{escape(links.home())}">Topics</a></li>']
    for label, href in trail:
        if href is None:
            items.append(f'<li aria-current="page">{_text(label)}</li>')
        else:
            items.append(f'<li><a href="{escape(href)}">{_text(label)}</a></li>')
    return f'<nav class="crumbs" aria-label="Breadcrumb"><ol>{"".join(items)}</ol></nav>'


def _search_form(
    links: Links, query: str, topic: str | None, topics: Sequence[str], *, compact: bool = False
) -> str:
    action = links.search()
    if action is None:
        return ""
    options = ['<option value="">All topics</option>'] + [
        f'<option value="{escape(name)}"{" selected" if name == topic else ""}>'
        f"{_text(_title_case(name))}</option>"
        for name in topics
    ]
    return (
        f'<form class="search{" compact" if compact else ""}" role="search" method="get" '
        f'action="{escape(action)}">'
        '<label for="q">Search stories</label>'
        f'<input id="q" name="q" type="search" value="{escape(query)}" maxlength="500" '
        'placeholder="Search stories" '
        "required>"
        '<label for="topic">Topic</label>'
        f'<select id="topic" name="topic">{"".join(options)}</select>'
        '<button type="submit">Search</button></form>'
    )


def _hit(hit: SearchHit) -> str:
    article = hit.article
    target = safe_url(article.url, LINK_SCHEMES)
    title = _text(article.title) or "(untitled)"
    link = (
        f'<a href="{escape(target)}" rel="noopener noreferrer nofollow">{title}</a>'
        if target
        else title
    )
    topics = ", ".join(_title_case(t.topic) for t in article.topics if t.member)
    meta = [one_line(article.source), stamp(article.published)]
    if topics:
        meta.append(topics)
    return (
        f'<li class="hit"><h2>{link}</h2>'
        f'<p class="snippet">{highlight(hit.snippet)}</p>'
        f'<p class="meta">{_text(" · ".join(m for m in meta if m))}</p></li>'
    )


def highlight(snippet: str) -> str:
    """The store's snippet escaped, its ``**word**`` marks turned into ``<mark>``."""
    return _MARK.sub(r"<mark>\1</mark>", _text(snippet))


def payload_facts(payload: Mapping[str, Any]) -> tuple[int, str, str]:
    """(stories, window, first story's title) read defensively from a stored digest payload."""
    items = payload.get("items")
    items = items if isinstance(items, list) else []
    window = payload.get("window")
    lead = items[0].get("title") if items and isinstance(items[0], dict) else None
    return (
        len(items),
        window if isinstance(window, str) else "",
        lead if isinstance(lead, str) else "",
    )


def _when(archived: ArchivedDigest) -> str:
    """ "Tue 2026-02-10 08:00 UTC": the weekday helps "what did it say last Tuesday"."""
    moment = archived.created_at.astimezone(UTC)
    return f"{_WEEKDAYS[moment.weekday()]} {stamp(moment)}"


def _title_case(topic: str) -> str:
    name = one_line(topic)
    return name[:1].upper() + name[1:]


def _segment(topic: str) -> str:
    return quote(topic, safe="")


def _text(text: str) -> str:
    return escape(one_line(text))


def stylesheet() -> str:
    """The site's one stylesheet (``static/site.css``, shipped as package data)."""
    return resources.files("digests.render").joinpath("static", "site.css").read_text("utf-8")
