"""``digestbot ingest URL`` against a local HTTP server: errors are ``failed`` entries, fast."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.cli.conftest import Workdir
from tests.cli.harness import DATA, SAMPLES, Run, count_articles

Cli = Callable[..., Run]
MAX_BYTES = 200_000
CONFIG = f"""
fetch:
  connect_timeout: 1
  read_timeout: 0.5
  max_bytes: {MAX_BYTES}
"""


def _slow(_: Request) -> Response:
    time.sleep(1.5)
    return Response(DATA.joinpath("feed.xml").read_bytes(), content_type="application/rss+xml")


def _huge_stream(_: Request) -> Response:
    """50 MB of a feed-looking body, streamed without a Content-Length."""

    def body() -> Iterator[bytes]:
        yield b"<?xml version='1.0'?><rss><channel><title>big</title>"
        chunk = b"<!-- " + b"x" * 65_000 + b" -->"
        for _ in range(50_000_000 // len(chunk)):
            yield chunk

    return Response(body(), content_type="application/rss+xml")


@pytest.fixture(scope="module")
def threaded_server() -> Iterator[HTTPServer]:
    """Threaded, so a slow response still being written never delays the next request."""
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def served(threaded_server: HTTPServer) -> Iterator[HTTPServer]:
    httpserver = threaded_server
    httpserver.clear()
    feed = DATA.joinpath("feed.xml").read_bytes()
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed, content_type="application/rss+xml"
    )
    httpserver.expect_request("/gone.xml").respond_with_data("not here", status=404)
    httpserver.expect_request("/broken.xml").respond_with_data("oops", status=500)
    httpserver.expect_request("/slow.xml").respond_with_handler(_slow)
    httpserver.expect_request("/huge.xml").respond_with_handler(_huge_stream)
    httpserver.expect_request("/declared-huge.xml").respond_with_data(
        b"x" * (MAX_BYTES + 1), content_type="application/rss+xml"
    )
    httpserver.expect_request("/page.xml").respond_with_data(
        "<!doctype html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>",
        content_type="text/html",
    )
    yield httpserver
    httpserver.clear()


@pytest.mark.parametrize(
    ("path", "reason_word"),
    [
        ("/gone.xml", "404"),
        ("/broken.xml", "500"),
        ("/slow.xml", "timed out"),
        ("/huge.xml", "too large"),
        ("/declared-huge.xml", "too large"),
        ("/page.xml", "html"),
    ],
)
def test_bad_url_is_a_failed_entry(
    cli: Cli, workdir: Workdir, served: HTTPServer, path: str, reason_word: str
) -> None:
    config = workdir.write("small.yaml", CONFIG)
    assert cli("ingest", SAMPLES, "--config", config, "--json").json()["new"] == 1
    url = served.url_for(path)

    started = time.monotonic()
    run = cli("ingest", url, "--config", config, "--json")

    assert time.monotonic() - started < 10
    run.assert_clean_error(lines=1)
    report = run.json()
    assert report["new"] == 0
    assert [f["source"] for f in report["failed"]] == [url]
    assert reason_word in report["failed"][0]["error"].lower()
    assert count_articles(workdir.db_url) == 1


def test_good_and_bad_urls_together(cli: Cli, workdir: Workdir, served: HTTPServer) -> None:
    config = workdir.write("small.yaml", CONFIG)
    urls = [served.url_for(p) for p in ("/feed.xml", "/gone.xml", "/broken.xml")]

    run = cli("ingest", *urls, DATA / "articles", "--config", config, "--json")

    assert run.code == 0
    report = run.json()
    assert report["new"] == 5
    assert sorted(f["source"] for f in report["failed"]) == sorted(urls[1:])
    assert len(run.err_lines) == 2
    assert cli("ingest", urls[0], "--config", config, "--json").json()["new"] == 0
    assert count_articles(workdir.db_url) == 5


@pytest.mark.parametrize(
    ("retry_after", "said"),
    [
        ("120", "(retry after 120 s)"),
        ("604800", "(retry after 86400 s (capped from 604800 s))"),  # a week: a day at most
    ],
)
def test_a_retry_after_beyond_the_cap_says_it_was_capped(
    cli: Cli, workdir: Workdir, httpserver: HTTPServer, retry_after: str, said: str
) -> None:
    httpserver.expect_request("/busy.xml").respond_with_data(
        "busy", status=429, headers={"Retry-After": retry_after})
    url = httpserver.url_for("/busy.xml")
    run = cli("ingest", url, "--json")
    run.assert_clean_error(lines=1)
    [failed] = run.json()["failed"]
    assert failed["error"].endswith(f"HTTP 429 Too Many Requests {said}"), failed
    assert ("capped" in run.err) == ("capped" in said)
