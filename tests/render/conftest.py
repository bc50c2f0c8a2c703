"""Digests the renderer tests share: a fixed one for golden files, a hostile one, big ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from digests.models import Digest, DigestItem, SourceLink

UNTIL = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)
SINCE = UNTIL - timedelta(hours=24)

HOSTILE = (
    "<!channel> <!here> <@U123> @everyone @here <@123> <@&456> <#789> "
    "<script>alert(1)</script> [click](http://evil) **bold** <http://evil|click> a|b > c & d"
)


def make_digest(items: tuple[DigestItem, ...], **overrides: object) -> Digest:
    fields: dict[str, object] = {
        "topic": "security",
        "since": SINCE,
        "until": UNTIL,
        "items": items,
        "window": "24h",
        "description": "War, terrorism, military, intelligence, cyberattacks, organised crime.",
        "color": "#C0392B",
        "generated_at": UNTIL,
    }
    fields.update(overrides)
    return Digest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def fixed_digest() -> Digest:
    return build_fixed()


@pytest.fixture
def hostile_digest() -> Digest:
    return build_hostile()


def build_fixed() -> Digest:
    """Two stories, one updated, one with several sources and key facts; a cap left 3 out."""
    items = (
        DigestItem(
            story_id=41,
            title="Ceasefire talks resume in Geneva as shelling eases",
            url="https://news.example.org/world/ceasefire-talks",
            summary=(
                "Negotiators returned to Geneva on Tuesday. Both delegations said a prisoner "
                "exchange was on the table. Shelling along the front line eased overnight."
            ),
            sources=(
                SourceLink(
                    "Ceasefire talks resume",
                    "https://news.example.org/world/ceasefire-talks",
                    "Example News",
                ),
                SourceLink(
                    "Geneva talks: what we know",
                    "https://wire.example.com/a/123?x=1&y=2",
                    "Example Wire",
                ),
                SourceLink("Talks resume (local copy)", "file:///srv/articles/talks.txt", ""),
            ),
            published=UNTIL - timedelta(hours=2),
            score=0.81,
            key_facts=(
                "Talks resumed on Tuesday in Geneva.",
                "A prisoner exchange is being discussed.",
            ),
        ),
        DigestItem(
            story_id=7,
            title="Ransomware group claims attack on port operator",
            url="https://security.example.net/ransomware-port",
            summary="A ransomware group said it stole 2 TB of data from a port operator's systems.",
            sources=(
                SourceLink(
                    "Ransomware group claims port attack",
                    "https://security.example.net/ransomware-port",
                    "Sec Daily",
                ),
            ),
            published=UNTIL - timedelta(hours=9, minutes=30),
            score=0.62,
            updated=True,
        ),
    )
    return make_digest(items, more=3, archive_url="https://digest.example.org/security/2026-02-11")


@pytest.fixture
def empty_digest() -> Digest:
    return make_digest((), description="")


def build_hostile() -> Digest:
    """Feed text trying every trick: pings, markup, scripts, a javascript: link."""
    item = DigestItem(
        story_id=666,
        title=HOSTILE,
        url="javascript:alert(document.cookie)",
        summary=HOSTILE,
        sources=(
            SourceLink(HOSTILE, "javascript:alert(1)", HOSTILE),
            SourceLink("ok", "https://example.org/a_(b)<c>|d", "[click](http://evil) @everyone"),
        ),
        published=UNTIL,
        key_facts=(HOSTILE,),
    )
    return make_digest((item,), description=HOSTILE)


@pytest.fixture
def big_digest() -> Callable[..., Digest]:
    return build_big


def build_big(
    n: int, summary_chars: int = 400, n_sources: int = 3, facts: int = 3, title_repeat: int = 30
) -> Digest:
    """A digest of ``n`` stories, each summary ``summary_chars`` long, with ``n_sources`` each."""
    if True:
        items = []
        for i in range(n):
            words = f"Story {i} & <sentence> about *events* "
            summary = (words * (summary_chars // len(words) + 1))[:summary_chars]
            items.append(
                DigestItem(
                    story_id=i,
                    title=f"Story {i}: " + "a long headline " * title_repeat,
                    url=f"https://news.example.org/{i}",
                    summary=summary,
                    sources=tuple(
                        SourceLink(
                            f"Source {j} on story {i}",
                            f"https://s{j}.example.com/{i}/" + "p" * 60,
                            f"Outlet {j}",
                        )
                        for j in range(n_sources)
                    ),
                    published=UNTIL - timedelta(minutes=i),
                    key_facts=tuple(
                        f"Fact {k} of story {i}: " + "detail " * 40 for k in range(facts)
                    ),
                )
            )
        return make_digest(tuple(items), more=5)
