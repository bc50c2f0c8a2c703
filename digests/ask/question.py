"""What a question asks: its type (number, time, person, ...), its weighted terms, and the
thing it counts ("how many X") or names ("which X")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from digests.ask.terms import AUX, CAP_RUN, GENERIC, Term, acronym, fold, term_key, wordset
from digests.text import STOPWORDS, tokens

MAX_QUESTION_CHARS = 1000  # a longer question is cut: nobody asks 10 kB, but a paste might
MAX_QUESTION_TERMS = 24


# Words that say what kind of answer is wanted or how it is phrased, not what it is about.
QUESTION_NOISE = wordset(
    """
    how many much long old far often big large high fast what which who whom whose where when
    why did does do done happen happened happens according report reported reports tell know
    name named exactly please news article articles story say said says think
    """
)

# Question types and the phrases that announce them (searched in the lowercased question).
TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
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
NUMERIC_NOUNS = wordset(
    """
    rate score price cost turnout total figure amount population percentage percent share toll
    number count value budget salary fine ransom death deaths
    """
)



# Where the counted thing of "how many X were Y during Z" ends.
PREPOSITION = re.compile(
    r"\b(?:during|in|at|by|over|after|before|from|of|on|for|since|to|with|across|amid|"
    r"following|under|near|inside|outside|against|about)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Question:
    text: str
    qtype: str  # reason | time | number | person | place | entity | other
    terms: tuple[Term, ...]
    numeric_hint: bool
    words: frozenset[str]  # every folded word of the question, to spot answers it already holds
    focus: frozenset[str] = frozenset()  # "how many X": keys of X, one must be in the answer
    head: str = ""  # "which X": the key of X, which a name in the answer should go with
    # "what is the X of Y", "who is Y's X": keys of X, the attribute asked for, which the
    # answer must state ("capital" in "the capital of the moon"); any one of them will do
    attribute: frozenset[str] = frozenset()
    age: bool = False  # "how old": a number is an answer only as an age


def _qtype(lowered: str) -> str:
    """The first announced type by position in the question ("Who ... when" is a who)."""
    best: tuple[int, str] | None = None
    for name, pattern in TYPE_PATTERNS:
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
        folded = fold(word)
        if folded in AUX or folded in ("of",):
            if folded in ("kind", "type", "sort", "of"):
                continue
            return ""
        return "" if folded in STOPWORDS else term_key(word)
    return ""


# "What is the capital of ...", "Who is Norway's prime minister?", "What was inflation in ...":
# the lowercase words after the copula (and an owner's "'s") up to "of"/"in"/... or the end.
_ATTRIBUTE_WORD = r"(?!(?:of|in|for|at|on|to|with|as|by|from)\b)[a-z][\w-]*"
_ATTRIBUTE = re.compile(
    r"^(?:what|who)(?:['’]s|\s+(?:is|was|are|were|will be|has been))\s+"
    r"(?:(?:the|a|an)\s+)?(?:[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*['’]s?\s+)?"
    rf"(?P<x>{_ATTRIBUTE_WORD}(?:\s+{_ATTRIBUTE_WORD}){{0,2}})\s*"
    r"(?:\b(?:of|in|for|at|on|to|with|as|by|from)\b|\?|$)"
)
# Attribute words a sentence may state by another name.
_ATTRIBUTE_ALIASES = {"chief": "ceo", "executive": "ceo", "prime": "pm"}


def _attribute(text: str, terms: dict[str, Term]) -> frozenset[str]:
    m = _ATTRIBUTE.match(text[:1].lower() + text[1:])
    if not m:
        return frozenset()
    keys = [term_key(w) for w in tokens(m.group("x"))]
    found = {k for k in keys if k in terms and terms[k].weight == 1.0}
    return frozenset(found | {_ATTRIBUTE_ALIASES[k] for k in found if k in _ATTRIBUTE_ALIASES})


def parse_question(question: str) -> Question:
    text = " ".join(question[:MAX_QUESTION_CHARS].split())
    lowered = text.lower()
    qtype = _qtype(lowered)
    proper: dict[str, str] = {}  # folded word -> acronym of its capitalised run
    groups: dict[str, int] = {}  # folded word -> index of its run, for runs of several words
    for g, m in enumerate(CAP_RUN.finditer(text)):
        run = m.group(0)
        words = re.findall(r"[\w'’-]+", run)
        if m.start() == 0:  # the first word is capitalised anyway: "Who", "Noem"
            words = words[1:]
            run = " ".join(words)
        acro = acronym(run) if len(words) >= 2 else ""
        for w in words:
            for t in tokens(w):
                if w[:1].isupper():
                    proper[fold(t)] = acro if len(acro) >= 3 else ""
                    if len(words) >= 2:
                        groups[fold(t)] = g
    seen: dict[str, Term] = {}
    all_words = tokens(text)
    for tok in all_words:
        folded = fold(tok)
        if folded in STOPWORDS or folded in QUESTION_NOISE:
            continue
        if len(folded) < 2 and not folded.isdigit():
            continue
        key = term_key(tok)
        if key not in seen:
            weight = 0.3 if folded in GENERIC else 1.0
            seen[key] = Term(
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
        clause = re.split(PREPOSITION, how.group(1), maxsplit=1)[0]
        after = [term_key(t) for t in tokens(clause)]
        focus = frozenset(
            [k for k in after if k in seen and not seen[k].proper and seen[k].weight == 1.0][:3]
        )
    head = ""
    if qtype == "other":
        head = _head(text)
        if head:
            qtype = "entity"
    numeric_hint = qtype == "number" or any(fold(t) in NUMERIC_NOUNS for t in all_words)
    return Question(
        text=text,
        qtype=qtype,
        terms=tuple(seen.values()),
        numeric_hint=numeric_hint,
        words=frozenset(fold(t) for t in all_words),
        focus=focus,
        head=head,
        attribute=_attribute(text, seen),
        age=bool(re.search(r"\bhow old\b", lowered)),
    )

