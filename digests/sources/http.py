"""Fetching feeds and pages over HTTP(S): polite, bounded, and guarded against SSRF.

httpx with connect/read timeouts plus a deadline per hop (a server dripping bytes cannot hold
us), a size cap checked on Content-Length and again while streaming (decoded size, so a gzip
bomb stops too), conditional GET (ETag / Last-Modified -> 304), and redirects followed by hand
so every hop is checked: only http(s), and a hop to another host, or any URL not configured by
the operator (``trusted=False``), may not reach a private, loopback, link-local or reserved
address unless ``allow_private_addresses`` is set.

Known limit: the address check resolves the host before httpx connects, so a DNS answer that
changes in between (rebinding) is not caught.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from digests.errors import HttpStatusError, SourceError, first_line
from digests.retry import capped_retry_after, retry_after_header

log = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchOptions:
    """Limits and identity for every request; ``fetch.*`` in the config maps onto these."""

    user_agent: str = "digestbot/0.1 (+https://github.com/digestbot)"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    allow_private_addresses: bool = False


@dataclass(frozen=True)
class FetchResult:
    """One fetch: the body (None when not modified) and the validators for the next one."""

    url: str
    final_url: str
    status: int
    content: bytes | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    elapsed: float


def make_client(options: FetchOptions) -> httpx.AsyncClient:
    """A client with our timeouts and headers; redirects are followed by ``fetch`` itself."""
    timeout = httpx.Timeout(
        options.read_timeout, connect=options.connect_timeout, pool=options.connect_timeout
    )
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": options.user_agent, "Accept": ACCEPT},
        trust_env=False,
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    options: FetchOptions,
    trusted: bool = True,
) -> FetchResult:
    """GET ``url`` within ``options``' limits; SourceError with a one-line reason otherwise."""
    start = time.monotonic()
    origin_host = ""
    current = url
    seen: set[str] = set()
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for hop in range(options.max_redirects + 1):
        if current in seen:
            raise SourceError(url, f"redirect loop at {current}")
        seen.add(current)
        host, port = _check_url(url, current)
        origin_host = origin_host or host
        guard = not trusted or (hop > 0 and host != origin_host)
        if guard and not options.allow_private_addresses:
            await _refuse_private(url, host, port)
        try:
            async with asyncio.timeout(options.connect_timeout + options.read_timeout):
                result = await _get(client, url, current, headers, options, start)
        except TimeoutError as e:
            raise SourceError(url, f"timed out after {_total(options)}s") from e
        except httpx.TimeoutException as e:
            raise SourceError(url, f"timed out ({_timeout_kind(e)})") from e
        except httpx.HTTPError as e:
            raise SourceError(url, f"request failed: {_one_line(e)}") from e
        except httpx.InvalidURL as e:  # httpx reads a redirect's Location (data:, mailto:)
            raise SourceError(url, f"invalid URL in the answer: {_one_line(e)}") from e
        if isinstance(result, FetchResult):
            log.debug("fetched url=%s status=%s hops=%d", url, result.status, hop)
            return result
        current = result
    raise SourceError(url, f"too many redirects (more than {options.max_redirects})")


def fetch_sync(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    options: FetchOptions | None = None,
    trusted: bool = True,
) -> FetchResult:
    """``fetch`` for scripts and the CLI, with a client of its own (not inside an event loop)."""
    opts = options or FetchOptions()

    async def run() -> FetchResult:
        async with make_client(opts) as client:
            return await fetch(
                client, url, etag=etag, last_modified=last_modified, options=opts, trusted=trusted
            )

    return asyncio.run(run())


