"""Answer a question with one or two sentences from stored articles, or refuse.

Extractive on purpose: the answer is always text a publisher wrote, with its source, so a reader
can check it. Each candidate sentence is scored against the question by idf-weighted term
coverage (idf over the candidate sentences; the article's title and the sentence's neighbours
count as weaker context), proximity of the matched terms, and whether the sentence holds the
kind of thing the question asks for (a number for "how many", a date for "when", a name for
"who", a place for "where", a cause for "why"). Below a calibrated confidence the answer is
empty: an unrelated sentence dressed up as an answer is worse than none.

``answer`` is pure over candidate articles; ``ask`` is the thin retrieval glue over a store.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from digests.models import StoredArticle
from digests.text import STOPWORDS, is_heading, split_sentences, stem, tokens

__all__ = [
    "MIN_CONFIDENCE",
    "Answer",
    "AnswerSource",
    "SearchableStore",
    "answer",
    "ask",
    "search_query",
]

log = logging.getLogger(__name__)

MIN_CONFIDENCE = 0.55
"""Below this the answer is empty. Calibrated on tests/ask/data (see bench/ask_eval.py)."""

MAX_QUESTION_CHARS = 1000  # a longer question is cut: nobody asks 10 kB, but a paste might
MAX_QUESTION_TERMS = 24
MAX_BODY_CHARS = 40_000  # of each article; news answers sit early, and pastes can be huge
MAX_CANDIDATES = 50
SEARCH_LIMIT = 20  # articles retrieved: the best sentence may sit in a lower-ranked article
_FALLBACK_WORDS = 6  # words searched one by one when the whole query finds too little
_SECOND_RATIO = 0.9  # a second sentence must score at least this share of the first
_COMPLEMENT_RATIO = 0.7  # ... or this much, when it holds the answer type the first lacks
# A question word found not in the sentence but in its article still says the sentence is about
# the asked thing: by how much, in the title, in the next or previous sentence, elsewhere.
_IN_TITLE, _NEAR, _IN_ARTICLE = 0.7, 0.5, 0.35
_CONTEXT = 0.5  # share of the score that comes from that context


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


# --- the question -------------------------------------------------------------------------


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that say what kind of answer is wanted or how it is phrased, not what it is about.
_QUESTION_NOISE = _wordset(
    """
    how many much long old far often big large high fast what which who whom whose where when
    why did does do done happen happened happens according report reported reports tell know
    name named exactly please news article articles story say said says think
    """
)

# Question types and the phrases that announce them (searched in the lowercased question).
_TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "reason",
        re.compile(
            r"\bwhy\b|\bhow come\b|\bwhat (?:caused|causes|led to|leads to|prompted|triggered|"
            r"drove|is the reason|was the reason|were the reasons?)\b|\bfor what reason\b|"
            r"\bwhat is behind\b|\bwhat was behind\b"
        ),
    ),
    (
        "time",
        re.compile(
            r"\bwhen\b|\b(?:what|which) (?:time|year|day|date|month|week|hour)\b|"
            r"\bat what time\b|\bhow long ago\b|\bsince when\b|\bby when\b"
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhow (?:many|much|long|old|far|big|large|high|low|deep|often|fast|tall|heavy)\b|"
            r"\bwhat (?:percentage|percent|share|proportion|number|amount|sum|total|figure)\b"
        ),
    ),
    ("person", re.compile(r"\b(?:who|whom|whose)\b")),
    (
        "place",
        re.compile(
            r"\bwhere\b|\b(?:what|which|in what|in which) (?:city|cities|country|countries|town|"
            r"towns|place|places|region|regions|state|states|province|port|area|village|"
            r"district|continent)\b"
        ),
    ),
)

# Nouns that, asked for by "what ... <noun>", prefer a sentence with a number (soft).
_NUMERIC_NOUNS = _wordset(
    """
    rate score price cost turnout total figure amount population percentage percent share toll
    number count value budget salary fine ransom death deaths
    """
)


@lru_cache(maxsize=65536)  # called for every token of every candidate: most are repeats
def _fold(word: str) -> str:
    """Lowercase without accents, so "Bogota" finds "Bogotá"."""
    if word.isascii():  # nothing to decompose
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Irregular verb forms and a few news synonyms the suffix stripper cannot join ("began" and
# "begin", "died" and "killing"), mapped to one key.
_LEMMAS: dict[str, str] = {
    form: base
    for base, forms in {
        "begin": "began begun", "meet": "met", "win": "won", "take": "took taken",
        "give": "gave given", "go": "went gone", "come": "came", "see": "saw seen",
        "tell": "told", "find": "found", "hold": "held", "leave": "left", "lose": "lost",
        "pay": "paid", "send": "sent", "spend": "spent", "build": "built", "bring": "brought",
        "buy": "bought", "catch": "caught", "fight": "fought", "think": "thought",
        "strike": "struck stricken", "fall": "fell fallen", "rise": "rose risen",
        "grow": "grew grown", "drive": "drove driven", "fly": "flew flown", "shoot": "shot",
        "steal": "stole stolen", "choose": "chose chosen", "write": "wrote written",
        "speak": "spoke spoken", "break": "broke broken", "freeze": "froze frozen",
        "sell": "sold", "keep": "kept", "lead": "led", "flee": "fled", "hide": "hid hidden",
        "seek": "sought", "teach": "taught", "understand": "understood", "stand": "stood",
        "sit": "sat", "run": "ran", "eat": "ate eaten", "draw": "drew drawn", "lend": "lent",
        "swear": "swore sworn", "forbid": "forbade forbidden", "bear": "bore borne",
        "die": "died dies dying dead death deaths kill kills killed killing fatality "
        "fatalities",
    }.items()
    for form in forms.split()
}


@lru_cache(maxsize=65536)
def _key(token: str) -> str:
    folded = _fold(token)
    return _LEMMAS.get(folded) or stem(folded)


# Words that say little about what a question is about; they count for a third.
_GENERIC = _wordset(
    """
    people person persons new recent latest current thing things way ways lot lots
    """
)
_AUX = _wordset(
    """
    is was are were be been did does do has have had will would can could should may might must
    kind type sort
    """
)
_CAP_RUN = re.compile(
    r"(?<![\w'’])[A-Z][\w'’-]*(?:\s+(?:(?:of|for|and|de|del|la|the)\s+)?[A-Z][\w'’-]*)*"
)


# Where the counted thing of "how many X were Y during Z" ends.
_PREPOSITION = re.compile(
    r"\b(?:during|in|at|by|over|after|before|from|of|on|for|since|to|with|across|amid|"
    r"following|under|near|inside|outside|against|about)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Term:
    key: str  # folded, lemmatised
    weight: float  # 1.0, or less for generic words
    proper: bool  # written capitalised mid-question: a name, which an answer must be about
    alt: str = ""  # the acronym of the name it is part of ("European Central Bank" -> "ecb")
    group: int = -1  # terms of one name ("Fort St. John") share one name's weight


@dataclass(frozen=True)
class _Question:
    text: str
    qtype: str  # reason | time | number | person | place | entity | other
    terms: tuple[_Term, ...]
    numeric_hint: bool
    words: frozenset[str]  # every folded word of the question, to spot answers it already holds
    focus: frozenset[str] = frozenset()  # "how many X": keys of X, one must be in the answer
    head: str = ""  # "which X": the key of X, which a name in the answer should go with


def _acronym(run: str) -> str:
    return "".join(w[0] for w in run.split() if w[:1].isupper()).lower()


def _qtype(lowered: str) -> str:
    """The first announced type by position in the question ("Who ... when" is a who)."""
    best: tuple[int, str] | None = None
    for name, pattern in _TYPE_PATTERNS:
        m = pattern.search(lowered)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), name)
    return best[1] if best else "other"


def _head(text: str) -> str:
    """ "Which Santa Fe player ..." -> the key of "player"; "" when no noun follows."""
    m = re.search(r"\b(?:which|what)\s+(.*)", text, re.IGNORECASE)
    if not m:
        return ""
    for word in re.findall(r"[\w'’-]+", m.group(1))[:5]:
        if word[:1].isupper() or word[:1].isdigit():
            continue  # part of a name: "which Santa Fe player"
        folded = _fold(word)
        if folded in _AUX or folded in ("of",):
            if folded in ("kind", "type", "sort", "of"):
                continue
            return ""
        return "" if folded in STOPWORDS else _key(word)
    return ""


def _parse_question(question: str) -> _Question:
    text = " ".join(question[:MAX_QUESTION_CHARS].split())
    lowered = text.lower()
    qtype = _qtype(lowered)
    proper: dict[str, str] = {}  # folded word -> acronym of its capitalised run
    groups: dict[str, int] = {}  # folded word -> index of its run, for runs of several words
    for g, m in enumerate(_CAP_RUN.finditer(text)):
        run = m.group(0)
        words = re.findall(r"[\w'’-]+", run)
        if m.start() == 0:  # the first word is capitalised anyway: "Who", "Noem"
            words = words[1:]
            run = " ".join(words)
        acro = _acronym(run) if len(words) >= 2 else ""
        for w in words:
            for t in tokens(w):
                if w[:1].isupper():
                    proper[_fold(t)] = acro if len(acro) >= 3 else ""
                    if len(words) >= 2:
                        groups[_fold(t)] = g
    seen: dict[str, _Term] = {}
    all_words = tokens(text)
    for tok in all_words:
        folded = _fold(tok)
        if folded in STOPWORDS or folded in _QUESTION_NOISE:
            continue
        if len(folded) < 2 and not folded.isdigit():
            continue
        key = _key(tok)
        if key not in seen:
            weight = 0.3 if folded in _GENERIC else 1.0
            seen[key] = _Term(
                key, weight, folded in proper, proper.get(folded, ""), groups.get(folded, -1)
            )
        if len(seen) >= MAX_QUESTION_TERMS:
            break
    if qtype == "time":  # "what year", "which day": the type word is not a topic word
        for w in ("time", "year", "day", "date", "month", "week", "hour"):
            seen.pop(w, None)
    focus: frozenset[str] = frozenset()
    how = re.search(r"\bhow (?:many|much)\b(.*)", text, re.IGNORECASE)
    if qtype == "number" and how:
        clause = re.split(_PREPOSITION, how.group(1), maxsplit=1)[0]
        after = [_key(t) for t in tokens(clause)]
        focus = frozenset(
            [k for k in after if k in seen and not seen[k].proper and seen[k].weight == 1.0][:3]
        )
    head = ""
    if qtype == "other":
        head = _head(text)
        if head:
            qtype = "entity"
    numeric_hint = qtype == "number" or any(_fold(t) in _NUMERIC_NOUNS for t in all_words)
    return _Question(
        text=text,
        qtype=qtype,
        terms=tuple(seen.values()),
        numeric_hint=numeric_hint,
        words=frozenset(_fold(t) for t in all_words),
        focus=focus,
        head=head,
    )


# --- what a sentence holds ----------------------------------------------------------------

_NUMBER_WORDS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundred|hundreds|thousand|thousands|million|millions|"
    r"billion|billions|trillion|dozen|dozens|half|third|quarter|twice|double|triple|percent|"
    r"ninefold|tenfold"
)
_NUMBER = re.compile(r"(?<![\w])[$€£¥]?\d[\d,.:]*(?:\s?%)?|\b(?:" + _NUMBER_WORDS + r")\b", re.I)
_NOT_A_COUNT = re.compile(r"(?:hundreds|thousands|millions|billions|dozens|(?:19|20)\d\d)", re.I)
_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\."
)
_DAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_TIME_STRONG = re.compile(
    r"\b(?:" + _MONTHS + r")(?=\W)|\b(?:" + _DAYS + r")\b|\b(?:1[6-9]|20)\d\d\b|"
    r"\b\d{1,2}(?::\d\d)?\s?(?:a\.m\.|p\.m\.|am\b|pm\b|GMT|UTC)|"
    r"\b(?:yesterday|today|tonight|tomorrow|overnight)\b|"
    r"\b(?:last|next|this|earlier this|later this) (?:week|month|year|spring|summer|autumn|fall|"
    r"winter|weekend|morning|evening)\b|\b(?:in|since|by|until) (?:the )?(?:early|mid|late)?-?"
    r"(?:\d{4}s?)\b|\b\d+ (?:days|weeks|months|years|hours) (?:ago|later|earlier)\b"
)
_TIME_WEAK = re.compile(
    r"\b(?:morning|evening|night|afternoon|midnight|noon|week|month|year|decade|century|"
    r"spring|summer|autumn|winter|recently|soon|later|earlier|ago)\b",
    re.I,
)
_REASON_STRONG = re.compile(
    r"\b(?:because|due to|owing to|as a result|caused by|driven by|blamed (?:on|for)|"
    r"the reason|in order to|in response to|so that|stems? from|stemmed from|triggered by|"
    r"prompted by|linked to|attributed to|led to|thanks to|on the grounds)\b",
    re.I,
)
_REASON_WEAK = re.compile(r"\b(?:after|since|following|amid|as part of|given|when)\b", re.I)
_TITLES = (
    r"President|Vice President|Prime Minister|Minister|Secretary|Chancellor|Mayor|Governor|"
    r"Premier|King|Queen|Prince|Princess|Director|Senator|Representative|Congressman|"
    r"Congresswoman|General|Judge|Justice|Ambassador|Commissioner|Chairman|Chairwoman|Chair|"
    r"Pope|Sheikh|Emir|Dr\.|Mr\.|Mrs\.|Ms\.|Prof\."
)
_ROLE = re.compile(
    r"\b(?:" + _TITLES + r")\b|\b(?:chief executive|CEO|founder|spokesman|spokeswoman|"
    r"spokesperson|coach|manager|striker|midfielder|defender|goalkeeper|captain|director|"
    r"president|minister|secretary|chairman|leader|official|officials|candidate|"
    r"developed by|led by|founded by|written by|run by|headed by)\b"
)
_NAME = re.compile(r"(?<![\w])(?:[A-Z][\w'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][\w'’-]+|[A-Z]\.))+")
_SINGLE_CAP = re.compile(r"(?<=[\w,;:] )[A-Z][\w'’-]+")
_PLACE_PREP = re.compile(
    r"\b(?:in|at|from|to|near|outside|across|into|off|inside|toward|towards|via|through|"
    r"between|around|on)\s+(?:the\s+)?(?:city of\s+|town of\s+|port of\s+|state of\s+|"
    r"region of\s+)?([A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+)*)"
)
_PLACE_NOUN = re.compile(
    r"\b(?:city|town|village|capital|port|province|region|state|district|border|county|"
    r"island|coast|country|sector|center|centre|airport|station|stadium)\b",
    re.I,
)
_WEEKDAY_MONTH = re.compile(r"^(?:" + _DAYS + r"|" + _MONTHS.replace(r"\.", "") + r")$")


def _new_words(span: str, q: _Question) -> bool:
    """True when ``span`` holds a word the question does not already hold."""
    return any(
        _fold(w) not in q.words and _fold(w) not in STOPWORDS
        for w in re.findall(r"[\w'’-]+", span)
    )


def _fresh_names(sentence: str, q: _Question) -> list[re.Match[str]]:
    """Capitalised runs of two or more words the question does not name (dates excluded)."""
    return [
        m
        for m in _NAME.finditer(sentence)
        if _new_words(m.group(0), q) and not _all_calendar(m.group(0))
    ]


_SPEECH = re.compile(
    r"^,?\s+(?:said|says|told|added|wrote|announced|urged|warned|called|argued|insisted)\b"
)


def _is_person(sentence: str, m: re.Match[str]) -> bool:
    """A name with a role next to it ("Foreign Minister Laura Sarabia", "García, the director")
    or a speech verb after it ("Whitfield told")."""
    before = sentence[max(0, m.start() - 30) : m.start()]
    after = sentence[m.end() : m.end() + 40]
    appositive = re.match(r"^,\s+(?:the|a|an|its|his|her|their)\b[^,]{0,30}", after)
    return bool(
        _ROLE.search(m.group(0))
        or _ROLE.search(before)
        or (appositive and _ROLE.search(appositive.group(0)))
        or _SPEECH.match(after)
    )


def _type_evidence(
    sentence: str, q: _Question, keys: frozenset[str], match: _Matcher
) -> float:
    """1.0 when the sentence holds what the question type asks for, less when weakly, 0 not."""
    qtype = q.qtype
    if qtype == "number":
        found = [m.group(0) for m in _NUMBER.finditer(sentence)]
        numbers = [n for n in found if _fold(n) not in q.words]
        if not numbers:
            return 0.0
        if q.focus and not any(match(f, keys) for f in q.focus):
            return 0.4  # a number, but of something else: "how many injured" vs "10,000 struck"
        if all(_NOT_A_COUNT.fullmatch(n.rstrip(",.:")) for n in numbers):
            return 0.6  # "millions", "dozens": an order of magnitude; "since 1999": a year
        return 1.0
    if qtype == "time":
        if any(_fold(m.group(0)) not in q.words for m in _TIME_STRONG.finditer(sentence)):
            return 1.0
        return 0.5 if _TIME_WEAK.search(sentence) else 0.0
    if qtype == "reason":
        if _REASON_STRONG.search(sentence):
            return 1.0
        return 0.5 if _REASON_WEAK.search(sentence) else 0.0
    if qtype == "person":
        names = _fresh_names(sentence, q)
        if any(_is_person(sentence, m) for m in names):
            return 1.0
        if names:
            return 0.6
        return 0.4 if _ROLE.search(sentence) else 0.0
    if qtype == "place":
        places = [m.group(1) for m in _PLACE_PREP.finditer(sentence)]
        if any(_new_words(p, q) and not _all_calendar(p) for p in places):
            return 1.0
        if _PLACE_NOUN.search(sentence) or any(
            _new_words(m.group(0), q) for m in _SINGLE_CAP.finditer(sentence)
        ):
            return 0.5
        return 0.0
    if qtype == "entity":
        return _entity_evidence(sentence, q)
    return 1.0


_NAMEISH = r"[A-Z][\w'’-]*(?:\s+(?:[A-Z][\w'’-]*|\d[\w-]*))*"


def _entity_evidence(sentence: str, q: _Question) -> float:
    """ "Which satellite": a new name right by the noun ("the Michibiki 6 satellite",
    "offices in Denver", "a group known as BlackHarbor") is the answer; a name elsewhere maybe."""
    for w in re.finditer(r"[\w'’-]+", sentence):
        if _key(w.group(0)) != q.head and not (
            len(q.head) >= 5 and _key(w.group(0)).startswith(q.head)
        ):
            continue
        before = sentence[max(0, w.start() - 40) : w.start()]
        after = sentence[w.end() : w.end() + 50]
        m1 = re.search(r"(" + _NAMEISH + r")\s+(?:[a-z][\w-]*\s+)?$", before)
        m2 = re.match(
            r"^s?\s*(?:,\s*|\s+(?:in|of|at|from|known as|called|named|dubbed|such as|like|"
            r"including)\s+)(?:the\s+)?(" + _NAMEISH + r")",
            after,
        )
        for m in (m1, m2):
            if m and _new_words(m.group(1), q) and not _all_calendar(m.group(1)):
                return 1.0
    if _fresh_names(sentence, q) or any(
        _new_words(m.group(0), q) for m in _SINGLE_CAP.finditer(sentence)
    ):
        return 0.5
    return 0.2


def _all_calendar(span: str) -> bool:
    return all(_WEEKDAY_MONTH.match(w) for w in span.split())


def _type_factor(evidence: float, q: _Question) -> float:
    """What a missing answer type costs: a "how many" with no number is no answer; a "which"
    with no name nearby may still be one."""
    if q.qtype == "other":
        return 1.0
    if q.qtype == "entity":
        return 0.7 + 0.3 * evidence
    return 0.3 + 0.7 * evidence


# --- scoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sentence:
    article: int  # index into the candidates
    index: int  # position in its article
    text: str
    keys: tuple[str, ...]  # content keys in order
    extra: frozenset[str]  # acronyms of its capitalised runs ("European Central Bank" -> "ecb")


@dataclass(frozen=True)
class _Scored:
    sentence: _Sentence
    score: float
    matched: frozenset[str]
    evidence: float


def _content_keys(text: str) -> tuple[str, ...]:
    out = []
    for tok in tokens(text):
        folded = _fold(tok)
        if folded in STOPWORDS or (len(folded) < 2 and not folded.isdigit()):
            continue
        out.append(_key(tok))
    return tuple(out)


def _acronyms(text: str) -> frozenset[str]:
    out = set()
    for m in _CAP_RUN.finditer(text):
        words = m.group(0).split()
        if len(words) >= 3 or (len(words) == 2 and len(_acronym(m.group(0))) >= 3):
            acro = _acronym(m.group(0))
            if len(acro) >= 3:
                out.add(acro)
    return frozenset(out)


def _similar(a: str, b: str) -> float:
    """How far two different keys are forms of one word: "deport"/"deportation" 0.9,
    "wildfire"/"fire" 0.7 (a compound and its head), unrelated 0."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 5 and long_.startswith(short):
        return 0.9
    if len(short) >= 6:
        n = 0
        for x, y in zip(short, long_, strict=False):
            if x != y:
                break
            n += 1
        if n >= 6 and n >= 0.8 * len(short):
            return 0.9  # "apprehend"/"apprehension"
    if len(short) >= 4 and len(long_) - len(short) >= 3 and long_.endswith(short):
        return 0.7
    return 0.0


