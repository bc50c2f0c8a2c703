"""Reads a page the way a browser's parser does (html.parser) and checks what must hold on
every archive page: nothing executable, only safe link targets, the basic landmarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

SAFE_SCHEMES = {"", "http", "https", "file"}
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data"}


@dataclass
class Page:
    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    text: str = ""

    def all(self, name: str) -> list[dict[str, str]]:
        return [attrs for tag, attrs in self.tags if tag == name]

    def links(self) -> list[str]:
        return [a["href"] for a in self.all("a") if "href" in a]

    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs in self.tags if "id" in attrs}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self._text.append(data)


def parse(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader.page.text = " ".join(" ".join(reader._text).split())
    return reader.page


def assert_safe(page: Page) -> None:
    """No script, no event handlers, no embedded documents, only http(s)/file/relative URLs."""
    for tag, attrs in page.tags:
        assert tag not in {"script", "iframe", "object", "embed", "img", "base"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if tag == "link" and attrs.get("rel") == "icon" and value == "data:,":
                continue  # the empty favicon: no request, no content
            if name in URL_ATTRS:
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in SAFE_SCHEMES, (tag, name, value)


def assert_accessible(page: Page) -> None:
    """lang, a title, one h1, the landmarks, and a chart that names itself."""
    html = page.all("html")
    assert html and html[0].get("lang") == "en"
    assert len(page.all("h1")) == 1
    assert len(page.all("main")) == 1
    assert page.all("nav") and page.all("header") and page.all("footer")
    assert page.all("meta") and any(m.get("name") == "viewport" for m in page.all("meta"))
    for svg in page.all("svg"):
        if svg.get("aria-hidden") == "true":  # a decorative legend sample
            continue
        assert svg.get("role") == "img"
        labelled = svg.get("aria-labelledby", "").split()
        assert labelled and all(i in page.ids() for i in labelled)
    labels = {label.get("for") for label in page.all("label")}
    for control in page.all("input") + page.all("select"):
        assert control.get("id") in labels, control


def check(html: str) -> Page:
    page = parse(html)
    assert_safe(page)
    assert_accessible(page)
    return page
