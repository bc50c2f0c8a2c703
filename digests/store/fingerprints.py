"""Fingerprints that decide "same article": exact (a SHA-256 of the normalized title+body)
and, for a teaser and its full text, a title key. The near-duplicate signal (MinHash of word
2-gram shingles, cut into LSH bands) is in ``minhash``, apart because it needs numpy, which
only writing articles does: reading commands (search, digest, ask) start without it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from digests import text as _text

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lowercased word tokens after Unicode normalization (NFKC, case folding)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def content_hash(title: str, body: str) -> str:
    """Hex SHA-256 of title and body reduced to their words: markup/spacing edits don't count."""
    return hash_of_words(words(title), words(body))


def hash_of_words(title_words: Sequence[str], body_words: Sequence[str]) -> str:
    """``content_hash`` from words already split (the store splits each article once)."""
    normalized = " ".join(title_words) + "\n" + " ".join(body_words)
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


# --- Titles ----------------------------------------------------------------------------------
#
# A second, cheap "same story" signal for what MinHash cannot see: a teaser (a feed's first
# sentence or a short description) shares few shingles with the full text another feed carries,
# so their Jaccard similarity is tiny, but outlets running one wire story give it one headline.
# The key is only used when MinHash finds no story, and only for titles distinctive enough that
# two different stories are unlikely to share them within ``STORY_WINDOW``.

TITLE_MIN_WORDS = 5  # shorter titles ("Live updates", "Oil prices fall") are not distinctive
TITLE_MIN_CONTENT_WORDS = 4  # words that are neither stopwords nor single letters
# Two articles with one title key are still different stories when both bodies are long and
# their texts share almost nothing: at least this many body words each ...
LONG_BODY_WORDS = 150
# ... and an estimated Jaccard below this (different articles: p99.9 0.07; same story: >= 0.4).
CONTRADICTION = 0.1


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# Series, formats and aggregates: one headline reused for different content (a live blog,
# a daily briefing, a newsletter issue, a quiz). Matched against the normalized title (case
# folded, accents and the site suffix gone, curly quotes straight). From the corpus feeds:
# "Live: ...", "The War Room newsletter: ...", "Quiz of The Week: 7 – 13 February",
# "The Week Unwrapped: ...", "The week's best photos", "12/18: CBS Evening News",
# "Magazine solutions - February 27, 2026", "Africa: All of Africa Today - February 17, 2026",
# "... News Briefs - February 17, 2025", "... Podcast", "...: What to Know".
_GENERIC_TITLE = re.compile(
    "|".join(
        (
            r"^live\b",
            r"\blive (?:updates?|blog|coverage|reporting|stream|text|commentary|reaction)\b",
            r"\bliveblog\b",
            r"\bas it happened\b",
            r"^(?:the )?latest\s*:",
            r"\b(?:morning|afternoon|evening|night|nightly|daily|weekly|weekend|midday|breakfast"
            r"|news|business|your|first) (?:briefing|briefs?|bulletin|digest|wrap|round-?up"
            r"|recap|report|news|edition)\b",
            r"^(?:briefing|bulletin|digest|round-?up|recap)\b",
            r"\bnews (?:in brief|summary|quiz)\b",
            r"\bnewsletter\b",
            r"^podcast\b",
            r"\bpodcast\s*(?:$|[:|])",
            r"\bepisode \d",
            r"^letters?\b",
            r"\bletters? to the editor\b",
            r"\bwhat (?:we|you) (?:know|need to know)\b",
            r"\bwhat to know\b",
            r"\b(?:the|this) week in\b",
            r"\bweek in (?:review|pictures|photos|numbers)\b",
            r"\bweek unwrapped\b",
            r"\bweek'?s best\b",
            r"\bquiz\b",
            r"\b(?:photos?|pictures|images) of the (?:day|week|month|year)\b",
            r"\bin (?:pictures|photos|images)\s*(?:$|:)",
            r"^(?:pictures|photos|gallery)\s*:",
            r"\b(?:crossword|sudoku|wordle|puzzles?|horoscopes?)\b",
            r"\bmagazine (?:solutions|printables)\b",
            r"\b(?:today in history|on this day|open thread)\b",
            r"\b(?:top stories|top headlines|today'?s headlines)\b",
            r"\beditorial cartoons?\b",
            rf"[-–—|:,]\s*{_MONTH} \d{{1,2}},? \d{{4}}\s*$",  # a dated issue of a series
            rf"[-–—|:,]\s*\d{{1,2}} {_MONTH},? \d{{4}}\s*$",
            r"^\d{1,2}/\d{1,2}(?:/\d{2,4})?\s*:",  # "12/18: CBS Evening News"
        )
    )
)
# Every title ``_GENERIC_TITLE`` matches has one of these words (or starts with a digit).
_GENERIC_WORDS = _word_set(
    """
    live liveblog happened latest briefing brief briefs bulletin digest wrap roundup round
    recap report news edition newsletter podcast episode letter letters know week weeks quiz photo
    photos pictures images gallery crossword sudoku wordle puzzle puzzles horoscope horoscopes
    magazine history day thread stories headlines cartoon cartoons
    jan january feb february mar march apr april may jun june jul july aug august sep sept
    september oct october nov november dec december
    """
)
# A site suffix: " - BBC News", " | Reuters", " – The Guardian", " — Backchannel — Medium".
_SUFFIX_SEPARATOR = re.compile(r"\s+(?:[-–—|·•]|--|::)\s+")
_SITE_WORD = re.compile(r"[A-Z][\w'’&.-]*|[\w-]+\.[a-z]{2,}|&")  # "Reuters", "TMZ.com", "&"
_SITE_CONNECTORS = _word_set("of the and de la le el du des del di da on for at")
# Tails that name a part of a series, not a site: "... - Day Five", "... | Live".
_NOT_SITE = _word_set(
    "live update updates latest day part episode round chapter video videos photos pictures "
    "analysis opinion review interview podcast explained watch listen"
)
_MAX_SITE_WORDS = 5
_DOTTED = re.compile(r"(?<![\w.])((?:\w\.){2,})(?!\w)")  # "U.S.", "U.N.": as "US", "UN"
_QUOTES = str.maketrans("‘’‚‛“”„‟′″", "''''\"\"\"\"'\"")