class _Matcher:
    """How well each question term matches a set of keys, with near forms worked out once per
    question over the candidates' vocabulary (the slow part of matching)."""

    def __init__(self, terms: Sequence[_Term], vocabulary: frozenset[str]) -> None:
        self._sims: dict[str, dict[str, float]] = {}
        for t in terms:
            sims: dict[str, float] = {}
            for k in vocabulary:
                if k == t.key or (t.alt and k == t.alt):
                    sims[k] = 1.0
                elif len(t.key) >= 4:
                    sim = _similar(t.key, k)
                    if sim:
                        sims[k] = sim
            self._sims[t.key] = sims

    def __call__(self, key: str, keys: frozenset[str]) -> float:
        sims = self._sims.get(key)
        if not sims:
            return 0.0
        if len(keys) < len(sims):
            return max((sims.get(k, 0.0) for k in keys), default=0.0)
        return max((v for k, v in sims.items() if k in keys), default=0.0)


@lru_cache(maxsize=512)
def _article_sentences(body: str) -> tuple[tuple[int, str, tuple[str, ...], frozenset[str]], ...]:
    """(position, text, keys, acronyms) of an article's answerable sentences, cached: the same
    stored articles come back for question after question."""
    out = []
    for i, text in enumerate(split_sentences(body[:MAX_BODY_CHARS])):
        if is_heading(text):
            continue
        keys = _content_keys(text)
        if len(keys) >= 3:
            out.append((i, text, keys, _acronyms(text)))
    return tuple(out)


