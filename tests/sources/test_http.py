"""fetch against a real local HTTP server (pytest-httpserver on localhost/127.0.0.1)."""

from __future__ import annotations

import gzip
import ipaddress
import threading
import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from digests.errors import HttpStatusError, SourceError
from digests.retry import MAX_RETRY_AFTER
from digests.sources import http
from digests.sources.http import (
    FetchOptions,
    FetchResult,
    fetch,
    fetch_sync,
    make_client,
)

# The test server is on a loopback address: allow it unless a test is about refusing it.
LOCAL = FetchOptions(allow_private_addresses=True)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


async def get(url: str, options: FetchOptions = LOCAL, **kwargs: object) -> FetchResult:
    async with make_client(options) as client:
        return await fetch(client, url, options=options, **kwargs)  # type: ignore[arg-type]


async def test_etag_then_304_on_conditional_fetch(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/feed").respond_with_data(
        FEED, headers={"ETag": '"v1"'}, content_type="application/rss+xml"
    )
    httpserver.expect_ordered_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data(
        b"", status=304, headers={"ETag": '"v1"'}
    )
    first = await get(httpserver.url_for("/feed"))
    assert (first.status, first.content, first.etag) == (200, FEED, '"v1"')
    assert not first.not_modified
    second = await get(httpserver.url_for("/feed"), etag=first.etag)
    assert second.not_modified and second.content is None and second.status == 304
    assert second.etag == '"v1"'
    httpserver.check_assertions()


async def test_last_modified_sent_back(httpserver: HTTPServer) -> None:
    stamp = "Tue, 17 Feb 2026 15:20:02 GMT"
    httpserver.expect_ordered_request("/feed").respond_with_data(
        FEED, headers={"Last-Modified": stamp}
    )
    httpserver.expect_ordered_request(
        "/feed", headers={"If-Modified-Since": stamp}
    ).respond_with_data(b"", status=304)
    first = await get(httpserver.url_for("/feed"))
    assert first.last_modified == stamp and first.etag is None
    second = await get(httpserver.url_for("/feed"), last_modified=first.last_modified)
    assert second.not_modified and second.last_modified == stamp
    httpserver.check_assertions()


async def test_user_agent_sent(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/ua", headers={"User-Agent": FetchOptions().user_agent}
    ).respond_with_data(b"ok")
    assert (await get(httpserver.url_for("/ua"))).content == b"ok"


async def test_redirects_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data(
        b"", status=301, headers={"Location": "/middle"}
    )
    httpserver.expect_request("/middle").respond_with_data(
        b"", status=307, headers={"Location": httpserver.url_for("/new")}
    )
    httpserver.expect_request("/new").respond_with_data(FEED)
    result = await get(httpserver.url_for("/old"))
    assert result.content == FEED
    assert result.url == httpserver.url_for("/old")
    assert result.final_url == httpserver.url_for("/new")


