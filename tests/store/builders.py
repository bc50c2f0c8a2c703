"""Builders for store tests: articles with sensible defaults, a fixed clock, sample texts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from digests.models import Article, Summary, TopicScore
from digests.store import NewArticle

NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)

MakeArticle = Callable[..., NewArticle]


def make_article(
    title: str = "Ceasefire talks resume in Cairo",
    body: str = "Negotiators met in Cairo on Thursday to resume talks on a ceasefire.",
    *,
    url: str | None = None,
    source: str = "https://feeds.example.com/world.xml",
    guid: str | None = None,
    published: datetime | None = NOW,
    topics: dict[str, float] | None = None,
    evidence: tuple[str, ...] = (),
    summary: str = "",
    key_facts: tuple[str, ...] = (),
    fetched_at: datetime = NOW,
    threshold: float = 0.5,
) -> NewArticle:
    """A NewArticle; ``topics`` maps topic -> score (member when score >= threshold)."""
    if url is None:
        url = "https://news.example.com/" + "-".join(title.lower().split()[:6])
    scores = tuple(
        TopicScore(topic, score, score >= threshold, evidence)
        for topic, score in (topics or {}).items()
    )
    return NewArticle(
        article=Article(
            title=title, url=url, body=body, source=source, published=published, guid=guid
        ),
        topics=scores,
        summary=Summary(summary, key_facts),
        fetched_at=fetched_at,
    )


# Two unrelated made-up news texts, long enough for near-duplicate detection.
PORT_STORY = (
    "Dock workers at the northern port walked off the job on Monday after talks over pay "
    "broke down late on Sunday night. The union said more than four thousand members had "
    "joined the strike, which halted container traffic at three of the five terminals. "
    "Shipping companies warned that dozens of vessels were already waiting at anchor outside "
    "the harbour and that delays would spread to inland rail depots within days. The port "
    "authority called the walkout unlawful and said it would ask a court to order staff back "
    "to work. Union leaders replied that the offer of a two percent rise did not cover the "
    "cost of living and that members had voted overwhelmingly for action. Retailers said "
    "supplies of fresh fruit and electronics could run short before the holiday season. The "
    "transport minister urged both sides to return to the table and offered to appoint an "
    "independent mediator. Economists estimated that each day of the stoppage would cost the "
    "regional economy tens of millions in lost trade. Police reported no incidents at the "
    "picket lines, where strikers gathered around braziers through the night."
)
ELECTION_STORY = (
    "Voters in the mountain province went to the polls on Sunday in an election seen as a "
    "test for the governing coalition. Turnout was higher than at the last vote, officials "
    "said, with long queues reported at schools used as polling stations. The opposition "
    "candidate, a former mayor, campaigned on promises to repair roads and reopen rural "
    "clinics. The incumbent governor pointed to new investment in tourism and a fall in "
    "unemployment. Early results are expected on Monday morning, and a run-off will be held "
    "in three weeks if no candidate wins more than half of the votes. Observers from a "
    "regional body said voting had been orderly, though they noted complaints about missing "
    "names on the electoral rolls in several villages."
)


def lightly_edited(body: str) -> str:
    """The same story as another outlet runs it: two sentences reworded, the last dropped."""
    sentences = body.split(". ")
    sentences[1] = "According to the union, upwards of four thousand members are on strike"
    sentences[4] = "Officials at the port described the action as illegal and plan a court bid"
    return ". ".join(sentences[:-1]) + "."