def _sentences(candidates: Sequence[StoredArticle]) -> list[_Sentence]:
    return [
        _Sentence(a, i, text, keys, extra)
        for a, article in enumerate(candidates)
        for i, text, keys, extra in _article_sentences(article.body or "")
    ]


def _weights(
    q: _Question,
    sentences: Sequence[_Sentence],
    titles: Sequence[frozenset[str]],
    match: _Matcher,
) -> dict[str, float]:
    """BM25 idf of each question term over the candidate sentences (titles count as ones).

    A common word found nowhere counts for half: likely the asker's paraphrase. A name found
    nowhere counts in full: the candidates are about something else.
    """
    sets = [frozenset(s.keys) | s.extra for s in sentences] + list(titles)
    n = len(sets)
    out: dict[str, float] = {}
    for t in q.terms:
        df = sum(1 for keys in sets if match(t.key, keys) > 0)
        w = math.log(1.0 + (n - df + 0.5) / (df + 0.5)) * t.weight
        if df == 0 and not t.proper:
            w *= 0.5
        out[t.key] = w
    by_group: dict[int, list[str]] = {}
    for t in q.terms:
        if t.group >= 0:
            by_group.setdefault(t.group, []).append(t.key)
    for keys in by_group.values():  # a name of n words weighs as its rarest word, not n words
        total = sum(out[k] for k in keys)
        if total > 0:
            share = max(out[k] for k in keys) / total
            for k in keys:
                out[k] *= share
    return out