async def test_redirect_loop_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data(b"", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data(b"", status=302, headers={"Location": "/a"})
    with pytest.raises(SourceError, match="redirect loop"):
        await get(httpserver.url_for("/a"))


async def test_too_many_redirects(httpserver: HTTPServer) -> None:
    for i in range(4):
        httpserver.expect_request(f"/r{i}").respond_with_data(
            b"", status=302, headers={"Location": f"/r{i + 1}"}
        )
    options = FetchOptions(max_redirects=2, allow_private_addresses=True)
    with pytest.raises(SourceError, match=r"too many redirects \(more than 2\)"):
        await get(httpserver.url_for("/r0"), options)


@pytest.mark.parametrize(
    ("status", "reason"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")]
)
async def test_error_status(httpserver: HTTPServer, status: int, reason: str) -> None:
    httpserver.expect_request("/x").respond_with_data(b"nope", status=status)
    url = httpserver.url_for("/x")
    with pytest.raises(SourceError) as info:
        await get(url)
    assert (info.value.source, info.value.reason) == (url, reason)


@pytest.mark.parametrize(
    ("status", "header", "wait"),
    [
        (429, "120", 120.0),
        (503, "Wed, 21 Oct 2099 07:28:00 GMT", None),  # a date: checked below
        (503, "soon", None),  # unreadable: no wait
        (500, "60", None),  # only 429 and 503 carry a meaningful Retry-After
    ],
)
async def test_retry_after_is_kept(
    httpserver: HTTPServer, status: int, header: str, wait: float | None
) -> None:
    httpserver.expect_request("/x").respond_with_data(
        b"slow down", status=status, headers={"Retry-After": header})
    with pytest.raises(HttpStatusError) as info:
        await get(httpserver.url_for("/x"))
    assert info.value.status == status
    if header.startswith("Wed"):  # decades away: capped at a day, and the reason says so
        assert info.value.retry_after == MAX_RETRY_AFTER
        assert "(retry after 86400 s (capped from " in info.value.reason
    else:
        assert info.value.retry_after == wait
        assert "capped" not in info.value.reason
    assert ("retry after" in info.value.reason) == (info.value.retry_after is not None)


async def test_slow_server_times_out(httpserver: HTTPServer) -> None:
    released = threading.Event()

    def slow(request: Request) -> Response:
        released.wait(5)  # answers only once the test is done with it
        return Response(FEED)

    httpserver.expect_request("/slow").respond_with_handler(slow)
    options = FetchOptions(connect_timeout=0.5, read_timeout=0.2, allow_private_addresses=True)
    start = time.monotonic()
    try:
        with pytest.raises(SourceError, match=r"timed out \(no data from server\)"):
            await get(httpserver.url_for("/slow"), options)
    finally:
        released.set()
    assert time.monotonic() - start < 0.6


async def test_dripping_server_hits_the_deadline(httpserver: HTTPServer) -> None:
    def drip() -> Iterator[bytes]:
        for _ in range(8):
            time.sleep(0.1)
            yield b"x" * 10

    httpserver.expect_request("/drip").respond_with_handler(lambda r: Response(drip()))
    options = FetchOptions(connect_timeout=0.1, read_timeout=0.3, allow_private_addresses=True)
    with pytest.raises(SourceError, match=r"timed out after 0\.4s"):
        await get(httpserver.url_for("/drip"), options)


async def test_oversized_body_with_content_length(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    options = FetchOptions(max_bytes=1000, allow_private_addresses=True)
    with pytest.raises(SourceError, match=r"too large \(5000 bytes; limit 1000 bytes\)"):
        await get(httpserver.url_for("/big"), options)


async def test_oversized_body_without_content_length(httpserver: HTTPServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield from (b"y" * 400 for _ in range(10))

    httpserver.expect_request("/stream").respond_with_handler(lambda r: Response(chunks()))
    options = FetchOptions(max_bytes=1000, allow_private_addresses=True)
    with pytest.raises(SourceError, match="too large"):
        await get(httpserver.url_for("/stream"), options)


async def test_gzip_body_is_decoded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(FEED), headers={"Content-Encoding": "gzip"}
    )
    assert (await get(httpserver.url_for("/gz"))).content == FEED


async def test_gzip_bomb_stops_at_decoded_size(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/bomb").respond_with_data(
        gzip.compress(b"\0" * 200_000), headers={"Content-Encoding": "gzip"}
    )
    options = FetchOptions(max_bytes=50_000, allow_private_addresses=True)
    with pytest.raises(SourceError, match="too large"):
        await get(httpserver.url_for("/bomb"), options)


async def test_untrusted_loopback_url_refused_unless_allowed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(FEED)
    url = f"http://127.0.0.1:{httpserver.port}/feed"
    with pytest.raises(SourceError, match=r"non-public address 127\.0\.0\.1"):
        await get(url, FetchOptions(), trusted=False)
    with pytest.raises(SourceError, match="non-public address"):
        await get(httpserver.url_for("/feed"), FetchOptions(), trusted=False)  # localhost
    assert (await get(url, LOCAL, trusted=False)).content == FEED


async def test_trusted_url_may_be_private(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(FEED)
    url = f"http://127.0.0.1:{httpserver.port}/feed"
    assert (await get(url, FetchOptions(), trusted=True)).content == FEED


async def test_redirect_to_private_host_refused(httpserver: HTTPServer) -> None:
    # configured URL on "localhost"; a hop to another host (127.0.0.1) is checked
    target = f"http://127.0.0.1:{httpserver.port}/internal"
    httpserver.expect_request("/out").respond_with_data(
        b"", status=302, headers={"Location": target}
    )
    httpserver.expect_request("/internal").respond_with_data(b"secret")
    with pytest.raises(SourceError, match=r"refused: 127\.0\.0\.1"):
        await get(httpserver.url_for("/out"), FetchOptions(), trusted=True)
    assert (await get(httpserver.url_for("/out"), LOCAL)).content == b"secret"


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "file:///etc/passwd", "feed.xml"])
async def test_only_http_and_https(url: str) -> None:
    with pytest.raises(SourceError, match="unsupported URL scheme"):
        await get(url)


async def test_redirect_to_other_scheme_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/f").respond_with_data(
        b"", status=302, headers={"Location": "file:///etc/passwd"}
    )
    with pytest.raises(SourceError, match="unsupported URL scheme 'file'"):
        await get(httpserver.url_for("/f"))


async def test_connection_refused_is_one_line() -> None:
    with pytest.raises(SourceError) as info:
        await get("http://127.0.0.1:9/feed")
    assert info.value.reason.startswith("request failed")
    assert "\n" not in str(info.value)


def test_fetch_sync(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/s").respond_with_data(FEED, headers={"ETag": 'W/"1"'})
    result = fetch_sync(httpserver.url_for("/s"), options=LOCAL)
    assert result.content == FEED and result.etag == 'W/"1"' and result.elapsed > 0


@pytest.mark.parametrize("location", ["mailto:x@y", "data:text/plain,hi", "javascript:alert(1)"])
async def test_redirect_to_a_url_httpx_cannot_read_is_one_line(
    httpserver: HTTPServer, location: str
) -> None:
    """httpx reads the Location itself (for its next request) and raises InvalidURL, which is
    not an HTTPError: it used to escape as an internal error and lose the whole ingest."""
    httpserver.expect_request("/r").respond_with_data(
        b"", status=302, headers={"Location": location}
    )
    with pytest.raises(SourceError) as caught:
        await get(httpserver.url_for("/r"))
    assert "\n" not in str(caught.value)


async def test_stacked_content_encodings_are_refused(httpserver: HTTPServer) -> None:
    """'gzip, gzip': httpx inflates the inner layer of each chunk whole, so a 3 KB answer grew
    to gigabytes before the size cap could see it."""
    httpserver.expect_request("/gz2").respond_with_data(
        gzip.compress(gzip.compress(FEED)), headers={"Content-Encoding": "gzip, gzip"}
    )
    with pytest.raises(SourceError, match=r"unsupported Content-Encoding 'gzip, gzip'"):
        await get(httpserver.url_for("/gz2"))


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2001:4860:4860::8888", True), ("::ffff:8.8.8.8", True),
    ("100.100.100.200", False), ("100.64.0.1", False), ("fec0::1", False),
    ("169.254.169.254", False), ("::ffff:127.0.0.1", False), ("224.0.0.1", False),
    ("192.0.2.1", False), ("0.0.0.0", False), ("fd00:ec2::254", False),
])
def test_only_globally_routable_unicast_is_public(address: str, public: bool) -> None:
    assert http._is_public(ipaddress.ip_address(address)) is public


def test_the_host_checked_is_the_host_httpx_connects_to() -> None:
    """Python's resolver spells "ß.evil.test" as "ss.evil.test", httpx as "xn--zca.evil.test":
    checking the first while connecting to the second let a chat user reach a private address."""
    assert http._check_url("u", "http://ß.evil.test:8080/feed") == ("xn--zca.evil.test", 8080)
    assert http._check_url("u", "https://EXAMPLE.com/") == ("example.com", 443)
    assert http._check_url("u", "http://[::1]/")[0] == "::1"
