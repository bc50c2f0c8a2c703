"""Which story a new article joins: the story of its most similar recent article (MinHash,
stored or earlier in the batch) within ``STORY_WINDOW``; failing that, the story of an article
with the same title key (``fingerprints.title_key``: a teaser and the full text share little
text but one headline), unless the two texts contradict each other (both long and nearly
disjoint) or the title's articles are in several stories already.

Apart from ``articles`` because it needs numpy (``minhash``), which only writing does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from digests.store import fingerprints as fp
from digests.store import minhash as mh
from digests.store.articles import STORY_WINDOW, _Item, member_of
from digests.store.schema import article_bands, articles


@dataclass(frozen=True)
class _Candidate:
    """A stored article that shares a band with a new one."""

    story_id: int
    published: datetime
    signature: np.ndarray


def _stored_candidates(conn: Connection, bands: Sequence[int]) -> dict[int, list[_Candidate]]:
    """band key -> stored articles with that band (and a signature to compare)."""
    article_ids_by_band: dict[int, list[int]] = defaultdict(list)
    for cond in member_of(conn, article_bands.c.band_key, bands):
        stmt = sa.select(article_bands.c.band_key, article_bands.c.article_id).where(cond)
        for band, article_id in conn.execute(stmt):
            article_ids_by_band[band].append(article_id)
    candidates: dict[int, _Candidate] = {}
    ids = sorted({a for found in article_ids_by_band.values() for a in found})
    for cond in member_of(conn, articles.c.id, ids):
        stmt2 = sa.select(
            articles.c.id, articles.c.story_id, articles.c.published, articles.c.minhash
        ).where(cond, articles.c.minhash.is_not(None))
        for article_id, story_id, published, minhash in conn.execute(stmt2):
            candidates[article_id] = _Candidate(story_id, published, mh.from_bytes(minhash))
    return {
        band: [candidates[a] for a in found if a in candidates]
        for band, found in article_ids_by_band.items()
    }


def assign_stories(conn: Connection, items: Sequence[_Item], fresh: Sequence[_Item]) -> None:
    """Join each new item of ``items`` (those in ``fresh``) to the story of its most similar
    recent article, else of its title's; sets their signature, bands and minhash bytes."""
    sigs = mh.signatures_of_words([i.words for i in fresh])
    for item in items:
        item.words = []  # not needed any more; a large batch holds millions of them
    for item, sig in zip(fresh, sigs, strict=True):
        if sig is not None:
            item.signature = sig
            item.bands = mh.band_keys(sig)
            item.minhash = mh.to_bytes(sig)
    stored = _stored_candidates(conn, sorted({b for i in fresh for b in i.bands}))
    # Decide in input order, so an item can join the story of an earlier item of the batch.
    position = {id(item): index for index, item in enumerate(items)}
    batch_by_band: dict[int, list[int]] = defaultdict(list)
    for item in fresh:
        if item.signature is not None:
            _pick_story(item, items, stored, batch_by_band)
            for band in item.bands:
                batch_by_band[band].append(position[id(item)])
    _link_by_title(conn, items, fresh, position)


def _pick_story(
    item: _Item,
    items: Sequence[_Item],
    stored: dict[int, list[_Candidate]],
    batch_by_band: dict[int, list[int]],
) -> None:
    assert item.signature is not None
    best = mh.SIMILARITY
    # A candidate usually shares several bands: score it once (by identity), in the same
    # visiting order, so the pick (the last best, as ties go to later ones) is unchanged.
    stored_scores: dict[int, float] = {}
    peer_scores: dict[int, float] = {}
    for band in item.bands:
        for candidate in stored.get(band, ()):
            score = stored_scores.get(id(candidate))
            if score is None:
                score = stored_scores[id(candidate)] = (
                    -1.0
                    if abs(candidate.published - item.published) > STORY_WINDOW
                    else mh.similarity(item.signature, candidate.signature)
                )
            if score >= best:
                best, item.story_id, item.story_of_item = score, candidate.story_id, None
        for index in batch_by_band.get(band, ()):
            score = peer_scores.get(index)
            if score is None:
                peer = items[index]
                score = peer_scores[index] = (
                    -1.0
                    if peer.signature is None or abs(peer.published - item.published) > STORY_WINDOW
                    else mh.similarity(item.signature, peer.signature)
                )
            if score >= best:
                best, item.story_id, item.story_of_item = score, None, index


