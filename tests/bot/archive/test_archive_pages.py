"""The live archive over real HTTP: every page, pagination, 404s and escaping of feed text."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from bot.archive_site import PER_PAGE, archive_url
from digests.settings import Settings
from tests.bot.archive.conftest import (
    HOSTILE_FACT,
    HOSTILE_SUMMARY,
    HOSTILE_TITLE,
    SECURITY_DIGESTS,
)
from tests.bot.archive.htmlcheck import check


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str, Any]:
    async with http.get(url, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp.headers


async def test_home_shows_chart_topics_and_latest_digests(
    base: str, http: aiohttp.ClientSession, ids: dict[str, Any]
) -> None:
    status, body, headers = await get(http, f"{base}/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none' covers it
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    page = check(body)
    charts = [svg for svg in page.all("svg") if svg.get("role") == "img"]
    assert len(charts) == 1 and "trend-chart" in charts[0]["class"]
    assert "security (4)" in page.text and "drugs (0)" in page.text  # the legend
    # 3 security stories on Feb 10, 1 on Feb 5; 3 migration stories (one hostile) on Feb 11
    assert "security: 4 stories, most on Feb 10 (3)" in body
    assert "migration: 3 stories, most on Feb 11 (3)" in body
    assert "drugs: no stories" in body
    for name in ("Security", "Migration", "Drugs"):
        assert f">{name}</a></h3>" in body
    links = page.links()
    assert f"/digests/security/{ids['security'][0]}" in links
    assert f"/digests/migration/{ids['hostile']}" in links
    assert "/digests/security" in links
    assert "No digests archived yet." in body  # drugs has none
    assert page.all("table")  # the chart's data as a table
    assert page.all("form")[0]["action"] == "/search"


async def test_topic_pages_newest_first_twenty_per_page(
    base: str, http: aiohttp.ClientSession, ids: dict[str, Any]
) -> None:
    status, body, _ = await get(http, f"{base}/digests/security")
    assert status == 200
    page = check(body)
    listed = [int(m) for m in re.findall(r"/digests/security/(\d+)", " ".join(page.links()))]
    assert listed == ids["security"][:PER_PAGE]
    assert 'rel="next" href="/digests/security?page=2"' in body
    assert 'rel="prev"' not in body
    assert "Wed 2026-02-11 09:00 UTC" in body  # the weekday, for "what did it say on ..."
    assert "2 stories · last 24h" in page.text

    status, body, _ = await get(http, f"{base}/digests/security?page=2")
    assert status == 200
    page = check(body)
    rest = [int(m) for m in re.findall(r"/digests/security/(\d+)", " ".join(page.links()))]
    expected = [*ids["security"][PER_PAGE:], ids["broken"]]
    assert rest == expected and len(rest) == SECURITY_DIGESTS - PER_PAGE + 1
    assert 'rel="prev" href="/digests/security"' in body
    assert 'rel="next"' not in body


async def test_not_found_pages(base: str, http: aiohttp.ClientSession, ids: dict[str, Any]) -> None:
    security = ids["security"][0]
    for path in (
        "/digests/security?page=3",
        "/digests/security?page=0",
        "/digests/security?page=abc",
        "/digests/nosuchtopic",
        f"/digests/migration/{security}",  # an id of another topic
        "/digests/security/999999",
        "/digests/security/notanumber",
        "/digests/%3Cscript%3E",
    ):
        status, body, _ = await get(http, f"{base}{path}")
        assert status == 404, path
        page = check(body)
        assert page.all("h1") and "Not found" in page.text
        assert "<script>" not in body
    status, body, _ = await get(http, f"{base}/digests/drugs")
    assert status == 200  # configured, nothing archived yet
    assert "No digests archived for this topic yet." in body


async def test_digest_page_has_stories_facts_sources_and_window(
    base: str, http: aiohttp.ClientSession, ids: dict[str, Any]
) -> None:
    status, body, _ = await get(http, f"{base}/digests/security/{ids['security'][0]}")
    assert status == 200
    page = check(body)
    assert page.all("h1")
    for text in (
        "Security story 0",
        "Summary of security story 0.",
        "Key fact A of story 0.",
        "Key fact B of story 0.",
        "Second story 0",
        "Time window:",
        "2026-02-10 09:00 UTC to 2026-02-11 09:00 UTC",
    ):
        assert text in page.text, text
    links = page.links()
    for url in (
        "https://news.example/security/story-0",
        "https://news.example/a/0",
        "https://wire.example/b/0",
        "https://other.example/0",
        "/digests/security",
    ):
        assert url in links, url
    assert [t for t, _ in page.tags].count("time") >= 3


async def test_broken_archived_payload_is_a_small_error_page(
    base: str, http: aiohttp.ClientSession, ids: dict[str, Any]
) -> None:
    status, body, _ = await get(http, f"{base}/digests/security/{ids['broken']}")
    assert status == 500
    assert "This page could not be shown." in check(body).text
    assert "Traceback" not in body


async def test_hostile_feed_text_is_shown_as_text(
    base: str, http: aiohttp.ClientSession, ids: dict[str, Any]
) -> None:
    status, body, _ = await get(http, f"{base}/digests/migration/{ids['hostile']}")
    assert status == 200
    page = check(body)  # no script/img tags, no on* attributes, no javascript:/data: hrefs
    assert HOSTILE_TITLE in page.text
    assert HOSTILE_SUMMARY in page.text  # shown as the words it is, not as an image
    assert HOSTILE_FACT in page.text
    assert "&lt;script&gt;" in body
    assert "javascript:" not in " ".join(page.links())
    assert "https://safe.example/copy" in page.links()
    assert "View in archive" not in body  # the page is the archive; its stored link is dropped

    status, body, _ = await get(http, f"{base}/")
    check(body)
    assert "&lt;script&gt;" in body  # the hostile lead title on the home page, escaped


async def test_search_page(base: str, http: aiohttp.ClientSession) -> None:
    status, body, _ = await get(http, f"{base}/search")
    assert status == 200
    page = check(body)
    assert page.all("input")[0]["name"] == "q"
    assert not page.all("ol")

    status, body, _ = await get(http, f"{base}/search?q=ransomware+ministry")
    assert status == 200
    page = check(body)
    assert "Cyberattack on ministry" in page.text
    assert "https://news.example/security/1" in page.links()
    assert "<mark>" in body
    assert "1 result for “ransomware ministry”" in page.text

    status, body, _ = await get(http, f"{base}/search?q=ransomware&topic=migration")
    assert status == 200
    assert "0 results" in check(body).text

    status, body, _ = await get(http, f"{base}/search?q=smuggling")
    page = check(body)  # the hostile article: text, and its javascript: url not a link
    assert HOSTILE_TITLE in page.text
    assert "javascript:" not in " ".join(page.links())

    status, body, _ = await get(http, f"{base}/search?q=x&topic=%3Cscript%3E")
    assert status == 400
    page = check(body)
    assert "Unknown topic" in page.text and "<script>" not in body

    hostile_query = '"><script>alert(1)</script> NEAR( * ' + "x" * 5000
    status, body, _ = await get(http, f"{base}/search?q={aiohttp.helpers.quote(hostile_query)}")
    assert status == 200
    check(body)


async def test_stylesheet(base: str, http: aiohttp.ClientSession) -> None:
    status, body, headers = await get(http, f"{base}/static/site.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "prefers-color-scheme:dark" in body
    assert "@import" not in body and "url(" not in body  # no external fonts or files
    assert len(body) < 8000


async def test_pages_link_only_to_existing_pages(
    base: str, http: aiohttp.ClientSession, ids: dict[str, Any]
) -> None:
    """Crawl from / and every internal link answers 200 (the broken digest 500 aside)."""
    seen: set[str] = set()
    todo = ["/"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        status, body, _ = await get(http, f"{base}{path}")
        expected = 500 if path == f"/digests/security/{ids['broken']}" else 200
        assert status == expected, path
        if path.endswith(".css"):
            continue
        page = check(body)
        todo += [link for link in page.links() if link.startswith("/")]
        todo += [sheet["href"] for sheet in page.all("link") if sheet.get("rel") == "stylesheet"]
    assert "/static/site.css" in seen
    assert len(seen) >= 8


def test_archive_url() -> None:
    assert archive_url(Settings(), "security", 7) is None
    settings = Settings(public_url="https://news.example.org/archive/")
    assert archive_url(settings, "security", 7) == (
        "https://news.example.org/archive/digests/security/7"
    )