def _proximity(q_keys: frozenset[str], keys: Sequence[str]) -> float:
    """Matched terms close together (1.0) or spread across a long sentence (toward 0)."""
    positions = [i for i, k in enumerate(keys) if k in q_keys]
    if len(positions) < 2:
        return 0.0
    span = positions[-1] - positions[0] + 1
    return len(positions) / span


def _score_all(q: _Question, candidates: Sequence[StoredArticle]) -> list[_Scored]:
    sentences = _sentences(candidates)
    if not sentences or not q.terms:
        return []
    titles = [
        frozenset(_content_keys(a.title or "")) | _acronyms(a.title or "") for a in candidates
    ]
    bodies: list[set[str]] = [set() for _ in candidates]
    by_pos: dict[tuple[int, int], frozenset[str]] = {}
    for s in sentences:
        bodies[s.article].update(s.keys)
        bodies[s.article].update(s.extra)
        by_pos[(s.article, s.index)] = frozenset(s.keys) | s.extra
    body_sets = [frozenset(b) for b in bodies]
    match = _Matcher(q.terms, frozenset().union(*body_sets, *titles))
    weights = _weights(q, sentences, titles, match)
    total = sum(weights.values()) or 1.0
    q_keys = frozenset(t.key for t in q.terms)

    scored: list[_Scored] = []
    for s in sentences:
        keys = by_pos[(s.article, s.index)]
        near = by_pos.get((s.article, s.index - 1), frozenset()) | by_pos.get(
            (s.article, s.index + 1), frozenset()
        )
        own = 0.0
        ctx = 0.0
        matched: set[str] = set()
        missing_proper = False
        for t in q.terms:
            w = weights[t.key]
            m = match(t.key, keys)
            if m:
                matched.add(t.key)
            c = max(
                m,
                _IN_TITLE * match(t.key, titles[s.article]),
                _NEAR * match(t.key, near),
                # a name only elsewhere in the article: the sentence is likely about another
                (_IN_ARTICLE / 2 if t.proper else _IN_ARTICLE) * match(t.key, body_sets[s.article]),
            )
            own += w * m
            ctx += w * c
            if t.proper and c == 0.0:
                missing_proper = True
        if not matched:
            continue
        coverage = (1 - _CONTEXT) * own / total + _CONTEXT * ctx / total
        evidence = _type_evidence(s.text, q, keys, match)
        score = coverage * _type_factor(evidence, q)
        score += 0.05 * _proximity(q_keys, s.keys)
        if q.numeric_hint and q.qtype in ("other", "entity") and not _NUMBER.search(s.text):
            score *= 0.8  # "what is the price/rate/score": a sentence with no figure is weak
        if missing_proper:  # the question names something this article never mentions
            score *= 0.6
        if len(s.keys) > 40:  # run-on sentences match anything
            score *= 40 / len(s.keys)
        scored.append(_Scored(s, min(score, 1.0), frozenset(matched), evidence))
    scored.sort(key=lambda x: (-x.score, x.sentence.article, x.sentence.index))
    return scored