def title_key(title: str) -> str | None:
    """A key equal for the same headline as two outlets print it, or None when the title is
    not distinctive (too few words or content words, or a generic series title).

    The words of the title after NFKC, case folding, accents and a site suffix removed
    (" - BBC News"), "U.S." read as "US", a possessive "'s" dropped; hashed (32 hex digits).
    """
    text = _strip_site_suffix(" ".join(title.split()))
    text = _without_accents(unicodedata.normalize("NFKC", text).casefold()).translate(_QUOTES)
    found = _text.tokens(_DOTTED.sub(lambda m: m.group(1).replace(".", ""), text))
    if len(found) < TITLE_MIN_WORDS:
        return None
    content = [t for t in found if t not in _text.STOPWORDS and (len(t) > 1 or t.isdigit())]
    if len(content) < TITLE_MIN_CONTENT_WORDS:
        return None
    # The pattern only when a word it needs is there: most titles have none, and the search
    # of one long alternation costs more than everything else here together.
    maybe_generic = text[:1].isdigit() or not _GENERIC_WORDS.isdisjoint(found)
    if maybe_generic and _GENERIC_TITLE.search(text):
        return None
    return hashlib.blake2b(" ".join(found).encode(), digest_size=16).hexdigest()


def _strip_site_suffix(title: str) -> str:
    """``title`` without trailing site names (at most two: " — Backchannel — Medium")."""
    for _ in range(2):
        separators = list(_SUFFIX_SEPARATOR.finditer(title))
        if not separators:
            break
        last = separators[-1]
        head, tail = title[: last.start()], title[last.end() :]
        if len(head.split()) < 2 or not _is_site_name(tail):
            break
        title = head
    return title


def _is_site_name(tail: str) -> bool:
    """Whether a title's tail reads as a publication's name: a few capitalised words or a
    domain, no digits, no sentence punctuation, none of the words that mark a series part."""
    parts = tail.split()
    if not 1 <= len(parts) <= _MAX_SITE_WORDS or any(c.isdigit() for c in tail):
        return False
    if any(c in tail for c in "?!:;,\"“”()"):
        return False
    named = 0
    for part in parts:
        if part.casefold().strip("'’.") in _NOT_SITE:
            return False
        if part.casefold() in _SITE_CONNECTORS:
            continue
        if not _SITE_WORD.fullmatch(part):
            return False
        named += 1
    return named > 0


def _without_accents(text: str) -> str:
    """``text`` with combining marks removed ("Jerí" -> "Jeri"); unchanged when it has none."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )
