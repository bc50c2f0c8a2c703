"""What ``ask`` returns: the answer text and the sentences it was taken from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerSource:
    """One article an answer comes from, with the sentence taken from it."""

    title: str
    url: str
    sentence: str


@dataclass(frozen=True)
class Answer:
    """The answer text (the chosen sentences joined), its sources, and a 0..1 confidence.

    ``answer`` is "" and ``sources`` empty when nothing among the candidates answers well enough.
    """

    answer: str
    sources: tuple[AnswerSource, ...] = ()
    confidence: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.answer

    def to_json(self) -> dict[str, object]:
        """The ``digestbot ask --json`` shape fixed by the contract."""
        return {
            "answer": self.answer,
            "sources": [
                {"title": s.title, "url": s.url, "sentence": s.sentence} for s in self.sources
            ],
        }


NO_ANSWER = Answer("")
