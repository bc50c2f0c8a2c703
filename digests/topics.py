"""Topic classification: weighted terms from configuration, matched once per article. Pure.

A topic is configuration (``TopicDefinition``, the YAML shape), not code. Classification is a
weighted term match, because it must be explainable (the evidence is the matched terms), fast
enough for the ingest hot path, and tunable by users without retraining anything:

- ``terms`` count wherever they occur; ``context_terms`` ("attack", "police", "border") count only
  near a strong term, so a football match's "defence" is not security;
- ``exclude`` phrases hide their words from the topic ("social security", "data migration");
- negative weights count against ("striker", "FDA approval");
- the title counts ``title_weight`` times and the body is normalised by its length, so a passing
  mention in a long article is not the topic, while one strong term in a short feed item is.

Matching ignores case and accents, respects word boundaries, matches multi-word phrases and
simple inflections of every configured word (plural, -ed, -ing); a configured word in capitals
("ICE", "NATO") only matches in capitals, so "ice hockey" is not immigration enforcement.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from digests.errors import ConfigError
from digests.models import TopicScore
from digests.yamlload import SafeLoader

__all__ = ["TopicDefinition", "classify", "default_topics", "load_topics"]

# Evidence (summed weights) at which the score is 0.5: about one strong term in a short item.
EVIDENCE_AT_HALF = 3.0
# Bodies up to this many tokens (a feed summary) are not normalised; longer ones by
# ratio ** BODY_NORM_EXPONENT. 0.7 rather than sqrt: on 289 long real articles (bench
# topics_eval "long") it lifted macro-F1 from 0.775 to 0.828 (fewer topics claimed by articles
# that only discuss them in passing), the short-item sets unchanged.
BODY_NORM_TOKENS = 80
BODY_NORM_EXPONENT = 0.7
# A context term counts when a strong term is within this many tokens of it (or in the title).
CONTEXT_WINDOW = 40
# "A passing mention is not the topic": when the title says nothing about the topic and all of
# the body's evidence sits in one stretch of PASSAGE_TOKENS of a body at least PASSAGES long,
# the body's evidence counts only PASSING_FACTOR as much.
PASSAGE_TOKENS = 30
PASSAGES = 2
PASSING_FACTOR = 0.5
MAX_EVIDENCE = 8
# Compiled definitions by identity (the entry keeps its definition alive, so ids stay unique).
_COMPILED: dict[int, _Matcher] = {}
_COMPILED_MAX = 256

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_VOWELS = frozenset("aeiou")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


class TopicDefinition(BaseModel):
    """One topic as configured in YAML: what it means and which words decide it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    terms: dict[str, float]
    context_terms: dict[str, float] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list)
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    title_weight: float = Field(default=1.5, ge=1.0, le=10.0)
    anchor_weight: float = Field(default=2.0, gt=0.0)
    color: str = "#607D8B"

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("description must not be empty")
        return value.strip()

    @field_validator("terms")
    @classmethod
    def _terms(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("terms must not be empty")
        _check_weights("terms", value, allow_negative=True)
        if not any(w > 0 for w in value.values()):
            raise ValueError("terms need at least one positive weight")
        return value

    @field_validator("context_terms")
    @classmethod
    def _context_terms(cls, value: dict[str, float]) -> dict[str, float]:
        _check_weights("context_terms", value, allow_negative=False)
        return value

    @field_validator("exclude")
    @classmethod
    def _exclude(cls, value: list[str]) -> list[str]:
        for phrase in value:
            if not _words(phrase):
                raise ValueError(f"exclude: {phrase!r} has no words")
        return value

    @field_validator("color")
    @classmethod
    def _color(cls, value: str) -> str:
        if not _COLOR.match(value):
            raise ValueError(f"color must look like '#RRGGBB', not {value!r}")
        return value.upper()

    @model_validator(mode="after")
    def _no_overlap(self) -> TopicDefinition:
        both = sorted(set(self.terms) & set(self.context_terms))
        if both:
            raise ValueError(f"in both terms and context_terms: {', '.join(both)}")
        return self


def _check_weights(field: str, weights: Mapping[str, float], *, allow_negative: bool) -> None:
    for term, weight in weights.items():
        if not _words(term):
            raise ValueError(f"{field}: {term!r} has no words")
        if not math.isfinite(weight) or weight == 0:
            raise ValueError(f"{field}: weight of {term!r} must be a non-zero number")
        if weight < 0 and not allow_negative:
            raise ValueError(f"{field}: weight of {term!r} must be positive")


def _matcher_of(definition: TopicDefinition) -> _Matcher:
    """The compiled form of a definition, built on first use and then reused."""
    hit = _COMPILED.get(id(definition))
    if hit is not None and hit.definition is definition:
        return hit
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    compiled = _COMPILED[id(definition)] = _Matcher.build(definition)
    return compiled


# --- text -> tokens -----------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Curly apostrophes to straight ones, accents dropped (Bogotá = Bogota)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def _words(text: str) -> list[str]:
    """Word tokens in original case, possessive 's dropped; hyphens split words."""
    out = _TOKEN.findall(_fold(text))
    if "'" not in text and "\u2019" not in text:
        return out
    words = []
    for tok in out:
        if tok[-2:] in ("'s", "'S"):
            tok = tok[:-2]
        if tok := tok.strip("'"):
            words.append(tok)
    return words


def _is_caps(word: str) -> bool:
    return len(word) >= 2 and word.isupper()


@dataclass(frozen=True, slots=True)
class _Tokens:
    """A field's words as written (for acronym checks) and lowercased (for lookup)."""

    words: tuple[str, ...]
    low: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> _Tokens:
        words = _words(text)
        return cls(tuple(words), tuple(w.lower() for w in words))


def _inflections(word: str) -> set[str]:
    """Simple English inflections of one configured word (overgenerating is harmless)."""
    forms = {word}
    if len(word) < 3 or not word.isalpha():
        return forms | {word + "s"} if word.isalpha() else forms
    forms.add(word + "s")
    if word.endswith(("s", "x", "z", "ch", "sh", "o")):
        forms.add(word + "es")
    if word.endswith("y") and word[-2] not in _VOWELS:
        forms.update({word[:-1] + "ies", word[:-1] + "ied"})
    if word.endswith("e"):
        forms.update({word + "d", word[:-1] + "ing"})
    else:
        forms.update({word + "ed", word + "ing"})
    if (
        word[-1] not in _VOWELS | {"w", "x", "y"}
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
    ):
        forms.update({word + word[-1] + "ed", word + word[-1] + "ing"})  # stop -> stopped
    return forms


# --- compiled topic -------------------------------------------------------------------------------

_TERM, _CONTEXT, _EXCLUDE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Entry:
    label: str  # the term as configured, shown as evidence
    weight: float
    kind: int
    caps: tuple[str | None, ...]  # per word: the capitals it must have, or None
    surface: tuple[str, ...]  # the configured words, lowercased (exact forms win ties)

    def fits(self, words: tuple[str, ...]) -> bool:
        """Words configured in capitals match only in capitals (a plural "s" may follow)."""
        for need, got in zip(self.caps, words, strict=True):
            if need is not None and got != need and got != need + "s":
                return False
        return True


@dataclass(frozen=True, slots=True)
class _Match:
    entry: _Entry
    pos: int


@dataclass(frozen=True)
class _Matcher:
    """A topic's terms as a phrase table: lowercased word tuples -> entries, longest match wins."""

    table: Mapping[tuple[str, ...], tuple[_Entry, ...]]
    longest: Mapping[str, int]  # first word -> longest phrase starting with it
    definition: TopicDefinition

    @classmethod
    def build(cls, definition: TopicDefinition) -> _Matcher:
        table: dict[tuple[str, ...], list[_Entry]] = {}
        longest: dict[str, int] = {}
        specs: list[tuple[str, float, int]] = [
            *((t, w, _TERM) for t, w in definition.terms.items()),
            *((t, w, _CONTEXT) for t, w in definition.context_terms.items()),
            *((t, 0.0, _EXCLUDE) for t in definition.exclude),
        ]
        for label, weight, kind in specs:
            words = _words(label)
            caps = tuple(w if _is_caps(w) else None for w in words)
            surface = tuple(w.lower() for w in words)
            entry = _Entry(label, float(weight), kind, caps, surface)
            for key in _expand(surface, caps):
                table.setdefault(key, []).append(entry)
                longest[key[0]] = max(longest.get(key[0], 0), len(key))
        return cls({k: tuple(v) for k, v in table.items()}, longest, definition)

    def find(self, tokens: _Tokens) -> list[_Match]:
        """Greedy longest-first matches, left to right; excluded phrases consume their words."""
        low, words = tokens.low, tokens.words
        longest, table, n = self.longest, self.table, len(low)
        out: list[_Match] = []
        free = 0  # words before this index were consumed by a longer match
        for i in [i for i, w in enumerate(low) if w in longest]:
            if i < free:
                continue
            for size in range(min(longest[low[i]], n - i), 0, -1):
                entries = table.get(low[i : i + size])
                if entries is None:
                    continue
                entry = _pick(entries, low[i : i + size], words[i : i + size])
                if entry is not None:
                    if entry.kind != _EXCLUDE:
                        out.append(_Match(entry, i))
                    free = i + size
                    break
        return out


def _expand(surface: tuple[str, ...], caps: tuple[str | None, ...]) -> Iterable[tuple[str, ...]]:
    options = [
        {word, word + "s"} if need is not None else _inflections(word)
        for word, need in zip(surface, caps, strict=True)
    ]
    keys: list[tuple[str, ...]] = [()]
    for forms in options:
        keys = [(*key, form) for key in keys for form in forms]
    return keys


def _pick(
    entries: tuple[_Entry, ...], low: tuple[str, ...], words: tuple[str, ...]
) -> _Entry | None:
    """The entry these words match: one configured in exactly these words wins over inflections."""
    if len(entries) == 1:
        return entries[0] if entries[0].fits(words) else None
    fitting = [e for e in entries if e.fits(words)]
    for entry in fitting:
        if entry.surface == low:
            return entry
    return fitting[0] if fitting else None


# --- scoring ------------------------------------------------------------------------------------


def _repeat(count: int) -> float:
    """Diminishing returns: the tenth "war" in a text adds less than the second."""
    return 1.0 + math.log(count)


def _score(
    definition: TopicDefinition,
    title: list[_Match],
    body: list[_Match],
    body_len: int,
) -> tuple[float, tuple[str, ...]]:
    if not title and not body:
        return 0.0, ()
    anchor = definition.anchor_weight
    title_anchor = any(m.entry.kind == _TERM and m.entry.weight >= anchor for m in title)
    anchors = [m.pos for m in body if m.entry.kind == _TERM and m.entry.weight >= anchor]

    def counts(m: _Match, in_title: bool) -> bool:
        if m.entry.kind != _CONTEXT:
            return True
        if title_anchor:
            return True
        if in_title:
            return bool(anchors)
        return any(abs(p - m.pos) <= CONTEXT_WINDOW for p in anchors)

    title_hits: dict[str, float] = {}
    for m in title:
        if counts(m, True):
            title_hits[m.entry.label] = m.entry.weight
    body_counts: dict[str, int] = {}
    body_weight: dict[str, float] = {}
    for m in body:
        if counts(m, False):
            body_counts[m.entry.label] = body_counts.get(m.entry.label, 0) + 1
            body_weight[m.entry.label] = m.entry.weight
    norm = max(1.0, (body_len / BODY_NORM_TOKENS) ** BODY_NORM_EXPONENT)
    if not any(w > 0 for w in title_hits.values()) and body_len >= PASSAGE_TOKENS * PASSAGES:
        passages = {m.pos // PASSAGE_TOKENS for m in body if m.entry.weight > 0}
        if len(passages) <= 1:
            norm /= PASSING_FACTOR
    contrib: dict[str, float] = {}
    for label, weight in title_hits.items():
        contrib[label] = weight * definition.title_weight
    for label, count in body_counts.items():
        contrib[label] = contrib.get(label, 0.0) + body_weight[label] * _repeat(count) / norm
    raw = sum(contrib.values())
    score = raw / (raw + EVIDENCE_AT_HALF) if raw > 0 else 0.0
    evidence = sorted((c, label) for label, c in contrib.items() if c > 0)
    return score, tuple(label for _, label in reversed(evidence))[:MAX_EVIDENCE]


def classify(
    title: str, body: str, topics: Mapping[str, TopicDefinition]
) -> tuple[TopicScore, ...]:
    """One ``TopicScore`` per topic, in the mapping's order; an article may belong to several."""
    title_tokens = _Tokens.of(title)
    body_tokens = _Tokens.of(body)
    out = []
    for name, definition in topics.items():
        matcher = _matcher_of(definition)
        score, evidence = _score(
            definition,
            matcher.find(title_tokens),
            matcher.find(body_tokens),
            len(body_tokens.low),
        )
        score = round(score, 4)
        out.append(TopicScore(name, score, score >= definition.threshold, evidence))
    return tuple(out)


# --- loading ------------------------------------------------------------------------------------


def load_topics(mapping: Mapping[str, Any]) -> dict[str, TopicDefinition]:
    """Validate a ``topics:`` mapping; every problem is reported at once as a ``ConfigError``."""
    if not isinstance(mapping, Mapping):
        raise ConfigError(
            [f"topics must be a mapping of name to definition, not {type(mapping).__name__}"]
        )
    problems: list[str] = []
    topics: dict[str, TopicDefinition] = {}
    for name, raw in mapping.items():
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(f"topic name {name!r}: use 1-40 lowercase letters, digits, '-' or '_'")
            continue
        if not isinstance(raw, Mapping):
            problems.append(f"topic {name!r}: must be a mapping with description and terms")
            continue
        try:
            topics[name] = TopicDefinition.model_validate(raw)
        except ValidationError as e:
            problems.extend(f"topic {name!r}: {message}" for message in _messages(e))
    if problems:
        raise ConfigError(problems)
    return topics


def _messages(error: ValidationError) -> list[str]:
    out = []
    for item in error.errors():
        loc = ".".join(str(part) for part in item["loc"])
        kind = item["type"]
        msg = str(item["msg"]).removeprefix("Value error, ")
        if kind == "missing":
            out.append(f"{loc} is required")
        elif kind == "extra_forbidden":
            out.append(f"unknown field {loc!r}")
        elif kind == "value_error":
            out.append(msg)
        else:
            out.append(f"{loc}: {msg}" if loc else msg)
    return out


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[str, TopicDefinition], ...]:
    text = resources.files("digests").joinpath("defaults/topics.yaml").read_text("utf-8")
    data = yaml.load(text, Loader=SafeLoader)  # noqa: S506 - the safe loader (libyaml's)
    return tuple(load_topics(data["topics"]).items())


def default_topics() -> dict[str, TopicDefinition]:
    """The shipped topics (security, migration, drugs) from ``digests/defaults/topics.yaml``."""
    return dict(_shipped())
