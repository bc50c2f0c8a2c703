"""The ask test set: short news articles in data/articles (first line the title), the shared
sample article read by path, and data/questions.jsonl (question, expected fact or null)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from digests.models import StoredArticle
from digests.text import STOPWORDS, stem, tokens

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_NAME = "noem-colombia-visit"
SAMPLE = Path(__file__).resolve().parents[2] / "config" / "samples" / f"{SAMPLE_NAME}.txt"
NOW = datetime(2025, 4, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Question:
    question: str
    expected: str | None  # a substring the answer must hold; None: the answer must be ""
    article: str | None = None
    also: tuple[str, ...] = ()  # other substrings that are right too (an ambiguous question)

    def right(self, answer: str) -> bool:
        """The answer holds the expected fact (or, with none expected, is empty)."""
        if self.expected is None:
            return answer == ""
        return any(e in answer for e in (self.expected, *self.also))


def read_title_body(path: Path) -> tuple[str, str]:
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return title.strip(), body


def article_paths(*, with_sample: bool = True) -> list[Path]:
    paths = sorted((DATA / "articles").glob("*.txt"))
    if with_sample and SAMPLE.exists():
        paths.append(SAMPLE.resolve())
    return paths


def stored(path: Path, article_id: int) -> StoredArticle:
    title, body = read_title_body(path)
    return StoredArticle(
        id=article_id,
        title=title,
        url=path.resolve().as_uri(),
        body=body,
        source="file",
        published=NOW,
        fetched_at=NOW,
        story_id=article_id,
    )


def articles(*, with_sample: bool = True) -> list[StoredArticle]:
    return [stored(p, i) for i, p in enumerate(article_paths(with_sample=with_sample), 1)]


def questions() -> list[Question]:
    """Every question whose article is at hand (the sample's only when the sample is)."""
    out = []
    for line in (DATA / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("article") == SAMPLE_NAME and not SAMPLE.exists():
            continue
        out.append(Question(row["question"], row["expected"], row.get("article")))
    return out


def _words(text: str) -> set[str]:
    return {stem(t)[:5] for t in tokens(text) if t not in STOPWORDS}


def top_by_overlap(
    question: str, candidates: Sequence[StoredArticle], k: int
) -> list[StoredArticle]:
    """What a ranked full-text search would hand over: the k articles sharing the most
    question words, weighted by idf (title words count twice)."""
    q = _words(question)
    docs = [(_words(a.title), _words(a.body)) for a in candidates]
    n = len(docs)
    idf = {w: math.log(1 + n / (1 + sum(1 for t, b in docs if w in t or w in b))) for w in q}
    scores = [sum(idf[w] * (2 * (w in t) + (w in b)) for w in q) for t, b in docs]
    order = sorted(range(n), key=lambda i: -scores[i])
    return [candidates[i] for i in order[:k]]


# --- the newsroom: real stored news, asked through the store ------------------------------

REPO = Path(__file__).resolve().parents[2]
NEWS_FEEDS = REPO.parent / "shared" / "corpus" / "feeds" / "news"
FRESH = REPO / "tests" / "topics" / "data" / "fresh_articles.jsonl"


def news_questions() -> list[Question]:
    """Questions over the newsroom (``newsroom_sources``): expected fact, or None when nothing
    stored answers it (nonsense about stored topics, things never reported)."""
    out = []
    for line in (DATA / "news_questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            expected = row["expected"]
            if isinstance(expected, list):  # several right answers: the first, and the others
                out.append(Question(row["question"], expected[0], also=tuple(expected[1:])))
            else:
                out.append(Question(row["question"], expected))
    return out


def write_fresh_articles(folder: Path) -> Path:
    """The 160 news articles of the topics tests as article files (title on the first line),
    so ``ingest`` stores them beside the corpus feeds; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, line in enumerate(FRESH.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            row = json.loads(line)
            (folder / f"fresh-{i:03d}.txt").write_text(
                f"{row['title']}\n{row['text']}\n", encoding="utf-8"
            )
    return folder


def newsroom_sources(scratch: Path) -> list[Path]:
    """What the newsroom store ingests: the 27 real news feeds of the shared corpus, the
    shared sample and the fresh articles (written under ``scratch``). [] without the corpus."""
    if not NEWS_FEEDS.exists() or not FRESH.exists():
        return []
    sources = [NEWS_FEEDS, write_fresh_articles(scratch / "fresh")]
    if SAMPLE.exists():
        sources.append(SAMPLE.parent)
    return sources
