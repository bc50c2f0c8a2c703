"""parse_feed on small fixtures of every kind (golden files) and on bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.errors import NotAFeedError, SourceError
from digests.models import Article
from digests.sources.feeds import parse_feed, repair_xml

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
FEED_URL = "https://feeds.example.com/x/feed"


def as_golden(article: Article) -> dict[str, object]:
    return {
        "title": article.title,
        "url": article.url,
        "body": article.body,
        "source": article.source,
        "published": article.published.isoformat() if article.published else None,
        "author": article.author,
        "guid": article.guid,
    }


@pytest.mark.parametrize("name", ["rss20.xml", "rss10.rdf", "atom.xml", "feed.json", "hostile.xml"])
def test_fixture_matches_golden(name: str) -> None:
    feed = parse_feed((DATA / name).read_bytes(), FEED_URL)
    expected = json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert feed.title == expected["title"]
    assert feed.link == expected["link"]
    assert [as_golden(a) for a in feed.articles] == expected["articles"]


def test_published_is_aware_utc_and_content_beats_description() -> None:
    first = parse_feed((DATA / "rss20.xml").read_bytes(), FEED_URL).articles[0]
    assert first.published == datetime(2026, 2, 17, 14, 20, 2, tzinfo=UTC)
    assert "90,000" in first.body and "Short summary" not in first.body
    assert first.url == "https://feeds.example.com/2026/02/asylum-backlog"  # made absolute


def test_source_name_overrides_feed_title() -> None:
    feed = parse_feed((DATA / "rss10.rdf").read_bytes(), FEED_URL, source_name="DW")
    assert {a.source for a in feed.articles} == {"DW"}


def test_hostile_html_is_reduced_to_text() -> None:
    (article,) = parse_feed((DATA / "hostile.xml").read_bytes(), FEED_URL).articles
    for bad in (
        "alert",
        "script",
        "stolen",
        "display:none",
        "onerror",
        "onclick",
        "iframe",
        "no script text",
        "javascript:",
    ):
        assert bad not in article.title + article.body + article.url
    assert article.title == "Breaking news"
    assert article.body.startswith("Safe & sound")


def test_json_feed_skips_non_objects_and_uses_feed_author() -> None:
    feed = parse_feed((DATA / "feed.json").read_bytes(), FEED_URL)
    assert len(feed.articles) == 2
    assert feed.articles[1].author == "Desk Editor"
    assert "steal" not in feed.articles[0].body


def test_broken_xml_declaration_and_rss_prefix_are_repaired() -> None:
    data = (
        b'<!-- note: <?xml inside a comment --> \n<?xml?xml version="1.0" encoding="UTF-8" ??>\n'
        b"<rss rss:version=2.0><rss:channel><rss:title>T</rss:title>"
        b"<rss:item><rss:title>One</rss:title><rss:link>https://a.example/1</rss:link>"
        b"</rss:item></rss:channel></rss>"
    )
    repaired = repair_xml(data)
    assert repaired.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b"<!-- note: <?xml inside a comment -->" in repaired
    feed = parse_feed(data, FEED_URL)
    assert [(a.title, a.url) for a in feed.articles] == [("One", "https://a.example/1")]


def test_good_declaration_left_alone() -> None:
    data = (DATA / "rss20.xml").read_bytes()
    assert repair_xml(data) == data


def test_empty_feed_is_not_an_error() -> None:
    feed = parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', FEED_URL)
    assert feed.title == "Quiet" and feed.articles == ()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty document"),
        (b"  \n\t", "empty document"),
        (b"<!DOCTYPE html><html><head><title>Hi</title></head><body>x</body></html>", "HTML page"),
        (b"<!-- c -->\n<html lang=en><body><p>page</p></body></html>", "HTML page"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary data"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>', "malformed feed"),
        (b"<note><to>x</to></note>", "not an RSS, Atom or JSON feed"),
        (b'{"items": [', "malformed JSON"),
        (b'{"name": "not a feed"}', "not a JSON Feed"),
    ],
)
def test_bad_input_gives_one_line_source_error(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_feed(data, FEED_URL)
    assert reason in info.value.reason
    assert info.value.source == FEED_URL
    assert "\n" not in str(info.value)


def _cut(data: bytes, before: bytes, keep: int = 0) -> bytes:
    """``data`` cut off just before the last ``before``, keeping ``keep`` bytes of it."""
    at = data.rindex(before)
    return data[: at + keep]


@pytest.mark.parametrize(
    ("data", "root"),
    [
        (b"<rss><channel><item><title>x</title>", "rss"),
        (_cut((DATA / "rss20.xml").read_bytes(), b"</channel>", keep=7), "rss"),  # "</chann"
        (_cut((DATA / "rss20.xml").read_bytes(), b"</item>"), "rss"),  # mid-item
        (_cut((DATA / "atom.xml").read_bytes(), b"</entry>") + b"\n", "feed"),
        (_cut((DATA / "rss10.rdf").read_bytes(), b"</rdf:RDF>", keep=4), "rdf:RDF"),
        (_cut((DATA / "rss20.xml").read_bytes(), b"</rss>", keep=3), "rss"),  # "</r"
        ('<rss version="2.0"><channel><item><title>Grüße</title>'.encode("utf-16"), "rss"),
        # comments, declaration repair and rss: prefixes do not hide a missing end
        (b"<!-- c -->\n<?xml?xml version='1.0'??>\n<rss><rss:channel><rss:item>", "rss"),
    ],
)
def test_truncated_feed_fails_whole(data: bytes, root: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_feed(data, FEED_URL)
    assert info.value.reason == f"malformed feed: truncated (no closing </{root}>)"


@pytest.mark.parametrize(
    "data",
    [
        # not well-formed, but complete: read leniently as before
        b'<rss version="2.0"><channel><item><title>A & B</title>'
        b"<link>https://a.example/1?x=1&y=2</link></item></channel></rss>",
        b'<rss version="2.0"><channel><item><title>A &nbsp;&bogus; B</title>'
        b"<link>https://a.example/1</link></item></channel></rss>\n\n",
        # the closing tag followed by comments, a PI, whitespace, NUL padding
        b'<rss version="2.0"><channel><item><title>A & B</title>'
        b"<link>https://a.example/1</link></item></channel></rss >\n<!-- 0.2s -->\n<?pi x?>\0\0",
        # only the final ">" missing: every item is whole
        b'<rss version="2.0"><channel><item><title>A & B</title>'
        b"<link>https://a.example/1</link></item></channel></rss",
        # junk after the closing tag (an injected script) is not a cut-off download
        b'<rss version="2.0"><channel><item><title>A &amp; B</title>'
        b"<link>https://a.example/1</link></item></channel></rss><script>track()</script>",
    ],
)
def test_broken_but_complete_feed_is_still_read(data: bytes) -> None:
    (article,) = parse_feed(data, FEED_URL).articles
    assert article.url.startswith("https://a.example/1")
    assert article.title.startswith("A")


def test_truncated_html_is_not_called_a_truncated_feed() -> None:
    with pytest.raises(SourceError, match="HTML page"):
        parse_feed(b"<!DOCTYPE html><html><head><title>Hi</title></head><body><p>x", FEED_URL)


def test_where_first_published_footer_is_not_part_of_the_body() -> None:
    """WordPress's "The post ... appeared first on ..." last paragraph is dropped (from the
    content or the description); the same words inside the article are kept."""
    footer = "<p>The post <a href='https://e.com/x'>Port strike ends</a> appeared first on " \
             "<a href='https://e.com'>E News</a>.</p>"
    inside = "<p>The post office said the strike appeared first on Monday in Leeds.</p>"
    rss = (
        '<rss version="2.0"><channel><title>E</title>'
        "<item><title>Port strike ends</title><link>https://e.com/x</link>"
        f"<description><![CDATA[<p>Dock workers went back on Friday.</p>{footer}]]></description>"
        "</item><item><title>Mail</title><link>https://e.com/y</link>"
        f"<description><![CDATA[{inside}<p>More later.</p>]]></description></item>"
        "<item><title>Only</title><link>https://e.com/z</link>"
        "<description>This article was originally published on E News.</description></item>"
        "</channel></rss>"
    ).encode()
    first, second, third = parse_feed(rss, "https://e.com/feed").articles
    assert first.body == "Dock workers went back on Friday."
    assert second.body.startswith("The post office said the strike appeared first on Monday")
    assert third.body == ""


def test_a_page_that_names_its_feed_says_so() -> None:
    page = (
        b"<!doctype html><html><head><title>World</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head>'
        b"<body>News</body></html>"
    )
    with pytest.raises(NotAFeedError) as caught:
        parse_feed(page, "https://e.com/world")
    assert caught.value.feed_links == ("https://e.com/feed.xml",)
    assert caught.value.reason == (
        "is an HTML page, not a feed (it names the feed https://e.com/feed.xml)"
    )
    with pytest.raises(NotAFeedError) as plain:
        parse_feed(b"<!doctype html><html><body>x</body></html>", "https://e.com/")
    assert (plain.value.reason, plain.value.feed_links) == ("is an HTML page, not a feed", ())


MEDIA_RSS = (
    b'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>M</title>'
    b"<item><title>Talks drag on</title><link>https://m.com/1</link>"
    b"<description>Peace talks dragged on for a year.</description>"
    b'<media:content url="https://m.com/1.jpg" medium="image">'
    b"<media:title>Photo</media:title>"
    b"<media:description>A building struck by a missile in August.</media:description>"
    b"</media:content></item>"
    b"<item><title>Caption first</title><link>https://m.com/2</link>"
    b"<media:description>A harbour at dawn.</media:description>"
    b"<description>Dock workers went back on Friday.</description></item>"
    b"<item><title>A video</title><link>https://m.com/3</link><media:group>"
    b"<media:description>The only text this item has.</media:description></media:group></item>"
    b"</channel></rss>"
)


def test_a_photo_caption_never_replaces_the_description() -> None:
    """feedparser files <media:description> as the item's description (feedparser#53), so a
    caption became the body of whole feeds; it is used only when the item has no other text."""
    talks, caption_first, video = parse_feed(MEDIA_RSS, "https://m.com/feed").articles
    assert talks.title == "Talks drag on"
    assert talks.body == "Peace talks dragged on for a year."
    assert caption_first.body == "Dock workers went back on Friday."
    assert video.body == "The only text this item has."


def test_character_references_in_plain_text_are_decoded() -> None:
    """Blogger's text summaries carry ``&nbsp;`` and ``&quot;`` escaped once too often; as
    plain text they would show as such in every digest. Paragraphs stay apart."""
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>B</title>'
        b"<entry><title>Perfume</title><link href='https://b.com/1'/><id>1</id>"
        b"<updated>2025-11-02T00:43:00Z</updated>"
        b'<summary type="text">As himself (R).&amp;nbsp;&amp;nbsp;Thirteen is '
        b"&amp;quot;lucky&amp;quot;.\n\nA second paragraph &amp;amp; more.</summary></entry>"
        b"<entry><title>Tags</title><link href='https://b.com/2'/><id>2</id>"
        b"<updated>2025-11-02T00:43:00Z</updated>"
        b'<summary type="text">&amp;lt;p&amp;gt;Escaped &amp;lt;b&amp;gt;HTML&amp;lt;/b&amp;gt;'
        b"&amp;lt;/p&amp;gt;</summary></entry></feed>"
    )
    first, second = parse_feed(atom, "https://b.com/feed").articles
    assert first.body == 'As himself (R). Thirteen is "lucky".\n\nA second paragraph & more.'
    assert second.body == "Escaped HTML"
