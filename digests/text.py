"""Sentences, paragraphs and tokens for news text, shared by topics, summaries and ask.

Regex only on purpose: nltk's punkt needs a data download at runtime, which a self-hosted bot
cannot count on. The splitter is tuned for news copy: abbreviations ("U.S.", "Mr.", "Jan."),
decimals and thousands ("3.5", "1,700"), quotes, and subheadings without terminal punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "STOPWORDS",
    "collapse_ws",
    "content_tokens",
    "is_heading",
    "paragraphs",
    "split_paragraph",
    "split_sentences",
    "stem",
    "tokens",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")

# Words that end with "." without ending the sentence (compared lowercased, without the dot).
_ABBREVIATIONS = _words(
    """
    mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm maj cpl pvt gov sen rep
    pres supt insp det rev hon fr messrs mme mlle
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    inc corp co ltd llc plc bros dept univ assn est approx vs etc cf al ed eds ave blvd rd hwy
    """
)
# Abbreviations that are never sentence-final (a name or number always follows).
_NEVER_FINAL = _words(
    "mr mrs ms dr prof gen col lt sgt capt cmdr adm maj cpl pvt gov sen rep pres supt insp "
    "det rev hon fr mt ft vs cf"
)
# Abbreviations only before a number ("No. 10", "Vol. 3"); elsewhere the dot ends the sentence.
_BEFORE_NUMBER = _words("no nos vol vols fig figs pp op art sec ch")
# Sentence starters that end a sentence even after an abbreviation such as "U.S." or "Inc.".
_STARTERS = _words(
    """
    a an the this that these those it its he she they we i you his her their our my there here
    but and yet so however meanwhile still also then now while when after before if although
    in on at for as by with from of to some many most all both no not one two three
    mr mrs ms dr
    """
)

_OPEN = "\"'“‘([«"
_CLOSE = "\"'”’)]»"
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace,
# then the next sentence's first visible character.
_BOUNDARY = re.compile(
    r"(?P<end>[.!?…]+|[。！？]+)(?P<close>[" + re.escape(_CLOSE) + r"]*)(?P<ws>\s+)"
    r"(?=(?P<next>[" + re.escape(_OPEN) + r"]*[^\W_]))"
)
# "sales.TimeWarner": a full stop glued to the next sentence (common in scraped copy). The
# two patterns below open with the punctuation itself, not a look-behind, so the regex engine
# jumps from one candidate character to the next instead of trying every position.
_GLUED = re.compile(r"([.!?])(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")
# CJK full stops are not followed by a space; give them one so the boundary regex sees them.
_CJK_END = re.compile(r"([。！？])(?=\S)")
_LEADING_NON_WORD = re.compile(r"^[\W_]+")
_WORD_BEFORE = re.compile(r"([^\W\d_][^\s]*?)\.*$")
_TERMINAL = tuple(".!?…:;" + _CLOSE)

_LETTERS = r"(?:[^\W_]|[\u0300-\u036f])+"  # combining marks stay inside the word ("i̇stanbul")
_TOKEN = re.compile(rf"\d+(?:[.,]\d+)+|{_LETTERS}(?:'{_LETTERS})*")
# The same tokens in a text without "_" (nearly all), as one character class: faster.
_LETTERS_NO_UNDERSCORE = r"[\w\u0300-\u036f]+"
_TOKEN_NO_UNDERSCORE = re.compile(
    rf"\d+(?:[.,]\d+)+|{_LETTERS_NO_UNDERSCORE}(?:'{_LETTERS_NO_UNDERSCORE})*"
)

STOPWORDS: frozenset[str] = _words(
    """
    a about above after again against ago all almost also although always am among an and another
    any anyone anything are aren't around as at be became because become been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't done
    down during each either else even ever every few for from further get gets got had hadn't has
    hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's however i i'd i'll i'm i've if in into is isn't it it's its itself just least less let
    let's like made make many may me might more most much must mustn't my myself neither never no
    nor not now of off often on once one only or other others ought our ours ourselves out over
    own per perhaps quite rather really said same say says see seen shall shan't she she'd she'll
    she's should shouldn't since so some still such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those though
    through thus to too toward towards under until up upon us very via was wasn't we we'd we'll
    we're we've were weren't what what's whatever when when's where where's whether which while
    who who's whom whose why why's will with within without won't would wouldn't yet you you'd
    you'll you're you've your yours yourself yourselves also mr mrs ms
    """
)


# Invisible characters that reorder or hide text: bidi embeddings, overrides and isolates
# (U+202E makes "gnp.exe" read "exe.png") and zero-width spaces/joiners that split a word
# into look-alikes. Zero-width (non-)joiners (U+200C/D) and the directional marks (U+200E/F)
# stay: scripts and emoji need them, and marks cannot reorder a run.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")


def strip_invisible(text: str) -> str:
    """``text`` without the characters of ``_INVISIBLE`` (feed text is untrusted)."""
    return _INVISIBLE.sub("", text) if _INVISIBLE.search(text) else text


def collapse_ws(text: str) -> str:
    """Runs of whitespace (newlines included) become one space; ends trimmed."""
    return " ".join(text.split())  # same as re \s+ -> " " then strip(), several times faster


def _normalize(text: str) -> str:
    """NFC, unified line ends, non-breaking and zero-width spaces made plain."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")


