"""html_to_text on HTML fragments (reader-mode pages), which trafilatura refuses: the
project's own HTML-to-text reads them; whole pages stay trafilatura's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import lxml.html
import pytest

from digests.sources.extract import html_to_text

READABILITY = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "articles" / (
    "readability"
)
PARAS = (
    "<p>The coast guard intercepted a fishing boat carrying cocaine off the Canary Islands.</p>"
    "<p>Five crew members were arrested and the <b>vessel</b> was towed to Las Palmas.</p>"
)


def reader_page(body: str) -> str:
    """The shape reader modes save (Firefox's Readability): trafilatura finds no text in it."""
    return f'<div id="readability-page-1" class="page"><div>{body}</div></div>'


def test_a_fragment_of_paragraphs_is_read() -> None:
    page = html_to_text(reader_page(f"{PARAS}<script>alert(1)</script>"))
    assert page.text == (
        "The coast guard intercepted a fishing boat carrying cocaine off the Canary Islands.\n\n"
        "Five crew members were arrested and the vessel was towed to Las Palmas."
    )
    assert page.title == ""  # the file reader then takes the first words


def test_a_fragment_heading_is_its_title_not_its_first_line() -> None:
    page = html_to_text(reader_page(f"<h1>Boat seized</h1>{PARAS}").encode())
    assert page.title == "Boat seized"
    assert page.text.startswith("The coast guard intercepted")


def test_a_fragment_in_another_encoding_is_decoded() -> None:
    html = reader_page("<p>Le garde-côte a intercepté un bateau près des Canaries.</p>")
    page = html_to_text(html.encode("cp1252"))
    assert "garde-côte a intercepté" in page.text


@pytest.mark.parametrize(
    "html",
    ["just words, no markup", b"\x00\x01binary", "<html><body><nav>Home</nav></body></html>",
     "<div><span> </span></div>"],
)
def test_no_paragraphs_no_text(html: str | bytes) -> None:
    assert html_to_text(html).text in ("", "Home")  # trafilatura's own reading of a menu


def test_a_whole_page_trafilatura_reads_is_not_second_guessed() -> None:
    """Paragraphs in a sidebar or comments stay out: only an empty extraction falls back."""
    article = " ".join(["Customs officers seized cocaine hidden in banana crates."] * 6)
    comments = "".join(f"<p>Comment {i}: {'what a story ' * 20}</p>" for i in range(10))
    html = (
        "<html><head><title>Port seizure</title></head><body>"
        f"<article><h1>Port seizure</h1><p>{article}</p><p>{article}</p></article>"
        f'<div class="comments">{comments}</div></body></html>'
    )
    page = html_to_text(html)
    assert "banana crates" in page.text and "what a story" not in page.text


@pytest.mark.corpus
def test_every_reader_fragment_of_the_corpus_has_text() -> None:
    if not READABILITY.is_dir():
        pytest.skip("corpus/articles/readability not present")
    pages = sorted(READABILITY.glob("*/expected.html"))
    assert len(pages) > 20
    for page in pages:
        text = html_to_text(page.read_bytes()).text
        paragraphs = Counter(
            " ".join(p.text_content() for p in lxml.html.fromstring(page.read_bytes()).iter("p"))
            .split()
        )
        kept = sum((Counter(text.split()) & paragraphs).values())
        assert kept >= 0.85 * sum(paragraphs.values()), page