async def _get(
    client: httpx.AsyncClient,
    url: str,
    current: str,
    headers: dict[str, str],
    options: FetchOptions,
    start: float,
) -> FetchResult | str:
    """One request: a FetchResult, or the next URL when the answer is a redirect."""
    async with client.stream("GET", current, headers=headers) as resp:
        if resp.status_code in _REDIRECTS:
            location = resp.headers.get("location")
            if not location:
                raise SourceError(url, f"HTTP {resp.status_code} redirect without a Location")
            return urljoin(str(resp.url), location.strip())
        validators = {
            "etag": resp.headers.get("etag") or None,
            "last_modified": resp.headers.get("last-modified") or None,
        }
        if resp.status_code == 304:
            return FetchResult(
                url=url,
                final_url=current,
                status=304,
                content=None,
                etag=validators["etag"] or headers.get("If-None-Match"),
                last_modified=validators["last_modified"] or headers.get("If-Modified-Since"),
                not_modified=True,
                elapsed=time.monotonic() - start,
            )
        if not 200 <= resp.status_code < 300:
            phrase = httpx.codes.get_reason_phrase(resp.status_code) or resp.reason_phrase
            reason = f"HTTP {resp.status_code} {phrase}".strip()
            wait = None
            if resp.status_code in (429, 503):
                asked = retry_after_header(resp.headers.get("retry-after", ""), time.time())
                if asked is not None:
                    wait, said = capped_retry_after(asked)
                    reason += f" ({said})"
            raise HttpStatusError(url, reason, resp.status_code, wait)
        codings = [c.strip().lower() for c in resp.headers.get("content-encoding", "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1:  # httpx would inflate the inner layers whole, past any cap
            raise SourceError(url, f"unsupported Content-Encoding {', '.join(codings)!r} "
                                   "(one coding at most)")
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > options.max_bytes:
            raise SourceError(url, _too_large(options, int(declared)))
        body = bytearray()
        async for chunk in resp.aiter_bytes():
            body += chunk
            if len(body) > options.max_bytes:
                raise SourceError(url, _too_large(options))
        return FetchResult(
            url=url,
            final_url=current,
            status=resp.status_code,
            content=bytes(body),
            etag=validators["etag"],
            last_modified=validators["last_modified"],
            not_modified=False,
            elapsed=time.monotonic() - start,
        )


def _check_url(url: str, current: str) -> tuple[str, int]:
    """Host and port of an http(s) URL; SourceError for any other scheme or no host."""
    try:
        parts = urlsplit(current)
        port = parts.port
    except ValueError as e:
        raise SourceError(url, f"invalid URL {current!r}: {e}") from e
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise SourceError(url, f"unsupported URL scheme {scheme or '(none)'!r} (http/https only)")
    if not parts.hostname:
        raise SourceError(url, f"URL without a host: {current!r}")
    # The host as httpx will connect to it (IDNA 2008: "ß" stays "ß", xn--zca), not as Python's
    # resolver would spell it ("ss"): the address checked must be the one connected to.
    try:
        host = httpx.URL(current).raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeDecodeError) as e:
        raise SourceError(url, f"invalid URL {current!r}: {_one_line(e)}") from e
    if not host:
        raise SourceError(url, f"URL without a host: {current!r}")
    return host.lower(), port or (443 if scheme == "https" else 80)


async def _refuse_private(url: str, host: str, port: int) -> None:
    """SourceError when ``host`` is or resolves to an address that is not public."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as e:
            raise SourceError(url, f"cannot resolve host {host!r}: {_one_line(e)}") from e
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if not _is_public(address):
            raise SourceError(
                url,
                f"refused: {host} resolves to non-public address {address}"
                " (set fetch.allow_private_addresses to allow)",
            )


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast only: not private, loopback, link-local, shared
    (100.64.0.0/10, a cloud metadata range too), site-local, reserved, multicast or
    unspecified."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or site_local
    )


def _too_large(options: FetchOptions, size: int | None = None) -> str:
    got = f"{size} bytes" if size is not None else "more"
    return f"response too large ({got}; limit {options.max_bytes} bytes)"


def _total(options: FetchOptions) -> float:
    return options.connect_timeout + options.read_timeout


def _timeout_kind(e: httpx.TimeoutException) -> str:
    if isinstance(e, httpx.ConnectTimeout):
        return "connect"
    if isinstance(e, httpx.PoolTimeout):
        return "connection pool"
    return "no data from server" if isinstance(e, httpx.ReadTimeout) else "write"


def _one_line(e: BaseException) -> str:
    return first_line(e)[:200]
