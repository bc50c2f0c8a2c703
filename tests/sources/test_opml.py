"""OPML in and out, and hostile OPML refused."""

from __future__ import annotations

import pytest

from digests.errors import SourceError
from digests.sources.opml import OpmlFeed, parse_opml, write_opml

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Reader export</title></head>
  <body>
    <outline text="News">
      <outline text="BBC World" type="rss" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
      <outline text="Deeper">
        <outline title="DW" text="dw" xmlurl="https://rss.dw.com/rdf/rss-en-all"/>
      </outline>
    </outline>
    <outline text="No feed here" htmlUrl="https://example.com/"/>
    <outline text="BBC again" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
    <outline xmlUrl="https://untitled.example/feed"/>
  </body>
</opml>"""


def test_nested_outlines() -> None:
    assert parse_opml(NESTED) == [
        OpmlFeed("BBC World", "https://feeds.bbci.co.uk/news/world/rss.xml"),
        OpmlFeed("DW", "https://rss.dw.com/rdf/rss-en-all"),
        OpmlFeed("https://untitled.example/feed", "https://untitled.example/feed"),
    ]


def test_round_trip_with_awkward_characters() -> None:
    feeds = [
        OpmlFeed('Tom & Jerry\'s "news" <daily>', "https://a.example/feed?x=1&y=2"),
        OpmlFeed("Ünïcode – ok", "https://b.example/rss"),
    ]
    text = write_opml(feeds, "My <feeds> & more")
    assert "<title>My &lt;feeds&gt; &amp; more</title>" in text
    assert parse_opml(text.encode("utf-8")) == feeds


def test_external_entities_are_not_resolved() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<opml><body><outline text="&x;" xmlUrl="https://a.example/"/></body></opml>'
    )
    try:
        feeds = parse_opml(xxe)
    except SourceError as e:
        assert "\n" not in str(e)
    else:
        assert "root:" not in feeds[0].title


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty"), (b"<opml><body>", "malformed OPML"), (b"<rss/>", "not an OPML document")],
)
def test_bad_opml(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        parse_opml(data)
