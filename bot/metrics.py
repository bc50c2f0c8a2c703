"""Prometheus metrics of one ``digestbot run`` process, in a registry of its own (no globals).

The poller, delivery and command handlers call the small methods below; ``/metrics`` serves
``render()``. Label values are a closed set chosen here, never feed or user text, so the
number of series stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

CONTENT_TYPE = CONTENT_TYPE_LATEST
FETCH_OUTCOMES = frozenset({"ok", "not_modified", "error"})
DELIVERY_OUTCOMES = frozenset({"delivered", "empty", "failed", "permanent", "skipped"})


NAMESPACE = "digestbot"  # every metric is digestbot_<name>, as Prometheus naming asks


class Metrics:
    """The process's counters, histograms and gauges; one ``CollectorRegistry`` each."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.articles_ingested = Counter(
            NAMESPACE + "_articles_ingested", "New articles stored by the poller.", registry=r
        )
        self.feed_fetches = Counter(
            NAMESPACE + "_feed_fetches", "Feed fetches by outcome.", ["outcome"], registry=r
        )
        self.feed_fetch_seconds = Histogram(
            NAMESPACE + "_feed_fetch_seconds",
            "Time to fetch and parse one feed.",
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.digests_delivered = Counter(
            NAMESPACE + "_digests_delivered",
            "Digest deliveries by platform and outcome.",
            ["platform", "outcome"],
            registry=r,
        )
        self.command_seconds = Histogram(
            NAMESPACE + "_command_seconds",
            "Time to answer a chat command.",
            ["platform", "command"],
            registry=r,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.articles_pruned = Counter(
            NAMESPACE + "_articles_pruned",
            "Articles deleted by retention (digestbot run's daily prune).",
            registry=r,
        )
        self.last_poll_timestamp = Gauge(
            NAMESPACE + "_last_poll_timestamp", "Unix time of the last completed poll.", registry=r
        )

    # poller ------------------------------------------------------------------------------

    def fetch(self, outcome: str, seconds: float) -> None:
        """One feed fetch; an unknown outcome is counted as ``error``."""
        self.feed_fetches.labels(outcome if outcome in FETCH_OUTCOMES else "error").inc()
        self.feed_fetch_seconds.observe(max(0.0, seconds))

    def ingested(self, n: int) -> None:
        if n > 0:
            self.articles_ingested.inc(n)

    def polled(self, at: float | None = None) -> None:
        self.last_poll_timestamp.set(time.time() if at is None else at)

    def pruned(self, articles: int) -> None:
        if articles > 0:
            self.articles_pruned.inc(articles)

    # delivery and commands ---------------------------------------------------------------

    def delivered(self, platform: str, outcome: str) -> None:
        self.digests_delivered.labels(
            platform, outcome if outcome in DELIVERY_OUTCOMES else "failed"
        ).inc()

    def command(self, platform: str, command: str, seconds: float) -> None:
        self.command_seconds.labels(platform, command).observe(max(0.0, seconds))

    @contextmanager
    def time_command(self, platform: str, command: str) -> Iterator[None]:
        """``with metrics.time_command("slack", "digest"): ...`` observes the block's time."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.command(platform, command, time.perf_counter() - start)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
