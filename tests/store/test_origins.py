"""GUIDs are unique per feed (``Article.origin``), not per source name: the store's duplicate
and revision checks, on SQLite and PostgreSQL. Canonical URL and words still make one article
of the same story from two feeds."""

from __future__ import annotations

from dataclasses import replace

from digests.models import Article
from digests.store import NewArticle, Store
from digests.store.origins import guid_keys, legacy_origin, origin_of, same_origin
from tests.store.builders import ELECTION_STORY, PORT_STORY, MakeArticle

FEED_A = "https://a.example/feed/"
FEED_B = "https://b.example/feed/"


def _from(feed: str, new: NewArticle) -> NewArticle:
    return replace(new, article=replace(new.article, origin=feed, source="News"))


def test_same_source_and_guid_from_two_feeds_are_two_articles(
    store: Store, new_article: MakeArticle
) -> None:
    a = _from(FEED_A, new_article("Port strike halts traffic", PORT_STORY, guid="1"))
    b = _from(FEED_B, new_article("Governor race is tight", ELECTION_STORY, guid="1"))
    assert [o.status for o in store.add_articles([a])] == ["new"]
    assert [o.status for o in store.add_articles([b])] == ["new"]
    assert [o.status for o in store.add_articles([b, a])] == ["duplicate", "duplicate"]
    assert store.count_articles() == 2


def test_in_one_batch_too(store: Store, new_article: MakeArticle) -> None:
    a = _from(FEED_A, new_article("Port strike halts traffic", PORT_STORY, guid="1"))
    b = _from(FEED_B, new_article("Governor race is tight", ELECTION_STORY, guid="1"))
    edit = new_article("Port strike: an edit", ELECTION_STORY + " Edited.", guid="1")
    again = _from(FEED_A, edit)
    assert [o.status for o in store.add_articles([a, b, again])] == ["new", "new", "duplicate"]


def test_url_and_words_still_match_across_feeds(store: Store, new_article: MakeArticle) -> None:
    a = _from(FEED_A, new_article("Port strike halts traffic", PORT_STORY, guid="1"))
    [first] = store.add_articles([a])
    same_link = replace(a, article=replace(a.article, origin=FEED_B, guid="9", body="Teaser."))
    same_words = replace(a, article=replace(a.article, origin=FEED_B, guid="8", url="https://x/y"))
    outcomes = store.add_articles([same_link, same_words])
    assert [(o.status, o.article_id) for o in outcomes] == [("duplicate", first.article_id)] * 2


def test_known_and_revisions_need_the_same_feed(store: Store, new_article: MakeArticle) -> None:
    a = _from(FEED_A, new_article("Port strike halts traffic", PORT_STORY, guid="1"))
    [first] = store.add_articles([a])
    edit = replace(a.article, body=PORT_STORY + " The union said talks would resume Friday.")
    other_feed = replace(edit, origin=FEED_B)
    other_guid_only = replace(other_feed, url="https://b.example/1")
    known = store.known_articles([edit, other_feed, other_guid_only])
    assert [k.id if k else None for k in known] == [first.article_id, first.article_id, None]
    assert known[0] is not None and known[0].origin == FEED_A
    assert [k.revised_by(x) for k, x in zip(known[:2], [edit, other_feed], strict=True) if k] == [
        True,
        False,
    ]


def test_articles_without_origin_are_keyed_by_source(
    store: Store, new_article: MakeArticle
) -> None:
    """As before 0007 (article files, callers that set none); and a feed's article matches
    such a row by its source: the rows older than 0007 whose feed was not known."""
    plain = new_article("Port strike halts traffic", PORT_STORY, guid="1", source="News")
    [first] = store.add_articles([plain])
    moved = replace(plain.article, url="https://a.example/new-link", body=ELECTION_STORY)
    assert store.known_articles([replace(moved, source="Other")]) == [None]
    [found] = store.known_articles([replace(moved, origin=FEED_A)])
    assert found is not None and found.id == first.article_id
    assert found.origin == legacy_origin("News")
    [again] = store.add_articles([replace(plain, article=replace(moved, origin=FEED_A))])
    assert (again.status, again.article_id) == ("duplicate", first.article_id)


def _article(guid: str | None = None, origin: str | None = None) -> Article:
    return Article("T", "https://e/1", "B", "News", guid=guid, origin=origin)


def test_origin_keys() -> None:
    with_origin = _article("1", FEED_A)
    assert origin_of(with_origin) == FEED_A
    assert guid_keys(with_origin) == ((FEED_A, "1"), ("source:News", "1"))
    assert guid_keys(_article("1")) == (("source:News", "1"),)
    assert guid_keys(_article(None, FEED_A)) == ()
    assert same_origin(FEED_A, "News", with_origin)
    assert not same_origin(FEED_B, "News", with_origin)
    assert same_origin("source:News", "News", with_origin)
    assert not same_origin("source:Other", "Other", with_origin)
