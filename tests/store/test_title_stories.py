"""A teaser (one feed's first sentence) and the full text (another feed) of one story share
a headline but few shingles: the title key links them when MinHash finds no story, unless
two full texts contradict each other. Both backends (the ``store`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from digests.models import Summary
from digests.sources.files import read_local
from digests.store import NewArticle, Store
from digests.store import fingerprints as fp
from digests.store import minhash as mh
from digests.store.db import create_engine, parse_url
from tests.store.builders import NOW, PORT_STORY, MakeArticle, lightly_edited

TITLE = "Dock workers strike at northern port after pay talks collapse"
TEASER = PORT_STORY.split(". ")[0] + "."
# Another full article (made up), as long as PORT_STORY and about something else entirely.
FLOOD_STORY = (
    "Heavy rain swelled the river through the old town on Tuesday, forcing hundreds of "
    "families to leave their homes as water rose above the embankment for the first time in "
    "forty years. Emergency crews used boats to reach residents trapped on upper floors, and "
    "the regional council opened three sports halls as shelters for the night. Forecasters "
    "said a second band of storms could bring as much rain again before the weekend, and "
    "warned farmers downstream to move livestock to higher ground. Engineers inspected the "
    "railway bridge after debris struck one of its piers, and trains between the two main "
    "stations were replaced by buses. The mayor said the new flood walls built after the last "
    "disaster had held along most of the riverfront but that a gap near the brewery had let "
    "water into the market square. Insurance companies set up mobile offices to handle "
    "claims, while volunteers filled sandbags at the fire station until late in the evening. "
    "Schools in the lower districts will stay closed until the water recedes, officials said, "
    "and drinking water should be boiled as a precaution until tests of the supply are done."
)
TEASER_FEED = "https://wire.example/teasers.xml"
FULL_FEED = "https://paper.example/world.xml"


def _teaser(make: MakeArticle, **kw: object) -> NewArticle:
    return make(TITLE, TEASER, url="https://wire.example/port", source=TEASER_FEED, **kw)


def _full(
    make: MakeArticle, title: str = TITLE, body: str = PORT_STORY, **kw: object
) -> NewArticle:
    return make(title, body, url=f"https://paper.example/{len(body)}", source=FULL_FEED, **kw)


def test_the_texts_are_what_the_tests_say() -> None:
    """The premise: MinHash alone cannot link the teaser, and the full texts are long."""
    teaser, full, flood = mh.signatures(
        [(TITLE, TEASER), (TITLE, PORT_STORY), (TITLE, FLOOD_STORY)]
    )
    assert teaser is not None and full is not None and flood is not None
    assert mh.similarity(teaser, full) < mh.SIMILARITY
    assert mh.similarity(full, flood) < fp.CONTRADICTION
    assert len(fp.words(TEASER)) < fp.LONG_BODY_WORDS
    assert min(len(fp.words(PORT_STORY)), len(fp.words(FLOOD_STORY))) >= fp.LONG_BODY_WORDS
    assert fp.title_key(TITLE) is not None


def test_teaser_then_full_text_in_two_batches(store: Store, new_article: MakeArticle) -> None:
    [teaser] = store.add_articles([_teaser(new_article)])
    [full] = store.add_articles([_full(new_article, published=NOW + timedelta(hours=2))])
    assert (teaser.status, full.status) == ("new", "new")
    assert full.article_id != teaser.article_id and full.story_id == teaser.story_id


def test_full_text_then_teaser_in_two_batches(store: Store, new_article: MakeArticle) -> None:
    [full] = store.add_articles([_full(new_article)])
    [teaser] = store.add_articles([_teaser(new_article, published=NOW - timedelta(hours=5))])
    assert teaser.status == "new" and teaser.story_id == full.story_id


@pytest.mark.parametrize("teaser_first", [True, False])
def test_teaser_and_full_text_in_one_batch(
    store: Store, new_article: MakeArticle, teaser_first: bool
) -> None:
    pair = [_teaser(new_article), _full(new_article)]
    outcomes = store.add_articles(pair if teaser_first else pair[::-1])
    assert [o.status for o in outcomes] == ["new", "new"]
    assert outcomes[0].story_id == outcomes[1].story_id
    assert len({o.article_id for o in outcomes}) == 2


def test_teasers_from_several_feeds_and_the_full_text_are_one_story(
    store: Store, new_article: MakeArticle
) -> None:
    outcomes = store.add_articles(
        [
            _teaser(new_article),
            new_article(
                TITLE + " | Wire Service",
                "Port strike: talks broke down.",
                url="https://other.example/a",
                source="https://other.example/feed",
            ),
            _full(new_article),
        ]
    )
    [late] = store.add_articles(
        [
            new_article(
                TITLE.upper(),
                "Dockers out.",
                url="https://x.example/b",
                source="https://x.example/feed",
            )
        ]
    )
    assert len({o.story_id for o in [*outcomes, late]}) == 1


def test_a_teaser_joins_through_an_article_that_joined_by_minhash(
    store: Store, new_article: MakeArticle
) -> None:
    """Batch: a full text, a near-duplicate under another headline, then a teaser of that
    headline: the teaser finds the near-duplicate's story, which is the first one's."""
    edited_title = "Port walkout strands ships as union rejects two percent offer"
    outcomes = store.add_articles(
        [
            _full(new_article, title="Port strike halts container traffic"),
            new_article(
                edited_title,
                lightly_edited(PORT_STORY),
                url="https://o.example/1",
                source="https://o.example/feed",
            ),
            new_article(
                edited_title, TEASER, url="https://t.example/1", source="https://t.example/feed"
            ),
        ]
    )
    assert [o.status for o in outcomes] == ["new"] * 3
    assert len({o.story_id for o in outcomes}) == 1


def test_two_long_different_articles_with_one_title_stay_apart(
    store: Store, new_article: MakeArticle
) -> None:
    [port] = store.add_articles([_full(new_article)])
    [flood] = store.add_articles([_full(new_article, body=FLOOD_STORY)])
    assert flood.status == "new" and flood.story_id != port.story_id
    # A teaser of that title could be either one: it starts a story of its own.
    [teaser] = store.add_articles([_teaser(new_article)])
    assert teaser.story_id not in {port.story_id, flood.story_id}


def test_two_long_different_articles_with_one_title_stay_apart_in_one_batch(
    store: Store, new_article: MakeArticle
) -> None:
    outcomes = store.add_articles(
        [_full(new_article), _full(new_article, body=FLOOD_STORY), _teaser(new_article)]
    )
    assert len({o.story_id for o in outcomes}) == 3


def test_a_story_with_a_contradicting_full_text_is_refused(
    store: Store, new_article: MakeArticle
) -> None:
    """The teaser alone does not contradict the flood article, but its story holds the port
    article under the same title, which does."""
    [teaser] = store.add_articles([_teaser(new_article)])
    [port] = store.add_articles([_full(new_article)])
    [flood] = store.add_articles([_full(new_article, body=FLOOD_STORY)])
    assert port.story_id == teaser.story_id
    assert flood.story_id != port.story_id


@pytest.mark.parametrize(("days", "together"), [(6, True), (8, False), (-8, False)])
def test_only_within_the_story_window(
    store: Store, new_article: MakeArticle, days: int, together: bool
) -> None:
    [teaser] = store.add_articles([_teaser(new_article)])
    [full] = store.add_articles([_full(new_article, published=NOW + timedelta(days=days))])
    assert (full.story_id == teaser.story_id) is together


def test_only_within_the_story_window_in_one_batch(store: Store, new_article: MakeArticle) -> None:
    outcomes = store.add_articles(
        [_teaser(new_article), _full(new_article, published=NOW + timedelta(days=8))]
    )
    assert outcomes[0].story_id != outcomes[1].story_id


@pytest.mark.parametrize(
    "title",
    [
        "Live updates: dock workers strike at northern port after pay talks collapse",
        "Morning briefing: dock workers strike at northern port after pay talks",
        "Port strike: what we know",
        "Port strike",
    ],
)
def test_generic_or_short_titles_link_nothing(
    store: Store, new_article: MakeArticle, title: str
) -> None:
    [teaser] = store.add_articles(
        [new_article(title, TEASER, url="https://wire.example/p", source=TEASER_FEED)]
    )
    [full] = store.add_articles([_full(new_article, title=title)])
    assert full.story_id != teaser.story_id


def test_minhash_decides_before_the_title(store: Store, new_article: MakeArticle) -> None:
    """A near-duplicate joins its near-duplicate's story, not the story of a teaser that
    shares its headline."""
    [port] = store.add_articles([_full(new_article, title="Port strike halts container traffic")])
    [other] = store.add_articles(
        [
            new_article(
                TITLE, "Rain floods the old town.", url="https://w.example/f", source=TEASER_FEED
            )
        ]
    )
    [edited] = store.add_articles(
        [
            new_article(
                TITLE,
                lightly_edited(PORT_STORY),
                url="https://o.example/2",
                source="https://o.example/feed",
            )
        ]
    )
    assert edited.story_id == port.story_id != other.story_id


def test_exact_duplicates_stay_duplicates(store: Store, new_article: MakeArticle) -> None:
    [full] = store.add_articles([_full(new_article)])
    again = store.add_articles([_full(new_article), _teaser(new_article), _teaser(new_article)])
    assert [o.status for o in again] == ["duplicate", "new", "duplicate"]
    assert again[0].article_id == full.article_id
    assert again[2].article_id == again[1].article_id
    assert again[1].story_id == full.story_id
    assert store.count_articles() == 2


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(parse_url(store_url))
    yield engine
    engine.dispose()


def test_the_key_is_stored_and_generic_titles_store_none(
    store: Store, new_article: MakeArticle, engine: sa.Engine
) -> None:
    [keyed] = store.add_articles([_teaser(new_article)])
    [plain] = store.add_articles(
        [new_article("Live: port strike day two", TEASER, url="https://l.ex/1")]
    )
    with engine.connect() as conn:
        keys = dict(conn.execute(sa.text("SELECT id, title_key FROM articles")).all())
    assert keys == {keyed.article_id: fp.title_key(TITLE), plain.article_id: None}


NEWS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "feeds" / "news"
HEZBOLLAH = "Hezbollah rejects disarmament plan and government's four-month timeline"


@pytest.mark.corpus
def test_the_audit_example_is_one_story(sqlite_store: Store) -> None:
    """The audit's case from corpus/feeds/news: al-monitor's article, japantoday's teaser."""
    if not NEWS.is_dir():
        pytest.skip(f"corpus not found at {NEWS}")
    found: dict[str, NewArticle] = {}
    for name in ("al-monitor", "japantoday_world"):
        [path] = NEWS.glob(f"{name}__*.xml")
        [article] = [a for a in read_local(path).articles if a.title == HEZBOLLAH]
        found[name] = NewArticle(article, (), Summary(""), NOW)
    [full] = sqlite_store.add_articles([found["al-monitor"]])
    [teaser] = sqlite_store.add_articles([found["japantoday_world"]])
    assert teaser.status == "new" and teaser.story_id == full.story_id
