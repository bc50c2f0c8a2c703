"""sniff: what a document's first bytes say it is (feeds without a telling suffix)."""

from __future__ import annotations

import codecs
import json

import pytest

from digests.sources.sniff import markup_text, sniff, xml_root


@pytest.mark.parametrize(
    ("head", "root"),
    [
        (b'<?xml version="1.0"?>\n<rss version="2.0">', "rss"),
        (b"\xef\xbb\xbf  \n<feed xmlns='http://www.w3.org/2005/Atom'>", "feed"),
        (b'<?xml version="1.0"?><?xml-stylesheet href="a.css"?><!-- c --><feed>', "feed"),
        (
            b'<!-- a <rss> in a comment -->\n<?xml?xml version="1.0" ??>\n<rss rss:version=2.0>',
            "rss",
        ),
        (b'<!DOCTYPE rss [ <!ENTITY nbsp "&#160;"> ]>\n<rss>', "rss"),
        (b"<rdf:RDF xmlns:rdf='x'>", "rdf:RDF"),
        (b"<rss:rss>", "rss:rss"),
        (b"<?xml version='1.0'?><note>", "note"),
        (b"<?xml version='1.0'", None),  # cut inside the declaration
        (b"plain text", None),
    ],
)
def test_xml_root(head: bytes, root: str | None) -> None:
    assert xml_root(markup_text(head)) == root


def test_markup_text_decodes_utf16_and_32() -> None:
    doc = '<?xml version="1.0"?><rss>'
    for encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
        data = doc.encode(encoding)
        assert markup_text(data) == doc, encoding
        assert markup_text(data + b"\x00")[: len(doc)] == doc, encoding  # cut mid-character


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b'<?xml version="1.0"?><rss version="2.0"><channel>', "xml-feed"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'><title>x", "xml-feed"),
        (b"<rdf:RDF xmlns='http://purl.org/rss/1.0/'><channel>", "xml-feed"),
        (
            b"<!-- x -->\n<?xml?xml version='1.0' ??>\n<rss rss:version=2.0><rss:channel>",
            "xml-feed",
        ),
        ('<rss version="2.0"><channel>'.encode("utf-16"), "xml-feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "json-feed"),
        (
            b'\xef\xbb\xbf {"version":"https:\\/\\/jsonfeed.org\\/version\\/1","items":[]}',
            "json-feed",
        ),
        # an RDF document that is no RSS 1.0 feed (an ontology) is not read as one
        (b"<rdf:RDF xmlns:rdf='x' xmlns:owl='y'><owl:Class/>", None),
        (b"<?xml version='1.0'?><note><to>x</to></note>", None),
        (b"<!doctype html><html><body>x</body></html>", None),
        (b'{"name": "package", "version": "1.2.3"}', None),
        (b"[1, 2, 3]", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        (codecs.BOM_UTF8 + b"# A README\n\nText.", None),
        (b"", None),
    ],
)
def test_sniff_kind(data: bytes, kind: str | None) -> None:
    assert sniff(data, complete=True).kind == kind
    assert sniff(data, complete=False).kind == kind


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"<?xml version='1.0'?><note/>", "XML with root <note>"),
        (b"<html lang=en><body>x", "an HTML page"),
        (b"\x00\x01\x02binary", "binary data"),
        (b"{\x00\x01 binary that starts like JSON", "binary data"),
        (b"Just some notes.\n", "text"),
        (b"  \n", "an empty file"),
        (b'{"name": "x"}', "JSON, not a JSON Feed"),
        (b'{"name": ', "malformed JSON"),
        (b"<?xml version='1.0'?><opml version='2.0'><head/>", "an OPML list of feeds"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "a malformed JSON Feed"),
    ],
)
def test_sniff_says_what_it_looks_like(data: bytes, looks_like: str) -> None:
    assert sniff(data, complete=True).looks_like == looks_like


def test_opml_is_flagged_and_is_no_feed() -> None:
    found = sniff(b"<?xml version='1.0'?>\n<!-- export -->\n<OPML version='1.0'>", complete=False)
    assert found.opml and found.kind is None
    assert not sniff(b"<rss><channel>", complete=False).opml


def test_json_feed_version_after_the_first_bytes_needs_the_whole_document() -> None:
    items = [{"id": str(i), "content_text": "x" * 200} for i in range(40)]
    doc = json.dumps({"items": items, "version": "https://jsonfeed.org/version/1"}).encode()
    head = sniff(doc[:4096], complete=False)
    assert head.kind is None and head.undecided
    assert sniff(doc, complete=True).kind == "json-feed"
