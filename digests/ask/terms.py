"""Words as ask compares them: folded, lemmatised keys, acronyms of names, and near forms.

A question word matches a sentence word when their keys are equal ("died"/"killing" -> "die"),
when one is the acronym of the other's name ("ECB"), or when they are forms of one word
("deported"/"deportations"), worked out once per question over the candidates' vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from digests.text import STOPWORDS, stem, tokens


def wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())



@lru_cache(maxsize=65536)  # called for every token of every candidate: most are repeats
def fold(word: str) -> str:
    """Lowercase without accents, so "Bogota" finds "Bogotá"."""
    if word.isascii():  # nothing to decompose
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Irregular verb forms and a few news synonyms the suffix stripper cannot join ("began" and
# "begin", "died" and "killing"), mapped to one key.
LEMMAS: dict[str, str] = {
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
def term_key(token: str) -> str:
    folded = fold(token)
    return LEMMAS.get(folded) or stem(folded)


# Words that say little about what a question is about; they count for a third.
GENERIC = wordset(
    """
    people person persons new recent latest current thing things way ways lot lots
    """
)
AUX = wordset(
    """
    is was are were be been did does do has have had will would can could should may might must
    kind type sort
    """
)
CAP_RUN = re.compile(
    r"(?<![\w'’])[A-Z][\w'’-]*(?:\s+(?:(?:of|for|and|de|del|la|the)\s+)?[A-Z][\w'’-]*)*"
)


@dataclass(frozen=True)
class Term:
    key: str  # folded, lemmatised
    weight: float  # 1.0, or less for generic words
    proper: bool  # written capitalised mid-question: a name, which an answer must be about
    alt: str = ""  # the acronym of the name it is part of ("European Central Bank" -> "ecb")
    group: int = -1  # terms of one name ("Fort St. John") share one name's weight



def acronym(run: str) -> str:
    return "".join(w[0] for w in run.split() if w[:1].isupper()).lower()


def content_keys(text: str) -> tuple[str, ...]:
    out = []
    for tok in tokens(text):
        folded = fold(tok)
        if folded in STOPWORDS or (len(folded) < 2 and not folded.isdigit()):
            continue
        out.append(term_key(tok))
    return tuple(out)


def acronyms(text: str) -> frozenset[str]:
    out = set()
    for m in CAP_RUN.finditer(text):
        words = m.group(0).split()
        if len(words) >= 3 or (len(words) == 2 and len(acronym(m.group(0))) >= 3):
            acro = acronym(m.group(0))
            if len(acro) >= 3:
                out.add(acro)
    return frozenset(out)


def similar(a: str, b: str) -> float:
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


class Matcher:
    """How well each question term matches a set of keys, with near forms worked out once per
    question over the candidates' vocabulary (the slow part of matching)."""

    def __init__(self, terms: Sequence[Term], vocabulary: frozenset[str]) -> None:
        self._sims: dict[str, dict[str, float]] = {}
        for t in terms:
            sims: dict[str, float] = {}
            for k in vocabulary:
                if k == t.key or (t.alt and k == t.alt):
                    sims[k] = 1.0
                elif len(t.key) >= 4 and not (t.proper and len(k) < len(t.key) - 3):
                    # a name matches its other forms ("Chilean"/"Chile"), never a shorter
                    # word it starts or ends with ("Greenland"/"green")
                    sim = similar(t.key, k)
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

