"""The Discord adapter: discord.py application commands turned into ``handle_command`` calls.

``/news <subcommand>`` and ``/digest`` live in one cog, ``NewsCog``; each handler defers first
(Discord wants an answer within 3 seconds), builds the same text a Slack user would type after
``/news``, lets ``bot.commands`` answer it, and sends the ``Reply`` as follow-ups: a digest as
embeds in the channel (``digests.render.discord``), the rest as plain text to the asker only.

Set-up happens in ``setup_hook`` (``on_ready`` fires again on every reconnect). Commands are
synced globally, or to one guild when ``DISCORD_GUILD_ID`` is set (guild commands show up at
once; global ones can take a while), and only when they changed since the last sync: a hash of
the command tree is kept in a small JSON file (Discord allows 200 command creates a day).

Intents are the minimum: guilds only (no messages, no members, no privileged intents).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import App
from bot.commands import FEED_ACTIONS, CommandMetrics, handle_command
from bot.senders.discord import api_url_from_env, message_kwargs, use_api_url
from bot.types import CommandContext, Reply
from digests.errors import ConfigError
from digests.render import discord as render_discord
from digests.render._text import fit

log = logging.getLogger(__name__)

SYNC_STATE_FILE = "discord-commands.json"
MAX_RATELIMIT_WAIT = 60.0  # seconds; a longer 429 raises instead of blocking a delivery
LINK_LABEL_BUDGET = 200
MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices


def minimal_intents() -> discord.Intents:
    """Guilds only: application commands need no message or member events."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