def _adds_to(first: _Scored, second: _Scored) -> bool:
    """The second sentence brings question terms or answer-type evidence the first lacks."""
    if second.sentence.text == first.sentence.text:
        return False
    a, b = set(first.sentence.keys), set(second.sentence.keys)
    if len(a & b) / max(1, len(a | b)) > 0.6:
        return False  # the same fact twice, e.g. a story syndicated in two feeds
    return bool(second.matched - first.matched) or second.evidence > first.evidence


def _second(best: _Scored, rest: Sequence[_Scored]) -> _Scored | None:
    """A second sentence only when it adds to the first and is nearly as good.

    When the best sentence matches the question but lacks what it asks for (a name, a date, a
    cause), a sentence of the same article that has it may follow with a lower score: "the
    signing of a declaration ..." then "Minister Laura Sarabia officiated the signing".
    """
    for other in rest[:4]:
        if other.score < _SECOND_RATIO * best.score:
            break
        if _adds_to(best, other):
            return other
    if best.evidence < 1.0:
        for other in rest:
            if other.score < _COMPLEMENT_RATIO * best.score:
                break
            if other.evidence >= 1.0 and other.sentence.article == best.sentence.article:
                return other
    return None


def answer(
    question: str,
    candidates: Sequence[StoredArticle],
    *,
    min_confidence: float = MIN_CONFIDENCE,
) -> Answer:
    """The best one or two sentences of ``candidates`` answering ``question``, or an empty one.

    Never raises on odd input (empty, huge, markup, any script): it just finds no answer.
    """
    if not question or not question.strip() or not candidates:
        return NO_ANSWER
    candidates = candidates[:MAX_CANDIDATES]
    q = _parse_question(question)
    scored = _score_all(q, candidates)
    if not scored or scored[0].score < min_confidence:
        log.debug("ask: no answer (best %.3f)", scored[0].score if scored else 0.0)
        return NO_ANSWER
    best = scored[0]
    second = _second(best, scored[1:])
    chosen = [best] if second is None else [best, second]
    if len(chosen) == 2 and chosen[1].sentence.article == best.sentence.article:
        chosen.sort(key=lambda x: x.sentence.index)  # reading order within one article
    sources = tuple(
        AnswerSource(
            title=candidates[c.sentence.article].title,
            url=candidates[c.sentence.article].url,
            sentence=c.sentence.text,
        )
        for c in chosen
    )
    return Answer(
        answer=" ".join(s.sentence for s in sources),
        sources=sources,
        confidence=round(best.score, 4),
    )


