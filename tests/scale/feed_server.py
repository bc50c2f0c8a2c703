"""A local feed server for the scale-out test: N RSS feeds, every request counted per feed.

Each feed carries two items from the current and the previous ``bucket`` (seconds), so every
poll after a bucket boundary brings new articles and each digest window has something new to
post. Items are about quokkas (the test's own topic) with words drawn per (feed, bucket), so
near-duplicate clustering keeps them apart. ``hang`` delays every answer: workers are then
caught holding feed leases mid-fetch, which is when the test kills one.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

_PATH = re.compile(r"^/feed/(\d+)\.xml$")
_WORDS = (
    "harbour", "ranger", "island", "ferry", "lighthouse", "colony", "survey", "burrow", "path",
    "dune", "scrub", "ridge", "bay", "cove", "jetty", "reef", "lagoon", "marsh", "grove",
    "cliff", "beacon", "pier", "trail", "census", "volunteer", "tourist", "sunrise", "dusk",
    "rainfall", "drought", "seedling", "shelter",
)


@dataclass
class CountingFeedServer:
    """``feeds`` RSS feeds on 127.0.0.1; ``hits[i]`` are the wall-clock times feed i was asked."""

    feeds: int
    bucket: float = 10.0
    hang: float = 0.0
    hits: dict[int, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def url(self, i: int) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/feed/{i}.xml"

    def hits_of(self, i: int, *, since: float = 0.0, until: float = float("inf")) -> list[float]:
        with self._lock:
            return [t for t in self.hits.get(i, []) if since <= t < until]

    def _hit(self, i: int) -> None:
        with self._lock:
            self.hits.setdefault(i, []).append(time.time())

    def rss(self, i: int, now: float) -> bytes:
        current = int(now // self.bucket)
        items = "".join(self._item(i, b) for b in (current, current - 1))
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Quokka watch {i}</title><link>https://quokka.example/{i}/</link>"
            f"{items}</channel></rss>"
        ).encode()

    def _item(self, i: int, bucket: int) -> str:
        rnd = random.Random(i * 1_000_003 + bucket)
        words = [rnd.choice(_WORDS) for _ in range(30)]
        title = f"Quokka report {i}-{bucket}: {words[0]} {words[1]} {words[2]}"
        body = (
            f"A quokka was seen near the {words[3]} in report {i}-{bucket}. "
            f"Rangers counted quokkas along the {words[4]} and the {words[5]}. "
            + " ".join(f"The {a} and the {b} were quiet." for a, b in zip(words[6::2],
                                                                         words[7::2],
                                                                         strict=False))
        )
        published = formatdate(bucket * self.bucket, usegmt=True)
        return (
            f"<item><title>{escape(title)}</title>"
            f"<link>https://quokka.example/{i}/{bucket}</link>"
            f"<guid>quokka-{i}-{bucket}</guid><pubDate>{published}</pubDate>"
            f"<description>{escape(body)}</description></item>"
        )

    @contextmanager
    def running(self) -> Iterator[CountingFeedServer]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                match = _PATH.match(self.path)
                if match is None or int(match.group(1)) >= owner.feeds:
                    self.send_error(404)
                    return
                i = int(match.group(1))
                owner._hit(i)
                if owner.hang:
                    time.sleep(owner.hang)
                body = owner.rss(i, time.time())
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the worker asking went away (killed): nothing to answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        thread = threading.Thread(target=server.serve_forever, name="feed-server", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)