def is_heading(line: str) -> bool:
    """A subheading or headline: short, no terminal punctuation, mostly capitalised words.

    Such lines carry no claim of their own, so summaries skip them and the splitter treats them
    as a sentence of their own even though no full stop ends them.
    """
    line = collapse_ws(line)
    if not line or len(line) > 120 or line.endswith(_TERMINAL) or line.endswith(","):
        return False
    words = re.findall(r"[^\W_][^\s]*", line)
    if not words or len(words) > 14:
        return False
    if not line[0].isupper() and not line[0].isdigit() and line[0] not in _OPEN:
        return False
    if len(words) <= 3:
        return True
    capitalised = sum(1 for w in words if w[0].isupper() or w[0].isdigit())
    # Title case ("Important Biometric Cooperation Announced") or a short sentence-case line.
    return capitalised / len(words) >= 0.5 or len(words) <= 8


def paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text, each with its inner whitespace collapsed.

    A blank line always ends a paragraph. A single newline ends one when the line before it
    looks finished (terminal punctuation) or is a heading; otherwise it is a hard wrap inside a
    sentence and the lines are joined.
    """
    out: list[str] = []
    for block in _BLANK_LINE.split(_normalize(text)):
        current: list[str] = []
        for raw in block.split("\n"):
            line = collapse_ws(raw)
            if not line:
                continue
            if current:
                prev = current[-1]
                starts_new = line[0].isupper() or line[0].isdigit() or line[0] in _OPEN
                if starts_new and (prev.endswith(_TERMINAL) or is_heading(prev)):
                    out.append(" ".join(current))
                    current = []
            current.append(line)
        if current:
            out.append(" ".join(current))
    return out


def _is_break(before: str, end: str, nxt: str) -> bool:
    """Whether terminal punctuation ``end`` after text ``before`` ends a sentence."""
    head = nxt.lstrip(_OPEN)
    if head[:1].islower():
        return False  # "U.S. and", '"Yes!" she said': the sentence goes on
    if end != ".":
        return True
    m = _WORD_BEFORE.search(before)
    if not m:
        return True  # a number or symbol before the dot: "rose 2%." ends the sentence
    word = m.group(1).lower()
    bare = word.replace(".", "")
    first = _LEADING_NON_WORD.sub("", nxt).split(" ", 1)[0].lower()
    if "." in word:  # dotted abbreviation: "U.S.", "e.g.", "a.m."
        return bare not in {"eg", "ie"} and first in _STARTERS
    if len(word) == 1 and word.isalpha():
        return False  # an initial: "John F. Kennedy"
    if bare in _BEFORE_NUMBER:
        return not head[:1].isdigit()
    if bare in _NEVER_FINAL:
        return False
    if bare in _ABBREVIATIONS:
        return first in _STARTERS
    return True


def _split_paragraph(par: str) -> list[str]:
    par = _GLUED.sub(r"\1 ", par)
    if "。" in par or "！" in par or "？" in par:
        par = _CJK_END.sub(r"\1 ", par)
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(par):
        cut = m.start("ws")
        # Bounded look-behind and look-ahead: abbreviations and first words are short.
        before = par[max(start, m.start("end") - 60) : m.start("end")]
        if _is_break(before, m.group("end"), par[m.end() : m.end() + 60]):
            sentence = par[start:cut].strip()
            if sentence:
                out.append(sentence)
            start = m.end()
    tail = par[start:].strip()
    if tail:
        out.append(tail)
    return out


def split_paragraph(paragraph: str) -> list[str]:
    """Sentences of one paragraph as ``paragraphs`` returns it: ``split_sentences`` without
    splitting it into paragraphs again (for callers that walk the paragraphs themselves)."""
    return _split_paragraph(paragraph)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order; paragraph breaks and headings are sentence breaks.

    Each sentence is returned with whitespace collapsed and otherwise exactly as written, so
    extractive summaries stay faithful to the source.
    """
    out: list[str] = []
    for par in paragraphs(text):
        out.extend(_split_paragraph(par))
    return out


