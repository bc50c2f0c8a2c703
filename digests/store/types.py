"""Values the store takes and returns (frozen dataclasses, aware UTC datetimes).

The shared models (``Article``, ``StoredArticle``, ``TopicScore``, ``Summary``) live in
``digests/models.py``; these are the store's own: what goes in, what ingest and the ledger
report back, and the rows other parts of the bot keep here (feeds, subscriptions, deliveries,
archived digests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from digests.models import Article, StoredArticle, Summary, TopicScore
from digests.store.origins import legacy_origin, same_origin

DeliveryStatus = Literal["claimed", "delivered", "failed", "dead"]
SubscriptionSource = Literal["config", "chat"]


@dataclass(frozen=True)
class NewArticle:
    """An article ready to store, with what was derived from it at ingest."""

    article: Article
    topics: tuple[TopicScore, ...]
    summary: Summary
    fetched_at: datetime  # also the article's time when ``article.published`` is None


@dataclass(frozen=True)
class AddOutcome:
    """What ``add_articles`` did with one item, in input order.

    ``duplicate``: the article was already stored (same canonical URL, same GUID from the same
    feed, or same normalized title+body); ``article_id`` is the stored one.
    """

    status: Literal["new", "duplicate"]
    article_id: int
    story_id: int


@dataclass(frozen=True)
class KnownArticle:
    """A stored article an incoming one matches by canonical URL or (origin, GUID).

    ``revised_by`` says whether the incoming article is a new version of it (the source edited
    the story: a correction, a developing story, an edited local file) rather than a repeat.
    """

    id: int
    source: str
    guid: str | None
    content_hash: str
    url_canonical: str | None = None
    body_chars: int = 0
    origin: str | None = None  # None: not known, taken as keyed by ``source`` (pre-0007)

    def revised_by(self, article: Article) -> bool:
        """Same feed, same link, other words, and not cut short: worth storing over this one.

        Same feed: the same origin and the same source (``origins.same_origin``). Another
        feed with the same link is a duplicate, never a revision (a teaser must not overwrite
        another feed's full text); so is an item matched by GUID alone under another link, and
        two items of one feed sharing a link but not their GUIDs are two items. Markup and
        spacing edits do not count (the hash is of words), nor does a body that went empty or
        shrank to less than half (a feed falling back to a teaser, more often than an editor's
        cut).
        """
        if article.source != self.source:
            return False
        if not same_origin(self.origin or legacy_origin(self.source), self.source, article):
            return False
        if article.guid and self.guid and article.guid != self.guid:
            return False
        from digests.store.fingerprints import content_hash
        from digests.store.urls import canonical_url

        if self.url_canonical is None or canonical_url(article.url) != self.url_canonical:
            return False
        body = article.body.strip()
        if not body or len(body) * 2 < self.body_chars:
            return False  # emptied or cut to a teaser: a glitch of the source, not an edit
        return content_hash(article.title, article.body) != self.content_hash


@dataclass(frozen=True)
class SearchHit:
    """A search result: higher ``score`` is better (comparable within one result list only).

    ``snippet`` is a short window of the body (or the title when the body does not match) with
    the matched words wrapped in ``**`` marks.
    """

    article: StoredArticle
    score: float
    snippet: str


@dataclass(frozen=True)
class FeedState:
    """A polled feed: conditional-GET validators, health and the poll lease.

    ``lease_owner``/``lease_until`` are managed by ``claim_due_feeds``/``release_feed`` only;
    ``upsert_feed`` leaves an existing lease as it is.

    ``added_by``/``added_at`` are set when the feed was followed at run time (``add_feed``:
    "slack:U123", "discord:456", "cli") and cleared by ``remove_feed``; ``upsert_feed`` never
    changes them on an existing row. Only configured feeds and added ones are polled.
    ``found_on``: the web page given to ``add_feed`` when the feed is the one it announces
    (autodiscovery), so ``feeds remove PAGE`` finds the feed; cleared with ``added_at``.
    """

    url: str
    title: str = ""
    etag: str | None = None
    last_modified: str | None = None
    last_polled: datetime | None = None
    last_success: datetime | None = None
    next_poll: datetime | None = None  # None: due now
    last_status: int | None = None  # HTTP status of the last poll
    last_error: str | None = None
    error_count: int = 0  # consecutive failed polls
    lease_owner: str | None = None
    lease_until: datetime | None = None
    added_by: str | None = None
    added_at: datetime | None = None
    found_on: str | None = None

    @property
    def added(self) -> bool:
        """Followed at run time (``/news feeds add``, ``digestbot feeds add``)."""
        return self.added_at is not None


@dataclass(frozen=True)
class Subscription:
    """A channel receives a topic's digest on a schedule; unique per (channel_key, topic).

    ``id`` and ``created_at`` are None until stored. ``schedule`` is the human form
    (e.g. ``"weekdays 08:00"``), evaluated in ``timezone``.
    """

    id: int | None
    channel_key: str
    platform: str
    channel_id: str
    topic: str
    schedule: str
    timezone: str = "UTC"
    options: dict[str, Any] = field(default_factory=dict)
    source: SubscriptionSource = "config"
    created_by: str | None = None
    created_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One row of the delivery ledger: (channel_key, sub_key, window_key) is posted once.

    Status: ``claimed`` (a worker is sending), ``delivered``, ``failed`` (may be claimed again),
    ``dead`` (permanent failure, never retried).
    """

    id: int
    channel_key: str
    sub_key: str
    window_key: str
    topic: str
    status: DeliveryStatus
    worker: str
    claimed_at: datetime
    attempts: int = 1
    delivered_at: datetime | None = None
    message_ids: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class ArchivedDigest:
    """A digest as built and kept for the web archive and the history commands."""

    id: int
    topic: str
    since: datetime
    until: datetime
    created_at: datetime
    channel_key: str | None
    payload: dict[str, Any]
