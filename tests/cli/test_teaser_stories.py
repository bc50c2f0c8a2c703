"""A teaser feed and a full-text feed carry one story: ``ingest`` of both, then ``digest``
shows it once, with both sources (the title links what MinHash cannot)."""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape

from tests.cli.conftest import Workdir
from tests.cli.harness import Run

Cli = Callable[..., Run]

TITLE = "Militia rejects disarmament plan and government's four-month deadline"
FULL_TEXT = (
    "The armed militia that controls the border districts rejected on Tuesday a government "
    "plan to disarm it within four months, raising fears of renewed fighting in the south. "
    "In a statement read by its spokesman, the group said it would not hand over its weapons "
    "while foreign troops remained on national soil and while its fighters faced arrest. "
    "The plan, approved by the cabinet last week, calls for the militia's rockets and heavy "
    "guns to be placed under army control and for its fighters to join the security forces "
    "or return to civilian life. Army commanders said they were ready to deploy along the "
    "border as soon as the weapons were collected, but warned that they lacked the equipment "
    "to take on the militia by force. Diplomats said the rejection would complicate talks on "
    "a ceasefire monitored by international peacekeepers, whose mandate expires at the end of "
    "the year. The prime minister called for calm and said the government would keep talking "
    "to all parties, while opposition leaders accused the militia of holding the country "
    "hostage. Residents of the border villages, many of whom fled during the last war, said "
    "they feared that airstrikes and shelling could resume within weeks. Security analysts "
    "noted that the militia had rearmed since the truce and now fields drones and missiles "
    "able to reach the capital."
)
TEASER = (
    "The armed militia that controls the border districts rejected on Tuesday a government "
    "plan to disarm it within four months."
)


def _feed(name: str, link: str, title: str, description: str, content: str = "") -> str:
    encoded = f"<content:encoded>{escape(content)}</content:encoded>" if content else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
        f"<channel><title>{name}</title><link>https://{name}.example/</link>"
        "<description>test</description>\n"
        f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{escape(description)}</description>{encoded}</item>\n"
        "</channel></rss>\n"
    )


def test_teaser_and_full_text_are_one_digest_item(cli: Cli, workdir: Workdir) -> None:
    full_url = "https://paper.example/world/militia-rejects-disarmament"
    teaser_url = "https://wire.example/news/2026/militia-disarmament-deadline"
    full = workdir.write(
        "paper.xml", _feed("paper", full_url, TITLE, TEASER, f"<p>{FULL_TEXT}</p>")
    )
    teaser = workdir.write(
        "wire.xml", _feed("wire", teaser_url, TITLE.replace("'", "’") + " - Wire", TEASER)
    )
    assert cli("ingest", full, "--json").json() == {"new": 1, "duplicates": 0, "failed": []}
    assert cli("ingest", teaser, "--json").json() == {"new": 1, "duplicates": 0, "failed": []}

    run = cli("digest", "--topic", "security", "--since", "24h", "--json")
    assert run.code == 0, run.err
    items = run.json()["items"]
    assert len(items) == 1, [i["title"] for i in items]
    assert {s["url"] for s in items[0]["sources"]} == {full_url, teaser_url}
