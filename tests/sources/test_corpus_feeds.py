"""Every real feed under ../shared/corpus/feeds parses or fails with a one-line SourceError."""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path

import pytest

from digests.errors import SourceError
from digests.models import Article
from digests.sources.feeds import ParsedFeed, parse_feed
from digests.sources.files import read_local

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "feeds"
FEED_URL = "https://corpus.example/feed"

pytestmark = pytest.mark.corpus


def corpus_dir(name: str) -> Path:
    folder = CORPUS / name
    if not folder.is_dir():
        pytest.skip(f"corpus folder {folder} not present")
    return folder


def feed_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith("LICENSE") and ".expected." not in p.name
    )


@functools.cache
def outcomes(name: str) -> dict[str, ParsedFeed | Exception]:
    """Each file's parse (or the exception it raised), computed once per test session."""
    results: dict[str, ParsedFeed | Exception] = {}
    for path in feed_files(corpus_dir(name)):
        try:
            results[str(path.relative_to(CORPUS))] = parse_feed(path.read_bytes(), FEED_URL)
        except Exception as e:  # the point of the tests: record anything that escapes
            results[str(path.relative_to(CORPUS))] = e
    return results


@pytest.mark.parametrize("name", ["news", "odd", "expected", "feedparser-tests"])
def test_every_file_parses_or_fails_cleanly(name: str) -> None:
    results = outcomes(name)
    assert results
    crashes = [
        f"{k}: {type(v).__name__}: {v}"
        for k, v in results.items()
        if isinstance(v, Exception) and not isinstance(v, SourceError)
    ]
    multi_line = [
        k
        for k, v in results.items()
        if isinstance(v, SourceError) and ("\n" in str(v) or not v.reason)
    ]
    assert crashes == []
    assert multi_line == []
    parsed = sum(isinstance(v, ParsedFeed) for v in results.values())
    assert parsed > len(results) // 2


def test_news_feeds_all_give_articles() -> None:
    for name, feed in outcomes("news").items():
        assert isinstance(feed, ParsedFeed), name
        assert feed.articles, name
        for article in feed.articles:
            assert article.title and article.url.startswith("http"), name
            assert article.published is None or article.published.utcoffset() is not None
            assert "<p>" not in article.body and "<script" not in article.body


def test_odd_feeds_all_give_articles() -> None:
    counts = {
        Path(k).name.split("__")[0]: len(v.articles) if isinstance(v, ParsedFeed) else 0
        for k, v in outcomes("odd").items()
    }
    assert all(counts.values()), counts
    assert counts["rss_prefixed_elements_xmldecl_broken"] == 35
    assert counts["jsonfeed_humanwhocodes"] == 10


def test_odd_folder_reads_without_suffixes_as_with_them() -> None:
    """The odd/ files have no suffix (``large_1.2MB_feed__01b5...``): sniffed, they read alike."""
    folder = corpus_dir("odd")
    result = read_local(folder)
    assert result.failures == []
    by_feed = {Path(k).name: v for k, v in outcomes("odd").items()}
    expected = [a.title for name in sorted(by_feed) for a in _articles(by_feed[name])]
    assert [a.title for a in result.articles] == expected
    assert len(expected) == 183


def _articles(outcome: ParsedFeed | Exception) -> tuple[Article, ...]:
    assert isinstance(outcome, ParsedFeed), outcome
    return outcome.articles


@pytest.mark.parametrize("name", ["news", "odd", "expected", "feedparser-tests"])
def test_only_really_truncated_files_fail_as_truncated(name: str) -> None:
    """A "truncated" failure only where the file lacks its root's closing tag altogether."""
    truncated = {
        k: v.reason
        for k, v in outcomes(name).items()
        if isinstance(v, SourceError) and "truncated" in v.reason
    }
    for key, reason in truncated.items():
        root = reason.split("</")[1].rstrip(">)")
        assert f"</{root}".encode() not in (CORPUS / key).read_bytes(), key
    assert len(truncated) <= {"expected": 1, "feedparser-tests": 1}.get(name, 0), truncated


def test_jsonfeed_double_escaped_html_is_decoded() -> None:
    path = next(corpus_dir("odd").glob("jsonfeed_*"))
    first = parse_feed(path.read_bytes(), FEED_URL).articles[0]
    assert first.title == "Using your own Supabase signing keys"
    assert first.body.startswith("Supabase uses JWT signing keys")
    assert "&lt;" not in first.body and "<a " not in first.body


def test_expected_parses_agree_on_title_link_and_date() -> None:
    folder = corpus_dir("expected")
    for expected_path in sorted(folder.glob("*.expected.json")):
        stem = expected_path.name.removesuffix(".expected.json")
        (source,) = [p for p in folder.glob(f"{stem}.*") if p != expected_path]
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        if stem == "osm-pl":  # cut off mid-item: its parse here is a clean failure instead
            with pytest.raises(SourceError, match=r"truncated \(no closing </rss>\)"):
                parse_feed(source.read_bytes(), FEED_URL)
            continue
        feed = parse_feed(source.read_bytes(), FEED_URL)
        assert len(feed.articles) == len(expected["entries"]), stem
        for article, entry in zip(feed.articles, expected["entries"], strict=True):
            assert article.title == " ".join(html.unescape(entry["title"] or "").split()), stem
            assert article.url == entry["link"], stem
            got = article.published.isoformat() if article.published else None
            assert got == entry.get("published"), stem


def test_no_body_is_a_photo_caption() -> None:
    """The New York Times and ABC News items carry a <description> and a photo's
    <media:description>: the body is the description (the caption used to win)."""
    found = 0
    for path in feed_files(corpus_dir("news")):
        data = path.read_bytes()
        if b"<media:description" not in data:
            continue
        parsed = outcomes("news")[str(path.relative_to(CORPUS))]
        assert isinstance(parsed, ParsedFeed)
        captions = {
            html.unescape(c).strip()
            for c in re.findall(r"<media:description[^>]*>(.*?)</media:description>",
                                data.decode("utf-8", "replace"), re.S)
        }
        for article in parsed.articles:
            found += 1
            assert article.body not in captions, (path.name, article.title)
    assert found >= 60
