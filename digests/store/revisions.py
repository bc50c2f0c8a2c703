"""New versions of stored articles: the source edited a story (a correction, a developing
story, an edited local file).

What changes is what the source says: title, author, body, summary, key facts, topics and the
fingerprints (content hash, MinHash, LSH bands, title key), so search, ``ask`` and the next
digest read the new text and later near-duplicates match it. What stays is where the article
stands: its id, URL, story, published time and first-fetched time. Links and digests already
posted stay valid, the delivery ledger still knows what a channel has seen, and an edit does
not make old news new again or move the article to another story.

A revision whose words equal another stored article's (the content hash is unique) is
skipped: that text is stored already. So is one whose article was pruned meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.store import minhash as mh
from digests.store.articles import insert_plain, item_of, member_of, topic_rows_of
from digests.store.schema import article_bands, article_topics, articles
from digests.store.types import NewArticle

_UPDATE = (
    sa.update(articles)
    .where(articles.c.id == sa.bindparam("b_id"))
    .values(
        title=sa.bindparam("b_title"),
        author=sa.func.coalesce(sa.bindparam("b_author", type_=sa.Text), articles.c.author),
        body=sa.bindparam("b_body"),
        summary=sa.bindparam("b_summary"),
        key_facts=sa.bindparam("b_key_facts", type_=articles.c.key_facts.type),
        content_hash=sa.bindparam("b_content_hash"),
        minhash=sa.bindparam("b_minhash", type_=sa.LargeBinary),
        title_key=sa.bindparam("b_title_key", type_=sa.String(32)),
    )
)


def update(conn: Connection, revisions: Sequence[tuple[int, NewArticle]]) -> list[int]:
    """Store each (article id, new version) in the caller's write transaction; returns the
    ids updated, in order. The first version given for an id wins, as in ``add``."""
    chosen: dict[int, NewArticle] = {}
    for article_id, new in revisions:
        chosen.setdefault(article_id, new)
    ids = sorted(chosen)
    present: set[int] = set()
    for cond in member_of(conn, articles.c.id, ids):
        present.update(conn.execute(sa.select(articles.c.id).where(cond)).scalars())
    items = {i: item_of(chosen[i]) for i in ids if i in present}
    taken: set[str] = set()
    hashes = sorted({item.hash_key for item in items.values()})
    for cond in member_of(conn, articles.c.content_hash, hashes):
        taken.update(conn.execute(sa.select(articles.c.content_hash).where(cond)).scalars())
    kept = []
    for article_id, item in items.items():
        if item.hash_key in taken:
            continue  # that text is stored already (as another article, or as this one)
        taken.add(item.hash_key)
        item.article_id = article_id
        kept.append(item)
    if not kept:
        return []
    signatures = mh.signatures_of_words([item.words for item in kept])
    rows: list[dict[str, Any]] = []
    band_rows: list[tuple[int, int]] = []
    for item, sig in zip(kept, signatures, strict=True):
        assert item.article_id is not None
        a, summary = item.new.article, item.new.summary
        rows.append(
            {
                "b_id": item.article_id,
                "b_title": a.title,
                "b_author": a.author,
                "b_body": a.body,
                "b_summary": summary.summary,
                "b_key_facts": list(summary.key_facts),
                "b_content_hash": item.hash_key,
                "b_minhash": mh.to_bytes(sig) if sig is not None else None,
                "b_title_key": item.title_key,
            }
        )
        if sig is not None:
            band_rows.extend((band, item.article_id) for band in set(mh.band_keys(sig)))
    updated = [item.article_id for item in kept if item.article_id is not None]
    conn.execute(_UPDATE, rows)
    for cond in member_of(conn, article_topics.c.article_id, updated):
        conn.execute(sa.delete(article_topics).where(cond))
    for cond in member_of(conn, article_bands.c.article_id, updated):
        conn.execute(sa.delete(article_bands).where(cond))
    topic_rows = [row for item in kept for row in topic_rows_of(item)]
    if topic_rows:
        conn.execute(sa.insert(article_topics), topic_rows)
    if band_rows:
        insert_plain(conn, article_bands, band_rows)
    return updated
