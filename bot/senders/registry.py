"""Which sender serves which platform, built from the secrets at hand.

Console always; Slack when ``SLACK_BOT_TOKEN`` is set; Discord always for webhook targets, and
by channel id when ``DISCORD_BOT_TOKEN`` is set. Chat SDK modules are imported only when their
platform is in use, so a console-only install never loads them.

``open_senders(app)`` owns the network resources (an aiohttp session for webhooks, a logged-in
Discord HTTP client) and closes them; ``make_senders`` wires senders over given resources.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from bot.app import App
from bot.senders import Sender
from bot.senders.console import ConsoleSender

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger(__name__)


def make_senders(
    app: App,
    *,
    session: aiohttp.ClientSession | None = None,
    discord_client: Any | None = None,
    console: ConsoleSender | None = None,
) -> dict[str, Sender]:
    """platform -> sender. Discord needs ``session`` (webhooks); by channel id it also needs
    ``discord_client`` (a logged-in ``discord.Client``)."""
    senders: dict[str, Sender] = {"console": console or ConsoleSender()}
    token = app.secrets.slack_bot_token
    if token:
        from bot.senders.slack import SlackSender, make_slack_client

        senders["slack"] = SlackSender(
            make_slack_client(token), min_interval=app.settings.delivery.min_interval_seconds
        )
    if session is not None:
        from bot.senders.discord import DiscordBotSender, DiscordSender, DiscordWebhookSender

        interval = app.settings.delivery.min_interval_seconds
        bot = (DiscordBotSender(discord_client, min_interval=interval)
               if discord_client is not None else None)
        senders["discord"] = DiscordSender(
            DiscordWebhookSender(session, min_interval=interval), bot
        )
    return senders


def _needs_discord(app: App) -> bool:
    """Discord is set up when a channel is on Discord or there is a bot token."""
    return bool(app.secrets.discord_bot_token) or any(
        c.platform == "discord" for c in app.settings.channels.values()
    )


@asynccontextmanager
async def open_senders(
    app: App, *, console: ConsoleSender | None = None
) -> AsyncIterator[dict[str, Sender]]:
    """The senders with their network resources open for the block; closed after it."""
    session = None
    client: Any | None = None
    if _needs_discord(app):
        import aiohttp

        session = aiohttp.ClientSession()
        client = await _discord_login(app)
    try:
        yield make_senders(app, session=session, discord_client=client, console=console)
    finally:
        if client is not None:
            await client.close()
        if session is not None:
            await session.close()


async def _discord_login(app: App) -> Any | None:
    """A Discord client logged in over HTTP only (no gateway), or None without a token."""
    token = app.secrets.discord_bot_token
    if not token:
        return None
    import discord

    from bot.senders.discord import use_api_url

    use_api_url()
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(token)
    except (discord.HTTPException, OSError) as e:
        log.warning("discord login failed, posting by channel id is off: %s", type(e).__name__)
        await client.close()
        return None
    return client
