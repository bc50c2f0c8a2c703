"""Values that cross module boundaries: frozen dataclasses, timezone-aware UTC datetimes.

An article's life: a source yields ``Article``; the store keeps it as ``StoredArticle`` with its
``TopicScore``s and ``Summary``; ``StoredArticle``s of one story form a ``Story``; the stories of
a topic and window form a ``Digest``; renderers turn a ``Digest`` into text or platform payloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Article:
    """One article as a source yields it, before it is stored.

    ``body`` is plain text (feed HTML already reduced). ``published`` is aware UTC or None
    (the pipeline then falls back to the file mtime or the ingest time).

    ``origin`` names the feed the item came from (the feed URL as configured, or the feed
    file's ``file://`` URL): its ``guid`` is unique within that feed only, and ``source``, a
    display name, is not unique (two sites both titled "News"). None for an article file,
    which has no GUID; the store then keys it by ``source``, as before migration 0007.
    """

    title: str
    url: str
    body: str
    source: str
    published: datetime | None = None
    author: str | None = None
    guid: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class TopicScore:
    """How strongly an article belongs to one topic, with the evidence that decided it."""

    topic: str
    score: float  # 0..1
    member: bool  # score passed the topic's threshold (and no exclusion vetoed it)
    evidence: tuple[str, ...] = ()  # matched terms/phrases, strongest first


@dataclass(frozen=True)
class Summary:
    """Extractive summary (2-3 sentences from the text) and key facts (sentences/clauses)."""

    summary: str
    key_facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredArticle:
    """An article as the store holds it, with what was derived from it at ingest."""

    id: int
    title: str
    url: str
    body: str
    source: str
    published: datetime
    fetched_at: datetime
    story_id: int
    author: str | None = None
    summary: str = ""
    key_facts: tuple[str, ...] = ()
    topics: tuple[TopicScore, ...] = ()

    def topic_score(self, topic: str) -> float:
        """Score for ``topic`` (0.0 when the article was not scored for it)."""
        for ts in self.topics:
            if ts.topic == topic:
                return ts.score
        return 0.0

    def in_topic(self, topic: str) -> bool:
        return any(ts.topic == topic and ts.member for ts in self.topics)


@dataclass(frozen=True)
class SourceLink:
    """One source of a story: the article's title and link, and who published it."""

    title: str
    url: str
    source: str = ""


@dataclass(frozen=True)
class DigestItem:
    """One story in a digest: same-story articles merged, with every source link."""

    story_id: int
    title: str
    url: str
    summary: str
    sources: tuple[SourceLink, ...]
    published: datetime
    score: float = 0.0
    key_facts: tuple[str, ...] = ()
    updated: bool = False  # posted before, now with new sources


@dataclass(frozen=True)
class Digest:
    """A topic's stories over a window; the one neutral model every renderer takes."""

    topic: str
    since: datetime
    until: datetime
    items: tuple[DigestItem, ...]
    window: str = "24h"  # the human form of the window, e.g. "24h", "7d"
    description: str = ""
    more: int = 0  # stories left out by the cap ("and N more")
    color: str = ""  # topic colour, "#RRGGBB", for platforms that show one
    archive_url: str | None = None  # link to this digest's page when public_url is configured
    generated_at: datetime | None = None

    @property
    def empty(self) -> bool:
        return not self.items

    def empty_text(self) -> str:
        return f"There is no news for {self.topic} in the last {self.window}."


# An item without a usable link of its own gets its feed's URL with this fragment and its GUID
# (or title): ``feed.xml#item=123``. Fragments are dropped from canonical URLs, except this
# one, which is the item's only identity (else every link-less item of a feed is one article).
ITEM_FRAGMENT = "item="


@dataclass(frozen=True)
class IngestFailure:
    source: str
    error: str


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did; ``ingest --json`` prints it as is."""

    new: int = 0
    duplicates: int = 0  # stored already: repeats, and the revisions counted in ``updated``
    failed: tuple[IngestFailure, ...] = ()
    new_ids: tuple[int, ...] = field(default=(), compare=False)
    updated: int = 0  # duplicates whose source changed their words: stored over the old text

    def to_json(self) -> dict[str, object]:
        return {
            "new": self.new,
            "duplicates": self.duplicates,
            "failed": [{"source": f.source, "error": f.error} for f in self.failed],
        }  # the contract's shape, exactly: scripts compare it whole; updates show in ``line``

    def line(self) -> str:
        """The one-line report ``ingest`` prints: "3 new, 5 duplicates (2 updated), 0 failed"."""
        dups = f"{self.duplicates} duplicates"
        if self.updated:
            dups += f" ({self.updated} updated)"
        return f"{self.new} new, {dups}, {len(self.failed)} failed"
