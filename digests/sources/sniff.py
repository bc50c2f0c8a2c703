"""What a document's first bytes say it is: an XML feed, a JSON Feed, an OPML list of feeds, or
(for messages) what else.

Used for files whose suffix says nothing (``feed__abc123``, ``index.php``) or may lie (an OPML
list saved as ``.xml``) and, by ``feeds``, to find the root element of a feed whose end may be
missing. Only markup matters here, so bytes in
any ASCII-compatible encoding are read as Latin-1; UTF-16/32 are decoded properly.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import Literal

SNIFF_BYTES = 4096  # how much of a file is read to decide what it is
FEED_ROOTS = frozenset({"rss", "feed", "RDF"})  # local names of a feed's root element

Kind = Literal["xml-feed", "json-feed"]

_PROLOG_ITEM = re.compile(
    r"""\s+                              # whitespace
      | <!--.*?-->                       # a comment
      | <\?.*?\?>                        # a declaration or PI, even <?xml?xml ... ??>
      | <!DOCTYPE(?:[^\[>]|\[.*?\])*>    # a doctype, with an internal subset or not
    """,
    re.S | re.I | re.X,
)
_START_TAG = re.compile(r"<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)(?=[\s/>])")
_HTML = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
_RSS1_HINT = re.compile(r"purl\.org/rss/1\.0|netscape\.com/rdf/simple/0\.9|<(?:\w+:)?channel[\s>]")
_JSON_VERSION = re.compile(r'"version"\s*:\s*"((?:[^"\\]|\\.)*)"')
_UTF32 = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"))
_UTF16 = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass(frozen=True)
class Sniffed:
    """``kind`` when the bytes are a feed, else None; ``looks_like`` says what they seem to be.

    ``undecided`` is set for a JSON object whose first bytes do not show a JSON Feed ``version``
    (keys may come in any order): only the whole document can tell. ``opml``: the root is
    ``<opml>``, a list of feeds rather than a feed (its feeds are sources of their own).
    """

    kind: Kind | None
    looks_like: str
    undecided: bool = False
    opml: bool = False


def markup_text(data: bytes) -> str:
    """``data`` as text good enough to read markup: UTF-16/32 decoded, anything else Latin-1."""
    for boms in (_UTF32, _UTF16):
        for bom, encoding in boms:
            if data.startswith(bom):
                return _decode(data[len(bom) :], encoding)
    if data[:4] in (b"<\x00\x00\x00", b"\x00\x00\x00<"):
        return _decode(data, "utf-32-le" if data[0] else "utf-32-be")
    if data[:2] in (b"<\x00", b"\x00<"):
        return _decode(data, "utf-16-le" if data[0] else "utf-16-be")
    return data.decode("latin-1").removeprefix("\xef\xbb\xbf")


def _decode(data: bytes, encoding: str) -> str:
    unit = 4 if "32" in encoding else 2
    return data[: len(data) - len(data) % unit].decode(encoding, errors="replace")


def xml_root(text: str) -> str | None:
    """The qualified name of the root element, after declaration, comments, PIs and doctype."""
    pos = 0
    while match := _PROLOG_ITEM.match(text, pos):
        pos = match.end()
    start = _START_TAG.match(text, pos)
    return start.group(1) if start else None


def local_name(qname: str) -> str:
    return qname.rpartition(":")[2]


def sniff(data: bytes, *, complete: bool) -> Sniffed:
    """What ``data`` (a whole document when ``complete``, else its first bytes) is."""
    text = markup_text(data)
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        return Sniffed(None, "an empty file")
    if _looks_binary(data):
        return Sniffed(None, "binary data")
    if stripped[0] in "{[":
        return _sniff_json(data, stripped, complete)
    root = xml_root(stripped) if stripped[0] == "<" else None
    if root is not None:
        name = local_name(root)
        if name in ("rss", "feed") or (name == "RDF" and _RSS1_HINT.search(stripped)):
            return Sniffed("xml-feed", f"a feed (root <{root}>)")
        if name.lower() == "html":
            return Sniffed(None, "an HTML page")
        if name.lower() == "opml":
            return Sniffed(None, "an OPML list of feeds", opml=True)
        return Sniffed(None, f"XML with root <{root}>")
    if _HTML.search(stripped[:1024]):
        return Sniffed(None, "an HTML page")
    if stripped[0] == "<":
        return Sniffed(None, "markup without a root element")
    return Sniffed(None, "text")


def _sniff_json(data: bytes, text: str, complete: bool) -> Sniffed:
    if text[0] != "{":
        return Sniffed(None, "JSON, not a JSON Feed")
    if complete:
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            if _names_jsonfeed_version(text):  # a JSON Feed cut short: fail it as a feed
                return Sniffed("json-feed", "a malformed JSON Feed")
            return Sniffed(None, "malformed JSON")
        if isinstance(doc, dict) and _is_jsonfeed_version(doc.get("version")):
            return Sniffed("json-feed", "a JSON Feed")
        return Sniffed(None, "JSON, not a JSON Feed")
    if _names_jsonfeed_version(text):
        return Sniffed("json-feed", "a JSON Feed")
    return Sniffed(None, "JSON, not a JSON Feed", undecided=True)


def _names_jsonfeed_version(text: str) -> bool:
    return any(_is_jsonfeed_version(v.replace("\\/", "/")) for v in _JSON_VERSION.findall(text))


def _is_jsonfeed_version(value: object) -> bool:
    return isinstance(value, str) and "jsonfeed.org/version" in value


def _looks_binary(data: bytes) -> bool:
    head = data[:SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return head[:2] not in (b"<\x00", b"\x00<") and b"\x00" in head