def guild_id_from_env(env: Mapping[str, str] | None = None) -> int | None:
    """``$DISCORD_GUILD_ID`` as a snowflake, None when unset; a ConfigError when not a number."""
    env = os.environ if env is None else env
    value = (env.get("DISCORD_GUILD_ID") or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ConfigError([f"DISCORD_GUILD_ID: not a guild id (a number), got {value[:40]!r}"])
    return int(value)


def default_sync_state(app: App) -> Path:
    """Next to the archive folder (``data/`` by default), where the bot keeps its files."""
    return app.archive_dir.parent / SYNC_STATE_FILE


# --- replies -----------------------------------------------------------------------------------


def reply_messages(reply: Reply) -> list[str]:
    """A text ``Reply`` as Discord message contents: title in bold, every line escaped (no
    markdown, no mentions from article text), sources as numbered links; split on line
    boundaries into messages of at most 2000 characters."""
    lines: list[str] = []
    if reply.title:
        lines.append(f"**{fit(reply.title, LINK_LABEL_BUDGET, render_discord.escape)}**")
    limit = render_discord.MAX_CONTENT
    lines += [fit(line, limit, render_discord.escape) for line in reply.text.splitlines()
              if line.strip()]
    for number, source in enumerate(reply.sources, 1):
        label = render_discord.link(source.title or source.url, source.url, LINK_LABEL_BUDGET)
        extra = f" ({fit(source.source, 80, render_discord.escape)})" if source.source else ""
        lines.append(f"\\[{number}\\] {label}{extra}")
    chunks: list[list[str]] = [[]]
    for line in lines:
        if chunks[-1] and render_discord.size("\n".join([*chunks[-1], line])) > limit:
            chunks.append([])
        chunks[-1].append(line)
    return ["\n".join(chunk) for chunk in chunks if chunk] or ["\u200b"]


async def send_reply(interaction: discord.Interaction, reply: Reply, *, deferred_ephemeral: bool
                     ) -> None:
    """Answer a deferred interaction with ``reply``: a digest in the channel, the rest to the
    asker. The first follow-up fills the deferred response and takes its visibility, so when
    the reply's visibility differs from the defer's, the deferred response is dealt with first.
    """
    public = reply.digest is not None or not reply.ephemeral
    if public and deferred_ephemeral:  # the asker's slot first, then the public posts
        await interaction.followup.send("Posted in the channel.", ephemeral=True)
    elif not public and not deferred_ephemeral:  # remove the public "thinking..." message
        await interaction.delete_original_response()
    webhook = interaction.followup
    if reply.digest is not None:
        for payload in render_discord.render(reply.digest):
            await webhook.send(**message_kwargs(payload), wait=True)
        return
    for content in reply_messages(reply):
        await webhook.send(content, ephemeral=not public, suppress_embeds=True,
                           allowed_mentions=discord.AllowedMentions.none(), wait=True)


# --- the cog -----------------------------------------------------------------------------------


class NewsCog(commands.Cog):
    """``/news ...`` and ``/digest``: translate, ask ``bot.commands``, send the reply."""

    news = app_commands.Group(name="news", description="News digests from the feeds this bot "
                                                       "follows")

    def __init__(self, app: App, metrics: CommandMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    # --- plumbing ------------------------------------------------------------------------------

    def can_manage(self, interaction: discord.Interaction) -> bool:
        """Manage Channels in this channel, unless the config says anyone may subscribe."""
        if not self.app.settings.permissions.discord_require_manage_channels:
            return True
        return interaction.guild_id is not None and interaction.permissions.manage_channels

    async def run(self, interaction: discord.Interaction, *words: str | None,
                  public: bool = False) -> None:
        """Defer at once, answer the command text, follow up with the reply."""
        await interaction.response.defer(ephemeral=not public, thinking=True)
        text = " ".join(w.strip() for w in words if w and w.strip())
        ctx = CommandContext(
            platform="discord",
            channel_id=str(interaction.channel_id or ""),
            user_id=str(interaction.user.id),
            can_manage=self.can_manage(interaction),
        )
        try:
            reply = await handle_command(self.app, text, ctx, metrics=self.metrics)
            await send_reply(interaction, reply, deferred_ephemeral=not public)
        except discord.DiscordException:
            log.exception("discord reply failed command=%r channel=%s", words[:1],
                          ctx.channel_id)

    async def topic_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The configured topics that contain what was typed so far."""
        typed = current.strip().lower()
        names = sorted(t for t in self.app.settings.topics if typed in t)
        return [app_commands.Choice(name=t, value=t) for t in names[:MAX_CHOICES]]

    # --- /news ...  ----------------------------------------------------------------------------

    @news.command(name="digest", description="Post a topic's digest in this channel")
    @app_commands.describe(topic="The topic (default: this channel's)",
                           since="How far back, e.g. 24h or 7d (default 24h)")
    @app_commands.autocomplete(topic=topic_autocomplete)
    async def news_digest(self, interaction: discord.Interaction, topic: str | None = None,
                          since: str | None = None) -> None:
        await self.run(interaction, "digest", topic, since, public=True)

    @news.command(name="ask", description="An answer from stored articles, with its sources")
    @app_commands.describe(question="Your question")
    async def news_ask(self, interaction: discord.Interaction, question: str) -> None:
        await self.run(interaction, "ask", question)

    @news.command(name="search", description="The best matching stored articles")
    @app_commands.describe(query="Words to look for")
    async def news_search(self, interaction: discord.Interaction, query: str) -> None:
        await self.run(interaction, "search", query)

    @news.command(name="topics", description="The topics and what they cover")
    async def news_topics(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "topics")

    @news.command(name="subscribe", description="Get a topic's digest here on a schedule")
    @app_commands.describe(topic="The topic",
                           schedule="e.g. daily 08:00, weekdays 09:30, every 6h (default "
                                    "daily 08:00)")
    @app_commands.autocomplete(topic=topic_autocomplete)
    async def news_subscribe(self, interaction: discord.Interaction, topic: str,
                             schedule: str | None = None) -> None:
        await self.run(interaction, "subscribe", topic, schedule,
                       public=self.can_manage(interaction))

    @news.command(name="unsubscribe", description="Stop a topic's scheduled digest here")
    @app_commands.describe(topic="The topic")
    @app_commands.autocomplete(topic=topic_autocomplete)
    async def news_unsubscribe(self, interaction: discord.Interaction, topic: str) -> None:
        await self.run(interaction, "unsubscribe", topic, public=self.can_manage(interaction))

    @news.command(name="subscriptions", description="This channel's subscriptions")
    async def news_subscriptions(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "subscriptions")

    @news.command(name="feeds", description="The feeds this bot follows; add or remove one")
    @app_commands.describe(action="list (default), add or remove a feed",
                           url="The feed's URL (for add and remove)",
                           name="A name for the feed (add; default: the feed's title)")
    @app_commands.choices(action=[app_commands.Choice(name=a, value=a) for a in FEED_ACTIONS])
    async def news_feeds(self, interaction: discord.Interaction, action: str | None = None,
                         url: str | None = None, name: str | None = None) -> None:
        action = action or ("add" if url else "list")
        if action == "list":
            await self.run(interaction, "feeds")
            return
        # The same text a Slack user types: "feeds add URL [name]", "feeds remove URL".
        await self.run(interaction, "feeds", action, url or "", name if action == "add" else "",
                       public=self.can_manage(interaction))

    @news.command(name="help", description="What the news commands do")
    async def news_help(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "help")

    # --- /digest -------------------------------------------------------------------------------

    @app_commands.command(name="digest", description="Post a topic's digest in this channel")
    @app_commands.describe(topic="The topic (default: this channel's)",
                           since="How far back, e.g. 24h or 7d (default 24h)")
    @app_commands.autocomplete(topic=topic_autocomplete)
    async def digest(self, interaction: discord.Interaction, topic: str | None = None,
                     since: str | None = None) -> None:
        await self.run(interaction, "digest", topic, since, public=True)


# --- the bot and command sync ------------------------------------------------------------------


def tree_hash(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> str:
    """A hash of what a sync would send (names, options, descriptions, permissions)."""
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


async def sync_commands_if_changed(
    tree: app_commands.CommandTree[Any],
    *,
    application_id: int,
    guild_id: int | None,
    state_path: Path,
) -> bool:
    """Sync the tree (to ``guild_id``, else globally) unless it is unchanged since the last
    sync recorded in ``state_path``; True when it synced. A failed sync is logged, not raised:
    the bot still answers with the commands Discord already has."""
    guild = discord.Object(guild_id) if guild_id is not None else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    key = f"{application_id}:{guild_id if guild_id is not None else 'global'}"
    current = tree_hash(tree, guild)
    state = _read_state(state_path)
    if state.get(key) == current:
        log.info("discord commands unchanged, not syncing scope=%s", key)
        return False
    try:
        synced = await tree.sync(guild=guild)
    except discord.HTTPException as e:
        log.warning("discord command sync failed scope=%s status=%s error=%s",
                    key, e.status, " ".join(e.text.split())[:200])
        return False
    log.info("discord commands synced scope=%s commands=%d", key, len(synced))
    state[key] = current
    _write_state(state_path, state)
    return True


def _read_state(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        log.warning("discord sync state unreadable path=%s error=%s", path, e)
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_state(path: Path, state: dict[str, str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        log.warning("discord sync state not saved path=%s error=%s", path, e)


class DigestBot(commands.Bot):
    """The Discord bot: ``NewsCog`` added and commands synced (when changed) in setup_hook."""

    def __init__(
        self,
        app: App,
        *,
        guild_id: int | None,
        sync_state: Path,
        metrics: CommandMetrics | None = None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=minimal_intents(),
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
        )
        self.app = app
        self.guild_id = guild_id
        self.sync_state = sync_state
        self.metrics = metrics
        self.tree.error(self._on_tree_error)

    async def setup_hook(self) -> None:
        await self.add_cog(NewsCog(self.app, self.metrics))
        if self.application_id is None:
            log.warning("discord application id unknown; commands not synced")
            return
        await sync_commands_if_changed(self.tree, application_id=self.application_id,
                                       guild_id=self.guild_id, state_path=self.sync_state)

    async def _on_tree_error(self, interaction: discord.Interaction,
                             error: app_commands.AppCommandError) -> None:
        """Log it; tell the asker something went wrong, never the exception's text."""
        log.error("discord command error command=%s error=%s",
                  interaction.command.qualified_name if interaction.command else "?",
                  type(error).__name__, exc_info=error)
        text = "Something went wrong; the error was logged. Please try again later."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.DiscordException:
            log.warning("discord error notice failed")


def make_discord_bot(
    app: App,
    *,
    guild_id: int | None = None,
    sync_state: Path | None = None,
    api_url: str | None = None,
    env: Mapping[str, str] | None = None,
    metrics: CommandMetrics | None = None,
) -> DigestBot:
    """The bot for ``app``; nothing connects until ``start_discord_bot`` (or ``bot.login``).

    ``guild_id`` defaults to ``$DISCORD_GUILD_ID``, ``api_url`` to ``$DISCORD_API_URL``. With
    ``metrics``, every command's time to answer is observed (``command_seconds``).
    """
    use_api_url(api_url or api_url_from_env(env))
    return DigestBot(
        app,
        guild_id=guild_id if guild_id is not None else guild_id_from_env(env),
        sync_state=sync_state or default_sync_state(app),
        metrics=metrics,
    )


async def start_discord_bot(bot: DigestBot, token: str) -> asyncio.Task[None]:
    """Log in (which runs ``setup_hook``: cog + sync), then keep the gateway connection in a
    task. Stop with ``await bot.close()``. A bad token raises ``discord.LoginFailure``."""
    await bot.login(token)
    return asyncio.create_task(bot.connect(reconnect=True), name="discord-gateway")
