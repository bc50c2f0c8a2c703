"""Whose GUID it is: an article's GUID is unique within its feed (its origin), not its source.

``source`` is a display name (the configured name, else the feed's title) and two feeds may
share one: two WordPress sites both titled "News", both numbering items "1", "2". So the
store keys GUIDs by ``origin`` (``Article.origin``: the feed URL as polled, or a feed file's
``file://`` URL).

An article without an origin (an article file, which has no GUID, or any caller that does not
set one) is keyed by its source, as every article was before migration 0007: its stored origin
is ``LEGACY_PREFIX + source``. Rows stored before 0007 whose feed could not be told (their
source named no feed, or several) keep such a legacy origin too; an article from a feed still
matches them by (its source, GUID), so polling an old feed again does not store its items twice.
"""

from __future__ import annotations

from digests.models import Article

# Real origins are http(s):// or file:// URLs, so this prefix never collides with one.
LEGACY_PREFIX = "source:"


def legacy_origin(source: str) -> str:
    """The origin of an article keyed by its source name (no origin, or stored before 0007)."""
    return LEGACY_PREFIX + source


def origin_of(article: Article) -> str:
    """The origin the store keeps for ``article``."""
    return article.origin or legacy_origin(article.source)


def is_legacy(origin: str) -> bool:
    return origin.startswith(LEGACY_PREFIX)


GuidKey = tuple[str, str]  # (origin, guid)


def guid_keys(article: Article) -> tuple[GuidKey, ...]:
    """The stored (origin, guid) keys ``article`` is a repeat of: its own, then (for an
    article with an origin) the legacy key of its source, for rows stored before 0007."""
    if not article.guid:
        return ()
    own = (origin_of(article), article.guid)
    if article.origin is None:
        return (own,)
    return own, (legacy_origin(article.source), article.guid)


def same_origin(stored_origin: str, stored_source: str, article: Article) -> bool:
    """Whether a stored article and ``article`` come from one feed, as far as can be told: the
    same origin, or a legacy one whose source is the article's (the check before 0007)."""
    if stored_origin == origin_of(article):
        return True
    return is_legacy(stored_origin) and stored_source == article.source