@dataclass(frozen=True)
class _Titled:
    """An article with a new item's title key: a stored one, or an earlier item of the batch."""

    story: tuple[str, int]  # ("stored", story id) or ("item", index of the story's founder)
    published: datetime
    signature: np.ndarray | None
    body_words: int
    index: int | None = None  # position in the batch


def _stored_titled(
    conn: Connection, keys: Sequence[str], since: datetime, until: datetime
) -> dict[str, list[_Titled]]:
    """title key -> stored articles with that key published in [since, until] (one chunked
    lookup of few rows: the body is read only to count its words)."""
    found: dict[str, list[_Titled]] = defaultdict(list)
    for cond in member_of(conn, articles.c.title_key, keys):
        stmt = sa.select(
            articles.c.title_key,
            articles.c.story_id,
            articles.c.published,
            articles.c.minhash,
            articles.c.body,
        ).where(cond, articles.c.published >= since, articles.c.published <= until)
        for key, story_id, published, minhash, body in conn.execute(stmt):
            signature = mh.from_bytes(minhash) if minhash is not None else None
            found[key].append(
                _Titled(("stored", story_id), published, signature, len(fp.words(body)))
            )
    return found


def _link_by_title(
    conn: Connection, items: Sequence[_Item], fresh: Sequence[_Item], position: dict[int, int]
) -> None:
    """Items MinHash left alone join the one story their title key points to (in input order,
    after every MinHash decision: those never depend on which story a peer is in)."""
    alone = [
        i
        for i in fresh
        if i.story_id is None and i.story_of_item is None and i.title_key is not None
    ]
    if not alone:
        return
    keys = sorted({i.title_key for i in alone if i.title_key is not None})
    since = min(i.published for i in alone) - STORY_WINDOW
    until = max(i.published for i in alone) + STORY_WINDOW
    stored = _stored_titled(conn, keys, since, until)
    peers: dict[str, list[int]] = defaultdict(list)
    for item in fresh:
        key = item.title_key
        if key is None:
            continue
        index = position[id(item)]
        if item.story_id is None and item.story_of_item is None:
            batch = [_titled(items, i) for i in peers.get(key, ())]
            _pick_by_title(item, [*stored.get(key, ()), *batch])
        peers[key].append(index)


def _titled(items: Sequence[_Item], index: int) -> _Titled:
    item = items[index]
    return _Titled(
        _story_of(items, index), item.published, item.signature, item.body_words, index
    )


def _story_of(items: Sequence[_Item], index: int) -> tuple[str, int]:
    """The story an item is in so far: a stored one, or the one an earlier item founds."""
    item = items[index]
    while item.story_id is None and item.story_of_item is not None:
        index = item.story_of_item
        item = items[index]
    return ("stored", item.story_id) if item.story_id is not None else ("item", index)


def _pick_by_title(item: _Item, candidates: Sequence[_Titled]) -> None:
    """Join the story of the same-titled articles within ``STORY_WINDOW``, when exactly one
    story qualifies: none of its same-titled articles contradicts the item's text."""
    near: dict[tuple[str, int], _Titled] = {}
    refused: set[tuple[str, int]] = set()
    for candidate in candidates:
        if abs(candidate.published - item.published) > STORY_WINDOW:
            continue
        if _contradicts(item, candidate):
            refused.add(candidate.story)
        else:
            near[candidate.story] = candidate  # the last one (the latest in the batch) stays
    eligible = [story for story in near if story not in refused]
    if len(eligible) != 1:  # none, or several stories under one headline: stay alone
        return
    [story] = eligible
    if story[0] == "stored":
        item.story_id = story[1]
    else:
        item.story_of_item = near[story].index


def _contradicts(item: _Item, other: _Titled) -> bool:
    """Two full texts that share a title but almost no text: different stories. A teaser
    (a short body) never contradicts, nor a text too short for a signature."""
    return (
        item.body_words >= fp.LONG_BODY_WORDS
        and other.body_words >= fp.LONG_BODY_WORDS
        and item.signature is not None
        and other.signature is not None
        and mh.similarity(item.signature, other.signature) < fp.CONTRADICTION
    )
