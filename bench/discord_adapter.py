"""Discord adapter figures against the local fake Discord API (no network, no Discord).

Run by hand: ``.venv/bin/python bench/discord_adapter.py``. Prints, over N runs each:
- webhook delivery of a 20-story digest: messages per digest, embeds per message, and the time
  to render and post all of them (discord.py's webhook client over local HTTP);
- a webhook post that gets one 429 (retry_after 0.2 s): total time and messages created;
- slash commands dispatched as the gateway delivers them (INTERACTION_CREATE -> the real tree
  and cog): time to the defer reaching the fake (Discord's limit is 3 s) and to the last
  follow-up, for ``/news digest`` and ``/news topics``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from a checkout

import aiohttp  # noqa: E402

from bot.app import make_app  # noqa: E402
from bot.discord_app import make_discord_bot  # noqa: E402
from bot.senders.discord import DiscordWebhookSender  # noqa: E402
from bot.types import Target  # noqa: E402
from digests.pipeline import store_articles  # noqa: E402
from digests.render import discord as render_discord  # noqa: E402
from digests.settings import Secrets  # noqa: E402
from tests.bot.discord.conftest import (  # noqa: E402
    ARTICLES,
    BOT_TOKEN,
    NOW,
    Interactions,
    make_digest,
    make_settings,
    story,
    twenty_story_digest,
)
from tests.fakes.discord_api import FakeDiscordApi  # noqa: E402

RUNS = 20
HOOK = Target(name="bench", platform="discord", webhook=FakeDiscordApi.webhook_url())


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[max(0, int(len(values) * 0.95) - 1)]
    return f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


async def bench_webhook() -> None:
    digest = twenty_story_digest()
    payloads = render_discord.render(digest)
    per_message = [len(p["embeds"]) for p in payloads]
    sizes = [sum(render_discord.embed_size(e) for e in p["embeds"]) for p in payloads]
    print(f"20-story digest: {len(payloads)} messages, embeds per message {per_message}, "
          f"embed characters per message {sizes}")
    async with FakeDiscordApi() as api, aiohttp.ClientSession() as session:
        sender = DiscordWebhookSender(session, api_url=api.api_url, min_interval=0)
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            await sender.send(HOOK, digest)
            times.append(time.perf_counter() - started)
        print(f"webhook send, 20 stories ({RUNS} runs): {ms(times)}; "
              f"{len(api.webhook_messages()) // RUNS} messages per digest")
        before = len(api.webhook_messages())
        api.rate_limit_next(1, retry_after=0.2, route="webhook")
        started = time.perf_counter()
        await sender.send(HOOK, make_digest((story(1),)))
        took = time.perf_counter() - started
        print(f"one 429 (retry_after 0.2 s) then success: {took * 1000:.0f} ms, "
              f"{len(api.webhook_messages()) - before} message created")


async def bench_commands() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(make_settings(Path(tmp) / "data" / "digestbot.db"),
                       secrets=Secrets(discord_bot_token=BOT_TOKEN), clock=lambda: NOW)
        store_articles(app.store, list(ARTICLES), app.settings.topics, NOW)
        async with FakeDiscordApi(bot_token=BOT_TOKEN) as api:
            bot = make_discord_bot(app, sync_state=Path(tmp) / "sync.json", api_url=api.api_url,
                                   env={})
            await bot.login(BOT_TOKEN)
            runner = Interactions(bot, api)
            for command, options in (("digest", {"topic": "security"}), ("topics", {})):
                to_defer, to_last = [], []
                for _ in range(RUNS):
                    payload = runner.payload("news", command, options)
                    token = str(payload["token"])
                    started = time.monotonic()
                    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
                    await api.wait_for(lambda t=token: len(api.followups(t)) >= 1)  # type: ignore[misc]
                    await asyncio.sleep(0.05)  # let any further follow-up land
                    mine = [r for r in api.requests if token in r.path]
                    to_defer.append(mine[0].at - started)
                    to_last.append(mine[-1].at - started)
                print(f"/news {command} ({RUNS} runs): defer {ms(to_defer)}; "
                      f"last follow-up {ms(to_last)}")
            await bot.close()
        app.close()


async def main() -> None:
    await bench_webhook()
    await bench_commands()


if __name__ == "__main__":
    asyncio.run(main())
