"""The store: articles stored once and clustered into stories, full-text search, feed poll
state, subscriptions, the delivery ledger, the digest archive and leader leases.

SQLite (default) or PostgreSQL through SQLAlchemy 2; the schema is managed by the Alembic
migrations in ``migrations/`` and brought to head by ``Store.open(url)``.

Modules, one job each: ``store`` (the facade), ``db`` (engines), ``migrate``, ``schema``,
``urls`` (canonical URLs), ``fingerprints`` (content hash, MinHash bands), ``articles``,
``revisions`` (a source's new version of a stored article),
``search``, ``feeds``, ``subscriptions``, ``ledger``, ``archive``, ``leases``, ``retention``
(pruning old articles in bounded batches).
"""

from digests.store.store import Store
from digests.store.types import (
    AddOutcome,
    ArchivedDigest,
    Delivery,
    FeedState,
    NewArticle,
    SearchHit,
    Subscription,
)
from digests.store.urls import canonical_url

__all__ = [
    "AddOutcome",
    "ArchivedDigest",
    "Delivery",
    "FeedState",
    "NewArticle",
    "SearchHit",
    "Store",
    "Subscription",
    "canonical_url",
]
