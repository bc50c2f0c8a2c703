"""A digest as a small standalone HTML page, and as a fragment for the archive site.

Everything from a feed goes through ``html.escape``; only http, https and file URLs become
``href``s (a ``javascript:`` link stays text). The page has one inline stylesheet (light and
dark via ``prefers-color-scheme``), no scripts, no external fonts, and a Content-Security-Policy
that forbids scripts anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from digests.models import Digest, DigestItem
from digests.render._text import (
    DOCUMENT_SCHEMES,
    heading,
    iso,
    more_text,
    one_line,
    safe_url,
    source_label,
    stamp,
    story_count,
)

LINK_SCHEMES = DOCUMENT_SCHEMES  # what archive pages (site.py) link, too

STYLE = """\
:root{color-scheme:light dark;--fg:#1d1f23;--bg:#fdfdfc;--muted:#5d6470;
  --line:#e2e4e8;--accent:#0b57d0}
@media (prefers-color-scheme:dark){:root{--fg:#e6e7ea;--bg:#16181c;--muted:#a1a7b3;
  --line:#2c3038;--accent:#8ab4f8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
  font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:42rem;margin:0 auto;padding:1.25rem 1rem 3rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .25rem}
h2{font-size:1.125rem;line-height:1.35;margin:0 0 .4rem}
a{color:var(--accent);overflow-wrap:anywhere}
.meta,.sources,.more{color:var(--muted);font-size:.875rem}
.story{border-top:1px solid var(--line);padding:1rem 0}
.story p{margin:.25rem 0 .5rem}
.story ul{margin:.25rem 0 .5rem;padding-left:1.25rem}
.updated{font-size:.75rem;font-weight:600;border:1px solid currentColor;
  border-radius:.25rem;padding:0 .3rem;margin-left:.35rem;vertical-align:middle}
"""

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)


def render(d: Digest) -> str:
    """A complete page (``<!doctype html>`` to ``</html>``) that opens straight from disk."""
    return _page(heading(d), render_fragment(d))


def render_many(digests: Sequence[Digest]) -> str:
    """Several digests (every topic's) as one page, an ``<article>`` per digest."""
    topics = ", ".join(one_line(d.topic) for d in digests)
    return _page(
        f"News digests — {topics}",
        "\n".join(render_fragment(d) for d in digests),
        style=STYLE + _MANY_STYLE,
    )


_MANY_STYLE = ".digest+.digest{margin-top:2.5rem}\n"


def _page(title: str, body: str, *, style: str = STYLE) -> str:
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="referrer" content="no-referrer">',
            f"<title>{_text(title)}</title>",
            f"<style>\n{style}</style>",
            "</head>",
            "<body>",
            "<main>",
            body,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def render_fragment(d: Digest) -> str:
    """The digest as one ``<article class="digest">`` element, to embed in another page."""
    parts = [f'<article class="digest" data-topic="{_text(d.topic)}">', "<header>"]
    parts.append(f"<h1>{_text(heading(d))}</h1>")
    if d.description:
        parts.append(f'<p class="meta">{_text(d.description)}</p>')
    if not d.empty:
        parts.append(
            f'<p class="meta">{story_count(len(d.items))}, {_time(d.since)} to {_time(d.until)}</p>'
        )
    parts.append("</header>")
    if d.empty:
        parts.append(f"<p>{_text(d.empty_text())}</p>")
    parts += [_story(item) for item in d.items]
    if d.more:
        parts.append(f'<p class="more">{_text(more_text(d.more))}</p>')
    archive = safe_url(d.archive_url or "")
    if archive:
        parts.append(f'<p class="more"><a href="{escape(archive)}">View in archive</a></p>')
    parts.append("</article>")
    return "\n".join(parts)


def _story(item: DigestItem) -> str:
    updated = ' <span class="updated">updated</span>' if item.updated else ""
    parts = [
        f'<section class="story" id="story-{item.story_id}">',
        f"<h2>{_link(item.title, item.url)}{updated}</h2>",
    ]
    if item.summary:
        parts.append(f"<p>{_text(item.summary)}</p>")
    if item.key_facts:
        facts = "".join(f"<li>{_text(fact)}</li>" for fact in item.key_facts)
        parts.append(f'<ul class="facts">{facts}</ul>')
    links = " · ".join(_link(source_label(s), s.url, hint=s.title) for s in item.sources)
    parts.append(
        f'<p class="sources">Sources ({len(item.sources)}): {links} · {_time(item.published)}</p>'
    )
    parts.append("</section>")
    return "\n".join(parts)


def _text(text: str) -> str:
    return escape(one_line(text))


def _link(label: str, url: str, hint: str = "") -> str:
    """An ``<a>`` for a safe URL (``hint`` as its tooltip), else the label as plain text."""
    target = safe_url(url, DOCUMENT_SCHEMES)
    if target is None:
        return _text(label)
    title = f' title="{_text(hint)}"' if one_line(hint) and hint != label else ""
    return (
        f'<a href="{escape(target)}"{title} rel="noopener noreferrer nofollow">{_text(label)}</a>'
    )


def _time(moment: datetime) -> str:
    return f'<time datetime="{iso(moment)}">{stamp(moment)}</time>'
