"""canonical_url: the variants one article is reached by collapse to one form."""

from __future__ import annotations

import pytest

from digests.store import canonical_url

SAME = [
    "https://news.example.com/world/story-1",
    "HTTPS://News.Example.COM/world/story-1",
    "https://news.example.com:443/world/story-1",
    "https://news.example.com/world/story-1/",
    "https://news.example.com/world//story-1",
    "https://news.example.com/world/story-1#comments",
    "https://news.example.com/world/story-1?utm_source=rss&utm_medium=feed",
    "https://news.example.com/world/story-1?fbclid=abc&gclid=def",
    "https://news.example.com/world/story-1?mc_cid=1&mc_eid=2",
    "https://news.example.com/world/story-1?ref=rss&ref_src=twsrc",
    "  https://news.example.com/world/story-1  ",
]


@pytest.mark.parametrize("variant", SAME)
def test_variants_collapse(variant: str) -> None:
    assert canonical_url(variant) == "https://news.example.com/world/story-1"


def test_query_kept_and_sorted() -> None:
    a = canonical_url("http://e.com/a?b=2&a=1&utm_campaign=x")
    assert a == canonical_url("http://e.com/a?a=1&b=2")
    assert a == "http://e.com/a?a=1&b=2"


def test_meaningful_differences_stay() -> None:
    assert canonical_url("http://e.com/a?id=1") != canonical_url("http://e.com/a?id=2")
    assert canonical_url("http://e.com/a") != canonical_url("https://e.com/a")
    assert canonical_url("http://e.com:8080/a") == "http://e.com:8080/a"
    assert canonical_url("http://e.com/A") != canonical_url(
        "http://e.com/a"
    )  # paths are case-sensitive


def test_root_and_odd_inputs() -> None:
    assert canonical_url("https://e.com") == canonical_url("https://e.com/") == "https://e.com/"
    assert canonical_url("file:///tmp/a.txt") == "file:///tmp/a.txt"
    assert canonical_url("http://[::1]:8080/x/") == "http://[::1]:8080/x"
    assert canonical_url("not a url") == "not a url"
    assert canonical_url("http://e.com:notaport/") == "http://e.com:notaport/"


def test_an_item_fragment_is_kept_and_other_fragments_are_dropped() -> None:
    # The feed reader's URL for a link-less item: its fragment is the item's only identity.
    assert canonical_url("HTTPS://Feeds.Example.com/x.xml#item=42") == (
        "https://feeds.example.com/x.xml#item=42"
    )
    assert canonical_url("https://e.com/x.xml#item=1") != canonical_url("https://e.com/x.xml#item=2")
    assert canonical_url("https://e.com/story#comments") == "https://e.com/story"
