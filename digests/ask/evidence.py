"""Whether a sentence holds the kind of thing a question asks for: a number for "how many",
a date for "when", a name for "who", a place for "where", a cause for "why"."""

from __future__ import annotations

import re

from digests.ask.question import Question
from digests.ask.terms import Matcher, fold, term_key
from digests.text import STOPWORDS

_NUMBER_WORDS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundred|hundreds|thousand|thousands|million|millions|"
    r"billion|billions|trillion|dozen|dozens|half|third|quarter|twice|double|triple|percent|"
    r"ninefold|tenfold"
)
NUMBER = re.compile(r"(?<![\w])[$€£¥]?\d[\d,.:]*(?:\s?%)?|\b(?:" + _NUMBER_WORDS + r")\b", re.I)
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


def _new_words(span: str, q: Question) -> bool:
    """True when ``span`` holds a word the question does not already hold."""
    return any(
        fold(w) not in q.words and fold(w) not in STOPWORDS
        for w in re.findall(r"[\w'’-]+", span)
    )


def _fresh_names(sentence: str, q: Question) -> list[re.Match[str]]:
    """Capitalised runs of two or more words the question does not name (dates excluded)."""
    return [
        m
        for m in _NAME.finditer(sentence)
        if _new_words(m.group(0), q) and not _all_calendar(m.group(0))
    ]


_AGE = re.compile(r"\b\d{1,3}[- ]years?[- ]old\b|\baged \d{1,3}\b|\bage of \d{1,3}\b|, \d{1,3},")
_SPEAKER = 0.8
_SPEECH = re.compile(
    r"^,?\s+(?:said|says|told|added|wrote|announced|urged|warned|called|argued|insisted)\b"
)


# Who did it, when "who" asks for a group rather than a person: "fighters linked to al-Qaeda",
# "JNIM ... claimed responsibility", "rebels backed by Rwanda".
_AGENT = re.compile(
    r"\bclaimed responsibility\b|\b(?:fighters|militants|gunmen|rebels|insurgents|militias?|"
    r"attackers|jihadists|hackers|group|groups)\s+(?:linked to|loyal to|affiliated with|"
    r"allied with|backed by|belonging to|known as)\b",
    re.IGNORECASE,
)


def _person_evidence(sentence: str, m: re.Match[str]) -> float:
    """1.0 for a name with a role next to it ("Foreign Minister Laura Sarabia", "García, the
    director"); 0.8 for one only followed by a speech verb ("Whitfield told"): a speaker is as
    often the commentator as the doer; 0 for a name with neither."""
    before = sentence[max(0, m.start() - 30) : m.start()]
    after = sentence[m.end() : m.end() + 40]
    appositive = re.match(r"^,\s+(?:the|a|an|its|his|her|their)\b[^,]{0,30}", after)
    if (
        _ROLE.search(m.group(0))
        or _ROLE.search(before)
        or (appositive and _ROLE.search(appositive.group(0)))
    ):
        return 1.0
    return _SPEAKER if _SPEECH.match(after) else 0.0


def type_evidence(
    sentence: str, q: Question, keys: frozenset[str], match: Matcher
) -> float:
    """1.0 when the sentence holds what the question type asks for, less when weakly, 0 not."""
    qtype = q.qtype
    if qtype == "number":
        found = [m.group(0) for m in NUMBER.finditer(sentence)]
        numbers = [n for n in found if fold(n) not in q.words]
        if not numbers:
            return 0.0
        if q.age:  # "how old": "a 19-year-old", "aged 17"; another number is of something else
            return 1.0 if _AGE.search(sentence) else 0.3
        if q.focus and not any(match(f, keys) for f in q.focus):
            return 0.4  # a number, but of something else: "how many injured" vs "10,000 struck"
        if all(_NOT_A_COUNT.fullmatch(n.rstrip(",.:")) for n in numbers):
            return 0.6  # "millions", "dozens": an order of magnitude; "since 1999": a year
        return 1.0
    if qtype == "time":
        if any(fold(m.group(0)) not in q.words for m in _TIME_STRONG.finditer(sentence)):
            return 1.0
        return 0.5 if _TIME_WEAK.search(sentence) else 0.0
    if qtype == "reason":
        if _REASON_STRONG.search(sentence):
            return 1.0
        return 0.5 if _REASON_WEAK.search(sentence) else 0.0
    if qtype == "person":
        if _AGENT.search(sentence):
            return 1.0
        names = _fresh_names(sentence, q)
        if names:
            return max(0.6, *(_person_evidence(sentence, m) for m in names))
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


def _entity_evidence(sentence: str, q: Question) -> float:
    """ "Which satellite": a new name right by the noun ("the Michibiki 6 satellite",
    "offices in Denver", "a group known as BlackHarbor") is the answer; a name elsewhere maybe."""
    for w in re.finditer(r"[\w'’-]+", sentence):
        if term_key(w.group(0)) != q.head and not (
            len(q.head) >= 5 and term_key(w.group(0)).startswith(q.head)
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


def type_factor(evidence: float, q: Question) -> float:
    """What a missing answer type costs: a "how many" with no number is no answer; a "which"
    with no name nearby may still be one."""
    if q.qtype == "other":
        return 1.0
    if q.qtype == "entity":
        return 0.7 + 0.3 * evidence
    return 0.3 + 0.7 * evidence