def tokens(text: str) -> list[str]:
    """Lowercased word tokens, unicode-aware; numbers keep their separators ("1,700", "3.5").

    Curly apostrophes count as straight ones and a possessive "'s" is dropped, so "Noem's"
    and "Noem" match.
    """
    text = _normalize(text).lower().replace("’", "'")
    out: list[str] = []
    for tok in _token_pattern(text).findall(text):
        if tok.endswith("'s"):
            tok = tok[:-2]
        if tok:
            out.append(tok)
    return out


def _token_pattern(text: str) -> re.Pattern[str]:
    return _TOKEN if "_" in text else _TOKEN_NO_UNDERSCORE


@lru_cache(maxsize=1 << 16)  # news reuses a small vocabulary: most calls are repeats
def stem(word: str) -> str:
    """A light suffix stripper (plurals, -ing, -ed, -ly) so "arrests"/"arrested" meet.

    Deliberately conservative: it only has to make near forms of one word compare equal inside
    one article, not be a linguistic stemmer.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl, min_len in (
        ("ies", "y", 5),
        ("sses", "ss", 5),
        ("ing", "", 6),
        ("edly", "", 7),
        ("ed", "", 5),
        ("ly", "", 6),
        ("es", "", 5),
        ("s", "", 4),
    ):
        if word.endswith(suffix) and len(word) >= min_len:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "xes", "zes", "sses")):
                continue
            return word[: len(word) - len(suffix)] + repl
    return word


def content_tokens(text: str) -> list[str]:
    """Tokens that carry meaning: stopwords and one-letter tokens dropped, lightly stemmed.

    Each raw token's fate (dropped, or its stem) is remembered: summaries take the content
    tokens of every sentence at ingest, and news reuses a small vocabulary.
    """
    text = _normalize(text).lower().replace("’", "'")
    forms = _CONTENT_FORMS
    if len(forms) > _MAX_CONTENT_FORMS:
        forms.clear()  # bounded memory; the next calls refill it with the words in use
    raw = _token_pattern(text).findall(text)
    found = list(map(forms.get, raw))
    if None in found:
        for i, form in enumerate(found):
            if form is None:
                found[i] = forms[raw[i]] = _content_form(raw[i])
    return list(filter(None, found))


_CONTENT_FORMS: dict[str, str] = {}
_MAX_CONTENT_FORMS = 1 << 17


def _content_form(tok: str) -> str:
    """What ``content_tokens`` keeps of one raw token: its stem, or "" when it is dropped."""
    if tok.endswith("'s"):
        tok = tok[:-2]
    if not tok or tok in STOPWORDS or (len(tok) <= 1 and not tok.isdigit()):
        return ""
    return stem(tok)
