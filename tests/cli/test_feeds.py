"""``digestbot feeds add|remove|list|export``: following feeds from the command line, against
a local HTTP server (the operator is trusted: an intranet feed may be followed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from digests.sources.discover import MAX_LINKS
from digests.sources.opml import parse_opml
from digests.store import Store
from tests.cli.conftest import Workdir
from tests.cli.harness import DATA, Run, count_articles

Cli = Callable[..., Run]
CONFIGURED = "https://news.example.org/world.xml"


@pytest.fixture
def feed_url(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/feed.xml").respond_with_data(
        DATA.joinpath("feed.xml").read_bytes(), content_type="application/rss+xml",
        headers={"ETag": '"v1"'})
    return httpserver.url_for("/feed.xml")


def config(workdir: Workdir) -> str:
    return str(workdir.write("feeds.yaml", f"sources:\n  - url: {CONFIGURED}\n    name: World\n"))


def test_add_fetches_stores_and_follows(cli: Cli, workdir: Workdir, feed_url: str) -> None:
    run = cli("feeds", "add", feed_url, "--json")
    assert run.code == 0, run.err
    assert run.json() == {"url": feed_url, "title": "Example Wire", "new": 2, "duplicates": 0,
                          "already": None, "found_on": None}
    assert count_articles(workdir.db_url) == 2
    store = Store.open(workdir.db_url)
    try:
        state = store.get_feed(feed_url)
    finally:
        store.close()
    assert state is not None and state.added_by == "cli" and state.etag == '"v1"'

    again = cli("feeds", "add", f"  {feed_url}/  ", "--name", "Other", "--json")
    assert again.code == 0
    assert again.json()["already"] == "added" and again.json()["new"] == 0

    text = cli("feeds", "add", feed_url)
    assert text.out == f"already following {feed_url} (added by cli)\n"


def test_add_with_a_name_and_plain_output(cli: Cli, feed_url: str) -> None:
    run = cli("feeds", "add", feed_url, "--name", "Wire desk")
    assert run.code == 0, run.err
    assert run.out == f"now following Wire desk <{feed_url}>: 2 new articles, 0 duplicates\n"
    listed = cli("feeds", "list", "--json").json()
    assert [(r["url"], r["title"], r["followed"], r["added_by"]) for r in listed] == [
        (feed_url, "Wire desk", True, "cli")
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example/feed.xml", "only http:// and https:// feed URLs"),
        ("not a url", "a URL has no spaces"),
        ("https://x.example/" + "a" * 2000, "URL too long"),
    ],
)
def test_add_bad_url_is_one_line_exit_2(
    cli: Cli, workdir: Workdir, url: str, message: str
) -> None:
    run = cli("feeds", "add", url, "--json")
    run.assert_clean_error()
    assert run.err.startswith("digestbot: error: ") and message in run.err
    assert run.out == ""
    assert not (workdir.path / "data" / "test.db").exists()  # refused before the store opens


def test_add_of_a_page_that_is_not_a_feed_adds_nothing(
    cli: Cli, workdir: Workdir, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/page").respond_with_data(
        "<!doctype html><html><body>Hello</body></html>", content_type="text/html")
    url = httpserver.url_for("/page")
    run = cli("feeds", "add", url, "--json")
    run.assert_clean_error()
    assert f"{url}: " in run.err and "HTML page, not a feed" in run.err
    assert cli("feeds", "list", "--json").json() == []


def _site(httpserver: HTTPServer, head: str) -> str:
    httpserver.expect_request("/").respond_with_data(
        f"<!doctype html><html><head><title>Wire</title>{head}</head><body>News</body></html>",
        content_type="text/html")
    return httpserver.url_for("/")


def test_add_of_a_site_follows_the_feed_its_page_names(
    cli: Cli, workdir: Workdir, httpserver: HTTPServer, feed_url: str
) -> None:
    """Autodiscovery: the page's <link rel="alternate" type="application/rss+xml"> is
    followed; the page itself is not. A feed link that fails is skipped for the next one."""
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)
    site = _site(httpserver,
                 '<link rel="alternate" type="application/rss+xml" href="/gone.xml">'
                 '<link rel="alternate" type="application/rss+xml" href="/feed.xml">')
    run = cli("feeds", "add", site, "--json")
    assert run.code == 0, run.err
    assert run.json() == {"url": feed_url, "title": "Example Wire", "new": 2, "duplicates": 0,
                          "already": None, "found_on": site}
    assert [r["url"] for r in cli("feeds", "list", "--json").json()] == [feed_url]
    again = cli("feeds", "add", site)
    assert again.out == f"already following {feed_url} (added by cli)\n"
    assert cli("feeds", "add", site, "--json").json()["found_on"] == site


def test_a_feed_link_to_another_host_is_page_content_not_the_operators_word(
    cli: Cli, workdir: Workdir, httpserver: HTTPServer, feed_url: str
) -> None:
    """The operator trusts the page (here on localhost), not what it says: a feed link to
    another host (127.0.0.1, as a public page might name 169.254.169.254) is fetched as a
    redirect to another host would be, and refused on a private address."""
    elsewhere = feed_url.replace("localhost", "127.0.0.1")
    assert elsewhere != feed_url
    site = _site(httpserver, f'<link rel="alternate" type="application/rss+xml" '
                             f'href="{elsewhere}">')
    run = cli("feeds", "add", site)
    assert run.code == 2
    assert "non-public address 127.0.0.1" in run.err
    assert cli("feeds", "list", "--json").json() == []
    allowed = workdir.write("allow.yaml", "fetch:\n  allow_private_addresses: true\n")
    ok = cli("feeds", "add", site, "--json", "--config", str(allowed))
    assert ok.code == 0, ok.err
    assert ok.json()["url"] == elsewhere


def test_add_of_a_site_whose_feeds_all_fail_adds_nothing(
    cli: Cli, workdir: Workdir, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)
    site = _site(httpserver, '<link rel="alternate" type="application/atom+xml" href="gone.xml">')
    run = cli("feeds", "add", site)
    run.assert_clean_error()
    gone = httpserver.url_for("/gone.xml")
    assert f"{site}: is an HTML page, not a feed (it names the feed {gone}), which failed: " \
        f"{gone}: " in run.err and "404" in run.err
    assert cli("feeds", "list", "--json").json() == []


def test_add_of_a_site_tries_every_feed_it_names(
    cli: Cli, workdir: Workdir, httpserver: HTTPServer, feed_url: str
) -> None:
    """A page naming five feeds whose first four fail (404, 500, a page, not XML) still
    follows the fifth: every announced feed is tried, up to discover.MAX_LINKS."""
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)
    httpserver.expect_request("/broken.xml").respond_with_data("oops", status=500)
    httpserver.expect_request("/page.xml").respond_with_data(
        "<!doctype html><html><body>Hi</body></html>", content_type="text/html")
    httpserver.expect_request("/junk.xml").respond_with_data(
        "not xml at all", content_type="application/rss+xml")
    dead = ["/gone.xml", "/broken.xml", "/page.xml", "/junk.xml"]
    site = _site(httpserver, "".join(
        f'<link rel="alternate" type="application/rss+xml" href="{path}">'
        for path in [*dead, "/feed.xml"]))
    assert len(dead) + 1 == MAX_LINKS
    run = cli("feeds", "add", site, "--json")
    assert run.code == 0, run.err
    assert run.json()["url"] == feed_url and run.json()["found_on"] == site
    assert run.json()["new"] == 2
    asked = [request.path for request, _ in httpserver.log]
    assert asked == ["/", *dead, "/feed.xml"], asked
    assert [r["url"] for r in cli("feeds", "list", "--json").json()] == [feed_url]


def test_add_of_a_site_whose_many_feeds_all_fail_says_how_many(
    cli: Cli, workdir: Workdir, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)
    httpserver.expect_request("/broken.xml").respond_with_data("oops", status=500)
    site = _site(httpserver,
                 '<link rel="alternate" type="application/rss+xml" href="/gone.xml">'
                 '<link rel="alternate" type="application/atom+xml" href="/broken.xml">')
    run = cli("feeds", "add", site)
    run.assert_clean_error()
    gone = httpserver.url_for("/gone.xml")
    assert f"(it names the feed {gone}), which failed (and the 1 other feed it names): " \
        f"{gone}: " in run.err and "404" in run.err
    assert len(httpserver.log) == 3
    assert cli("feeds", "list", "--json").json() == []


def test_remove_added_unknown_and_configured(cli: Cli, workdir: Workdir, feed_url: str) -> None:
    conf = config(workdir)
    assert cli("feeds", "add", feed_url, "--config", conf).code == 0
    gone = cli("feeds", "remove", feed_url, "--config", conf, "--json")
    assert gone.code == 0
    assert gone.json() == {"url": feed_url, "removed": True, "found_on": None}
    again = cli("feeds", "remove", feed_url, "--config", conf, "--json")
    assert again.code == 0
    assert again.json() == {"url": feed_url, "removed": False, "found_on": None}
    plain = cli("feeds", "remove", "https://never.example/feed", "--config", conf)
    assert plain.out == "https://never.example/feed is not followed: nothing removed\n"
    configured = cli("feeds", "remove", CONFIGURED, "--config", conf, "--json")
    configured.assert_clean_error()
    assert f"{CONFIGURED} is configured in {conf}: remove it there" in configured.err


def test_list_marks_feeds_that_are_not_followed(
    cli: Cli, workdir: Workdir, feed_url: str, httpserver: HTTPServer
) -> None:
    conf = config(workdir)
    httpserver.expect_request("/once.xml").respond_with_data(
        DATA.joinpath("feed.xml").read_bytes(), content_type="application/rss+xml")
    once = httpserver.url_for("/once.xml")
    assert cli("ingest", once, "--config", conf).code == 0  # a one-off: not followed
    assert cli("feeds", "add", feed_url, "--config", conf).code == 0

    rows = cli("feeds", "list", "--config", conf, "--json").json()
    assert [(r["url"], r["followed"], r["added_by"]) for r in rows] == [
        (CONFIGURED, True, None),
        (feed_url, True, "cli"),
        (once, False, None),
    ]
    assert rows[2]["next_poll"] is None and rows[2]["last_success"] is not None

    text = cli("feeds", "list", "--config", conf).out.splitlines()
    assert text[0] == f"{CONFIGURED} [not polled yet] last success: never"
    assert text[1].endswith(" (added by cli)")
    assert text[2].startswith(f"{once} [ok]") and text[2].endswith(" [not followed]")

    exported = cli("feeds", "export", "--config", conf)
    assert exported.code == 0
    feeds = parse_opml(exported.out.encode(), source="stdout")
    assert [(f.url, f.title) for f in feeds] == [
        (CONFIGURED, "World"), (feed_url, "Example Wire")
    ]


def _link(path: str) -> str:
    return f'<link rel="alternate" type="application/rss+xml" href="{path}">'


def test_remove_of_the_site_a_feed_was_added_through_removes_that_feed(
    cli: Cli, workdir: Workdir, httpserver: HTTPServer, feed_url: str
) -> None:
    """``feeds add PAGE`` stores the page (``found_on`` in ``feeds list``); ``feeds remove``
    of that page (in another spelling of it: compared as feed URLs are) removes the feed."""
    site = _site(httpserver, _link("/feed.xml"))
    assert cli("feeds", "add", site).code == 0
    [row] = cli("feeds", "list", "--json").json()
    assert (row["url"], row["found_on"]) == (feed_url, site)

    spelled = site.rstrip("/").replace("localhost", "LOCALHOST") + "?utm_source=x"
    run = cli("feeds", "remove", spelled, "--json")
    assert run.code == 0, run.err
    assert run.json() == {"url": feed_url, "removed": True, "found_on": spelled}
    [row] = cli("feeds", "list", "--json").json()
    assert (row["followed"], row["found_on"]) == (False, None)
    again = cli("feeds", "remove", site)
    assert again.out == f"{site} is not followed: nothing removed\n"

    assert cli("feeds", "add", site).code == 0
    plain = cli("feeds", "remove", site)
    assert plain.code == 0, plain.err
    assert plain.out == f"no longer following {feed_url} (the feed {site} names)\n"


def test_a_feed_added_directly_keeps_no_page(cli: Cli, feed_url: str) -> None:
    assert cli("feeds", "add", feed_url).code == 0
    [row] = cli("feeds", "list", "--json").json()
    assert row["found_on"] is None
    assert cli("feeds", "remove", feed_url, "--json").json() == {
        "url": feed_url, "removed": True, "found_on": None}


def test_remove_of_a_site_several_feeds_were_found_on_removes_none(
    cli: Cli, workdir: Workdir, httpserver: HTTPServer, feed_url: str
) -> None:
    """The page named one feed, then (changed) another: both were added through it, so
    which one ``remove PAGE`` means is not known: exit 2, both listed, both still followed."""
    httpserver.expect_request("/other.xml").respond_with_data(
        DATA.joinpath("feed.xml").read_bytes(), content_type="application/rss+xml")
    other = httpserver.url_for("/other.xml")
    httpserver.expect_oneshot_request("/").respond_with_data(
        f"<html><head>{_link('/feed.xml')}</head></html>", content_type="text/html")
    site = _site(httpserver, _link("/other.xml"))
    assert cli("feeds", "add", site, "--json").json()["url"] == feed_url
    assert cli("feeds", "add", site, "--json").json()["url"] == other

    run = cli("feeds", "remove", site, "--json")
    run.assert_clean_error()
    assert f"2 feeds were found on {site}: {feed_url}, {other}; nothing removed" in run.err
    assert run.out == ""
    rows = cli("feeds", "list", "--json").json()
    assert [(r["url"], r["followed"], r["found_on"]) for r in rows] == [
        (feed_url, True, site), (other, True, site)]


def test_remove_of_the_site_of_a_feed_now_configured_is_refused(
    cli: Cli, workdir: Workdir, httpserver: HTTPServer, feed_url: str
) -> None:
    site = _site(httpserver, _link("/feed.xml"))
    assert cli("feeds", "add", site).code == 0
    conf = str(workdir.write("mine.yaml", f"sources:\n  - url: {feed_url}\n"))
    run = cli("feeds", "remove", site, "--config", conf)
    run.assert_clean_error()
    assert f"{feed_url} is configured in {conf}: remove it there" in run.err
    [row] = cli("feeds", "list", "--json").json()
    assert row["added_by"] == "cli"
