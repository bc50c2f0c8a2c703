"""``build_static_archive``: the same pages as files, linked relatively, every link resolving."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from bot.app import App
from bot.archive_site import build_static_archive
from digests.errors import UsageError
from tests.bot.archive.conftest import HOSTILE_TITLE, SECURITY_DIGESTS
from tests.bot.archive.htmlcheck import check


def test_static_archive_writes_every_page(app: App, ids: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out).mkdir()
    (out / "keep.txt").write_text("not ours")
    count = build_static_archive(app, out)

    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    # index + security (2 list pages + 25 digests + the broken one, as an error page)
    # + migration (1 list page + 1 digest) + drugs (1 empty list page)
    assert count == len(pages) == 1 + (2 + SECURITY_DIGESTS + 1) + 2 + 1
    assert "index.html" in pages
    assert "digests/security/index.html" in pages
    assert "digests/security/page-2.html" in pages
    assert f"digests/security/{ids['security'][0]}.html" in pages
    broken = (out / "digests" / "security" / f"{ids['broken']}.html").read_text()
    assert "This digest could not be read." in check(broken).text
    assert f"digests/migration/{ids['hostile']}.html" in pages
    assert "digests/drugs/index.html" in pages
    assert (out / "static" / "site.css").read_text().startswith("/* digestbot archive")
    assert (out / "keep.txt").read_text() == "not ours"

    hostile = (out / "digests" / "migration" / f"{ids['hostile']}.html").read_text()
    assert HOSTILE_TITLE in check(hostile).text


def test_static_links_are_relative_and_resolve(
    app: App, ids: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build_static_archive(app, out)
    checked = 0
    for page_path in out.rglob("*.html"):
        html = page_path.read_text()
        page = check(html)
        assert 'http-equiv="Content-Security-Policy"' in html
        assert not page.all("form")  # no server, no search
        targets = page.links() + [s["href"] for s in page.all("link") if s["rel"] != "icon"]
        for href in targets:
            parts = urlsplit(href)
            if not parts.path:  # "#main", the skip link
                continue
            if parts.scheme:  # a story's link out
                assert parts.scheme in ("http", "https", "file")
                continue
            assert not href.startswith("/"), (page_path, href)
            target = (page_path.parent / unquote(parts.path)).resolve()
            assert target.is_file(), (page_path, href)
            checked += 1
    assert checked > 100
    index = (out / "digests" / "security" / "index.html").read_text()
    assert f'href="../../digests/security/{ids["security"][0]}.html"' in index
    assert 'rel="next" href="../../digests/security/page-2.html"' in index


def test_unwritable_output_is_a_one_line_error(app: App, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="cannot write"):
        build_static_archive(app, blocker / "site")
