"""Feed autodiscovery: the feeds a page announces with <link rel="alternate" type=...>."""

from __future__ import annotations

from digests.sources.discover import MAX_LINKS, feed_links

PAGE = "https://news.example.org/world/"


def _page(head: str) -> bytes:
    return f"<!doctype html><html><head>{head}</head><body><p>Hi</p></body></html>".encode()


def test_rss_and_atom_links_resolved_against_the_page_best_first() -> None:
    page = _page(
        '<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/7">'
        '<link rel="alternate" type="application/feed+json" href="feed.json">'
        '<link rel="stylesheet" type="text/css" href="/s.css">'
        '<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="/atom.xml">'
        '<link rel="alternate" type="application/rss+xml" href="https://cdn.example.org/rss">'
        '<link rel="alternate" hreflang="de" href="/de/">'
        '<link rel="alternate" type="application/rss+xml" href="https://cdn.example.org/rss">'
    )
    assert feed_links(page, PAGE) == (
        "https://cdn.example.org/rss",
        "https://news.example.org/atom.xml",
        "https://news.example.org/world/feed.json",
    )


def test_base_href_and_only_http_links() -> None:
    page = _page(
        '<base href="https://static.example.org/site/">'
        '<link rel="alternate" type="application/rss+xml" href="feed.xml">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
        '<link rel="alternate" type="application/rss+xml" href="file:///etc/passwd">'
    )
    assert feed_links(page, PAGE) == ("https://static.example.org/site/feed.xml",)


def test_no_feed_named_garbage_and_the_page_itself() -> None:
    assert feed_links(_page("<title>No feed</title>"), PAGE) == ()
    assert feed_links(b"", PAGE) == ()
    assert feed_links(b"\x00\xff\xfe binary", PAGE) == ()
    itself = _page(f'<link rel="alternate" type="application/rss+xml" href="{PAGE}">')
    assert feed_links(itself, PAGE) == ()


def test_at_most_a_few_links() -> None:
    head = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/f{i}.xml">' for i in range(20)
    )
    links = feed_links(_page(head), PAGE)
    assert len(links) == MAX_LINKS and links[0] == "https://news.example.org/f0.xml"
