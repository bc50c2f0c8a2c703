"""Real news with reference summaries, read from ``../shared/corpus`` (also used by bench/rouge.py).

Three kinds of reference, because no single kind is "the" news summary (see bench/rouge.py):
the BBC set's extractive summaries, the aeb pages' own descriptions (editor-written, often the
first sentence copied: the most lead-biased kind), and feed deks (a feed item's summary beside
its full text, not copied from it: abstractive). Each loader returns (title, body, reference)
and an empty list when its part of the corpus is absent.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import feedparser
import lxml.html

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
BBC = CORPUS / "summaries" / "bbc"
AEB = CORPUS / "articles" / "aeb"
FEEDS = CORPUS / "feeds" / "news"
MIN_BODY_WORDS = 60

Reference = tuple[str, str, str]


def load_bbc(corpus: Path = BBC) -> list[Reference]:
    """Every BBC article (first line its title) that has a reference summary."""
    out = []
    for art in sorted((corpus / "article").glob("*/*.txt")):
        ref = corpus / "summary" / art.parent.name / art.name
        if not ref.exists():
            continue
        title, _, body = art.read_text(encoding="utf-8", errors="replace").partition("\n")
        out.append((title.strip(), body, ref.read_text(encoding="utf-8", errors="replace")))
    return out


def load_standfirsts(aeb: Path = AEB) -> list[Reference]:
    """Each aeb page's checked body text against the page's own description."""
    if not (aeb / "ground-truth.json").exists():
        return []
    truth = json.loads((aeb / "ground-truth.json").read_text("utf-8"))
    out = []
    for sha, entry in sorted(truth.items()):
        raw = gzip.decompress((aeb / "html" / f"{sha}.html.gz").read_bytes())
        try:
            page = lxml.html.fromstring(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            page = lxml.html.fromstring(raw)
        described = page.xpath(
            '//meta[@property="og:description"]/@content|//meta[@name="description"]/@content'
        )
        titled = page.xpath('//meta[@property="og:title"]/@content|//title/text()')
        body = entry["articleBody"]
        if not described or len(body.split()) < MIN_BODY_WORDS:
            continue
        reference = " ".join(described[0].split())
        if len(reference.split()) >= 8:
            out.append(((titled[0] if titled else "").strip(), body, reference))
    return out


def load_deks(feeds: Path = FEEDS) -> list[Reference]:
    """Feed items' full text (paragraphs of ``content:encoded``) against their own summary,
    where that summary is not a copy of the text's opening."""
    if not feeds.is_dir():
        return []
    out = []
    for path in sorted(feeds.iterdir()):
        for entry in feedparser.parse(str(path)).entries:
            content, summary = entry.get("content"), entry.get("summary", "")
            if not content or not content[0].value.strip() or not summary.strip():
                continue
            page = lxml.html.fromstring(content[0].value)
            body = "\n\n".join(p for p in (e.text_content().strip() for e in page.iter("p")) if p)
            dek = " ".join(lxml.html.fromstring(summary).text_content().split())
            if len(body.split()) > 150 and 8 <= len(dek.split()) < 80 and dek[:60] not in body:
                out.append((entry.get("title", ""), body, dek))
    return out
