"""Per-subscription story filters on top of the topic: keywords or /regex/, and a min score.

Pure. ``include``: an article must match at least one (when any are given); ``exclude``: an
article matching any is left out. A keyword matches as a whole word, case-insensitively; a
``/pattern/`` is a case-insensitive regular expression. Both look at the title and summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from digests.errors import UsageError
from digests.models import StoredArticle

MAX_PATTERN = 200


@dataclass(frozen=True)
class StoryFilter:
    """What a subscription keeps of its topic's articles."""

    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    min_score: float = 0.0

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> StoryFilter:
        """From a subscription's ``options["filters"]`` (``FilterSettings`` as JSON)."""
        raw = options.get("filters") or {}
        if not isinstance(raw, Mapping):
            raise UsageError("subscription filters must be a mapping")
        try:
            min_score = float(raw.get("min_score") or 0.0)
        except (TypeError, ValueError):
            raise UsageError(f"bad filter min_score {raw.get('min_score')!r}") from None
        return cls(
            include=compile_terms(raw.get("include") or ()),
            exclude=compile_terms(raw.get("exclude") or ()),
            min_score=min_score,
        )

    @property
    def active(self) -> bool:
        return bool(self.include or self.exclude or self.min_score)

    def keep(self, article: StoredArticle, topic: str) -> bool:
        if self.min_score and article.topic_score(topic) < self.min_score:
            return False
        text = f"{article.title}\n{article.summary}"
        if self.include and not any(p.search(text) for p in self.include):
            return False
        return not any(p.search(text) for p in self.exclude)

    def apply(self, articles: Iterable[StoredArticle], topic: str) -> list[StoredArticle]:
        return [a for a in articles if self.keep(a, topic)]


def compile_terms(terms: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """Keywords and ``/regex/`` strings as patterns; a bad one is a one-line UsageError."""
    return tuple(compile_term(str(term)) for term in terms if str(term).strip())


def compile_term(term: str) -> re.Pattern[str]:
    term = term.strip()
    if len(term) > MAX_PATTERN:
        raise UsageError(f"filter {term[:40]!r}...: longer than {MAX_PATTERN} characters")
    if len(term) >= 2 and term.startswith("/") and term.endswith("/"):
        try:
            return re.compile(term[1:-1], re.IGNORECASE)
        except re.error as e:
            raise UsageError(f"filter {term!r}: bad regular expression ({e})") from None
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
