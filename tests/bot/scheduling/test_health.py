"""Feed-health decisions and notices (the poller tests cover them end to end)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.health import FeedHealth, admin_target, health_change
from bot.types import Target
from digests.settings import ChannelSettings, Settings


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        (3, 4, None),
        (4, 5, "failing"),  # reaches the threshold: the one notice of this streak
        (5, 6, None),
        (9, 10, None),
        (9, 0, "recovered"),
        (5, 0, "recovered"),
        (4, 0, None),  # never reached the threshold: nothing to recover from
        (0, 0, None),
    ],
)
def test_health_change(before: int, after: int, change: str | None) -> None:
    assert health_change(before, after, threshold=5) == change


async def test_notices_over_a_streak() -> None:
    sent: list[str] = []

    async def notify(text: str) -> None:
        sent.append(text)

    health = FeedHealth(3, notify)
    url = "https://feeds.example/rss"
    for n in range(1, 6):
        await health.observe(url, before=n - 1, after=n, error="HTTP 503",
                             next_poll=datetime(2024, 5, 1, 13, tzinfo=UTC))
    await health.observe(url, before=5, after=0)
    assert sent == [
        "Feed https://feeds.example/rss is failing: 3 polls in a row went wrong "
        "(last error: HTTP 503); next try 2024-05-01 13:00 UTC. Retrying with backoff.",
        "Feed https://feeds.example/rss recovered after 5 failed polls.",
    ]


async def test_broken_notifier_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(text: str) -> None:
        raise RuntimeError("admin channel gone")

    text = await FeedHealth(1, broken).observe("https://x.example/", before=0, after=1)
    assert text is not None and "is failing" in text
    assert any("could not post notice" in r.getMessage() for r in caplog.records)


def test_admin_target_from_settings() -> None:
    settings = Settings(
        admin_channel="ops",
        channels={"ops": ChannelSettings(platform="slack", channel="C0PS")},
    )
    assert admin_target(settings) == Target(name="ops", platform="slack", channel_id="C0PS")
    assert admin_target(Settings()) is None
