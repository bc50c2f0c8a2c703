"""Store.update_articles: a new version of a stored article replaces what the source says and
keeps where the article stands (id, URL, story, times), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from digests.models import Summary, TopicScore
from digests.store import Store
from tests.store.builders import (
    ELECTION_STORY,
    NOW,
    PORT_STORY,
    MakeArticle,
    lightly_edited,
)

SOURCE = "https://feeds.example.com/world.xml"


def test_revision_replaces_text_topics_and_search(store: Store, new_article: MakeArticle) -> None:
    original = new_article(
        "Port strike halts container traffic", PORT_STORY, guid="port-1",
        topics={"security": 0.1}, summary="Dock workers walked off the job.",
        key_facts=("4,000 members joined the strike",),
    )
    [added] = store.add_articles([original])
    revision = new_article(
        "Mountain province votes in tight governor race", ELECTION_STORY, guid="port-1",
        url=original.article.url, topics={"security": 0.0, "migration": 0.7},
        summary="Voters went to the polls.", key_facts=("Turnout was higher",),
        published=NOW + timedelta(days=2), fetched_at=NOW + timedelta(days=2),
    )

    assert store.update_articles([(added.article_id, revision)]) == [added.article_id]

    stored = store.get_article(added.article_id)
    assert stored is not None
    assert (stored.title, stored.body) == (revision.article.title, ELECTION_STORY)
    assert stored.summary == "Voters went to the polls."
    assert stored.key_facts == ("Turnout was higher",)
    assert {t.topic: (t.score, t.member) for t in stored.topics} == {
        "security": (0.0, False), "migration": (0.7, True)
    }
    assert (stored.url, stored.story_id, stored.published, stored.fetched_at) == (
        original.article.url, added.story_id, NOW, NOW
    )
    assert [h.article.id for h in store.search("governor turnout")] == [added.article_id]
    assert store.search("container dock") == []  # the old words left the index
    assert store.count_articles() == 1
    # The old text is no longer stored: adding it again is new, not a duplicate.
    [again] = store.add_articles([replace(original, article=replace(
        original.article, url="https://mirror.example.org/port", guid=None))])
    assert again.status == "new"


def test_later_near_duplicates_match_the_new_text(store: Store, new_article: MakeArticle) -> None:
    """The LSH bands follow the revision: a lightly edited copy of the new text from another
    outlet joins the revised article's story; a copy of the old text does not."""
    [added] = store.add_articles([new_article("Port strike halts traffic", PORT_STORY)])
    revision = new_article("Election day in the mountain province", ELECTION_STORY)
    store.update_articles([(added.article_id, revision)])

    copy_of_new = new_article(
        "Province votes", ELECTION_STORY.rsplit(". ", 1)[0] + ".", url="https://other.example/v",
        source="https://other.example/feed.xml",
    )
    copy_of_old = new_article(
        "Dockers strike", lightly_edited(PORT_STORY), url="https://other.example/port",
        source="https://other.example/feed.xml",
    )
    joined, apart = store.add_articles([copy_of_new, copy_of_old])
    assert joined.story_id == added.story_id
    assert apart.story_id != added.story_id


def test_text_stored_already_and_repeats_are_skipped(
    store: Store, new_article: MakeArticle
) -> None:
    """A revision whose words another stored article has is not stored (content is unique);
    of two versions given for one article the first wins; a pruned article is skipped."""
    first, second = store.add_articles(
        [new_article("Port strike", PORT_STORY), new_article("Election", ELECTION_STORY)]
    )
    onto_second = new_article("Election", ELECTION_STORY, url="https://x.example/1")
    v1 = new_article("Port strike, day two", PORT_STORY + " Talks resume on Tuesday.")
    v2 = new_article("Port strike, day three", PORT_STORY + " The strike ended.")

    updated = store.update_articles(
        [(first.article_id, onto_second), (second.article_id, v1), (second.article_id, v2),
         (second.article_id + 100, v1)]
    )

    assert updated == [second.article_id]
    kept, changed = store.get_articles([first.article_id, second.article_id])
    assert (kept.title, kept.body) == ("Port strike", PORT_STORY)
    assert changed.title == "Port strike, day two"
    assert store.update_articles([]) == []


def test_topics_without_scores_and_facts_are_cleared(
    store: Store, new_article: MakeArticle
) -> None:
    item = new_article("Port strike", PORT_STORY, topics={"security": 0.9}, key_facts=("x",))
    [added] = store.add_articles([item])
    bare = replace(
        item,
        article=replace(item.article, body=PORT_STORY + " Update: the strike is over."),
        topics=(TopicScore("drugs", 0.2, False, ()),),
        summary=Summary("", ()),
    )
    store.update_articles([(added.article_id, bare)])
    stored = store.get_article(added.article_id)
    assert stored is not None
    assert (stored.summary, stored.key_facts) == ("", ())
    assert [(t.topic, t.member) for t in stored.topics] == [("drugs", False)]
    assert stored.source == SOURCE
