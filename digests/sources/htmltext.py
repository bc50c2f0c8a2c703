"""Feed HTML fragments to plain text, safely: parsed with lxml, never stripped with regexes.

Script, style and other non-content elements are dropped with their text; block elements become
line breaks (paragraphs a blank line); entities are decoded by the parser.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

# Elements whose text is never content (and may be hostile).
_DROP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "head",
        "title",
        "meta",
        "link",
        "button",
        "select",
        "textarea",
        "form",
        "canvas",
    }
)
# Elements that start a new paragraph.
_BLOCK = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "dl",
        "li",
        "dd",
        "dt",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "figure",
        "figcaption",
        "address",
        "details",
        "summary",
        "center",
        "body",
        "html",
    }
)
_CELL = frozenset({"td", "th"})
_PARA = "\x00P\x00"  # internal paragraph marker, removed before returning
_LINE = "\x00L\x00"  # internal line-break marker
_PARA_SPLIT = re.compile(r"(?:\s*\x00P\x00\s*)+")
_LINE_SPLIT = re.compile(r"(?:\s*\x00L\x00\s*)+")
_PARSER = lxml.html.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
)


def html_fragment_to_text(html: str, *, _unescaped: bool = False) -> str:
    """Plain text of an HTML fragment (feed summary/content); ``""`` when it holds no text.

    HTML escaped twice (``&lt;p&gt;...``, seen in real feeds) is decoded once more.
    """
    if "<" not in html and "&" not in html:
        return plain_text(html, keep_lines=False)
    # NUL bytes are not text and would collide with the markers.
    data = html.replace("\x00", "").encode("utf-8", "replace")
    try:
        root = lxml.html.document_fromstring(data, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return ""
    for el in list(root.iter(*_DROP)):
        if el.getparent() is not None:
            el.drop_tree()
    pieces: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _BLOCK:
                pieces.append(_PARA)
            elif tag == "br":
                pieces.append(_LINE)
            elif tag in _CELL:
                pieces.append(" ")
            if el.text and tag:
                pieces.append(el.text)
        else:
            if tag in _BLOCK:
                pieces.append(_PARA)
            if el.tail:
                pieces.append(el.tail)
    text = _normalise("".join(pieces))
    if not _unescaped and "<" not in html and text.startswith("<") and text.endswith(">"):
        return html_fragment_to_text(text, _unescaped=True)
    return text


def plain_text(text: str, *, keep_lines: bool = True) -> str:
    """Whitespace tidied: spaces collapsed, paragraphs (blank-line separated) kept.

    With ``keep_lines`` single line breaks stay too (plain-text bodies); without, they are
    spaces (as in HTML).
    """
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\n[ \t\f\v]*\n\s*", _PARA, text)
    if keep_lines:
        text = text.replace("\n", _LINE)
    return _normalise(text)


def collapse(text: str) -> str:
    """One line: every run of whitespace a single space (titles, authors)."""
    return " ".join(text.replace("\x00", "").split())  # as re \s+ -> " ", strip(); faster


def _normalise(marked: str) -> str:
    paragraphs = []
    for para in _PARA_SPLIT.split(marked):
        lines = [" ".join(line.split()) for line in _LINE_SPLIT.split(para)]
        joined = "\n".join(line for line in lines if line)
        if joined:
            paragraphs.append(joined)
    return "\n\n".join(paragraphs)