# --- retrieval glue -----------------------------------------------------------------------


class _Hit(Protocol):
    @property
    def article(self) -> StoredArticle: ...


class SearchableStore(Protocol):
    """The one store method ``ask`` needs (``digests.store.Store`` has it)."""

    def search(
        self,
        query: str,
        *,
        topic: str | None = ...,
        since: datetime | None = ...,
        limit: int = ...,
    ) -> Sequence[_Hit]: ...


def search_query(question: str) -> list[str]:
    """The question's content words as plain words, safe for any full-text syntax."""
    q = _parse_question(question)
    keep = {t.key for t in q.terms}
    words: list[str] = []
    for tok in tokens(q.text):
        folded = _fold(tok)
        if stem(folded) in keep and folded not in words and re.fullmatch(r"\w+", tok):
            words.append(tok)
    return words[:12]


def ask(
    question: str,
    store: SearchableStore,
    *,
    topic: str | None = None,
    since: datetime | None = None,
    limit: int = SEARCH_LIMIT,
) -> Answer:
    """Search the store with the question's content words, then pick the answer among the hits.

    The store's search may need every word to match; when the whole query finds few articles,
    each word is searched alone and the hits merged, so one paraphrased word does not lose the
    article that holds the answer.
    """
    words = search_query(question)
    if not words:
        return NO_ANSWER
    found: dict[int, StoredArticle] = {}
    for hit in store.search(" ".join(words), topic=topic, since=since, limit=limit):
        found.setdefault(hit.article.id, hit.article)
    if len(found) < 3 and len(words) > 1:
        for word in _by_weight(question, words)[:_FALLBACK_WORDS]:
            for hit in store.search(word, topic=topic, since=since, limit=limit):
                found.setdefault(hit.article.id, hit.article)
            if len(found) >= MAX_CANDIDATES:
                break
    return answer(question, list(found.values()))


def _by_weight(question: str, words: list[str]) -> list[str]:
    """The query words, the most telling first ("deported" before "people"), so the articles
    of the words that matter come in before the candidates are capped."""
    weights = {t.key: t.weight for t in _parse_question(question).terms}
    return sorted(words, key=lambda w: -weights.get(stem(_fold(w)), 0.0))
