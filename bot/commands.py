"""The ``/news`` grammar and its answers, once for every platform.

Adapters (Slack, Discord) only translate: they pass the text after ``/news`` and who asked, and
render the ``Reply``. ``Reply.text`` is plain text that may hold article text (titles, snippets,
answer sentences): each adapter escapes it for its platform; article links travel separately in
``Reply.sources`` (rendered as a numbered list ``[1] title``, which ``text`` refers to). Text
written by others (article titles, snippets and publishers, answers, feed titles and names)
goes through the adapter's ``untrusted`` function before it joins ``Reply.text``, so an adapter
can escape it harder than the bot's own words (Slack: formatting marks become look-alikes
there, while a usage line's ``0 8 * * mon-fri``, a feed URL or an error's
``fetch.allow_private_addresses`` stays as typed, ready to copy). URLs, topic names, error
reasons (worded here or in ``digests.sources``) and the asker's own words pass as they are.

Choices made here:
- ``digest`` with no topic: the channel's first configured topic when the channel is declared in
  the config, else the only topic when there is one, else a short "which topic?" answer listing
  the topics. ``digest 7d`` (a window alone) works the same way. An empty digest is answered to
  the asker only; a digest with stories is posted to the channel.
- ``subscribe``/``unsubscribe`` answer in the channel (everyone should see that it changed);
  ``ask``, ``search``, ``topics``, ``subscriptions``, ``feeds`` and ``help`` answer the asker.
- ``feeds add URL [name]`` and ``feeds remove URL`` change what the bot follows for everyone:
  the same permission as subscribing, and a change is answered in the channel. A URL from
  chat is fetched like any URL the operator did not list (no private addresses).
- Nothing here blocks the event loop: store work runs in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Literal, Protocol, cast, get_args
from zoneinfo import ZoneInfo

from bot.app import App
from bot.following import follow_feed, unfollow_feed
from bot.poller import configured_feeds
from bot.schedules import Schedule, parse_schedule
from bot.types import CommandContext, Reply
from digests.errors import DigestbotError, SourceError, StoreError, UsageError, first_line
from digests.models import SourceLink
from digests.queries import answer_question, topic_digest
from digests.settings import Settings, SourceSettings
from digests.store.types import FeedState, Subscription
from digests.timewindow import parse_window

log = logging.getLogger(__name__)

CommandName = Literal[
    "digest", "ask", "search", "topics", "subscribe", "unsubscribe", "subscriptions", "feeds",
    "help",
]
COMMAND_NAMES: tuple[str, ...] = get_args(CommandName)
DEFAULT_SCHEDULE = "daily 08:00"
SEARCH_LIMIT = 5
MAX_QUERY_CHARS = 1000
NOT_ALLOWED = "You are not allowed to change this channel's subscriptions."
NOT_ALLOWED_FEEDS = "You are not allowed to change the feeds this bot follows."
STORE_UNAVAILABLE = "The news store is not available right now; try again in a minute."
FEED_ACTIONS = ("list", "add", "remove")

USAGE: dict[str, str] = {
    "digest": "/news digest [topic] [since] (e.g. /news digest security 7d)",
    "ask": "/news ask QUESTION",
    "search": "/news search QUERY",
    "topics": "/news topics",
    "subscribe": "/news subscribe TOPIC [schedule] (e.g. daily 08:00, weekdays 09:30, every 6h, "
    "or a cron line such as 0 8 * * mon-fri)",
    "unsubscribe": "/news unsubscribe TOPIC",
    "subscriptions": "/news subscriptions",
    "feeds": "/news feeds [add URL [name] | remove URL]",
    "help": "/news help",
}

HELP_TEXT = "\n".join(
    [
        "News digests from the feeds this bot follows. Commands:",
        f"{USAGE['digest']} - post the topic's digest here (default window 24h)",
        f"{USAGE['ask']} - an answer from stored articles, with its sources",
        f"{USAGE['search']} - the best matching stored articles",
        f"{USAGE['topics']} - the topics and what they cover",
        f"{USAGE['subscribe']} - this channel gets the digest on a schedule",
        f"{USAGE['unsubscribe']} - stop that",
        f"{USAGE['subscriptions']} - what this channel is subscribed to",
        "/news feeds - the feeds this bot follows and their health",
        "/news feeds add URL [name] - follow a feed (RSS, Atom or JSON Feed)",
        "/news feeds remove URL - stop following a feed added here",
        "/digest [topic] is short for /news digest [topic].",
    ]
)

_SNIPPET_MARKS = re.compile(r"\*\*")

Untrusted = Callable[[str], str]
"""What an adapter does to text written by others before it joins ``Reply.text`` (see above)."""


def as_is(text: str) -> str:
    """The default ``untrusted``: the text unchanged (the adapter escapes whole lines)."""
    return text


@dataclass(frozen=True)
class Command:
    """A parsed ``/news`` command. ``name == "help"`` with ``error`` set: the input was bad;
    ``args`` then holds the command it was meant for, if known."""

    name: CommandName
    args: tuple[str, ...] = ()
    error: str | None = None


def parse_command(text: str) -> Command:
    """The text after ``/news`` as a ``Command``; unknown or malformed input -> help + error.

    ``ask`` and ``search`` keep the rest of the text as one argument (quotes and apostrophes
    are the user's words, not syntax); the others split on whitespace.
    """
    words = text.strip().split(maxsplit=1)
    if not words:
        return Command("help")
    name = words[0].lower().lstrip("/")
    rest = words[1].strip() if len(words) > 1 else ""
    if name not in COMMAND_NAMES:
        return Command("help", error=f"Unknown command {_quote(words[0])}.")
    known = cast(CommandName, name)
    args = tuple(rest.split())
    if name in ("ask", "search"):
        if not rest:
            return _malformed(name, "needs some words")
        return Command(known, (rest[:MAX_QUERY_CHARS],))
    if name == "digest" and len(args) > 2:
        return _malformed(name, "takes at most a topic and a window")
    if name == "subscribe" and not args:
        return _malformed(name, "needs a topic")
    if name == "unsubscribe" and len(args) != 1:
        return _malformed(name, "needs exactly one topic")
    if name == "feeds" and args:
        return _parse_feeds(rest)
    if name in ("topics", "subscriptions", "help") and args:
        return _malformed(name, "takes no arguments")
    return Command(known, args)


def _parse_feeds(rest: str) -> Command:
    """``feeds list``, ``feeds add URL [name words]``, ``feeds remove URL``."""
    action, *tail = rest.split(maxsplit=1)
    action = action.lower()
    words = tail[0].split(maxsplit=1) if tail else []
    if action == "list" and not words:
        return Command("feeds", ("list",))
    if action == "add":
        if not words:
            return _malformed("feeds", "add needs a feed URL")
        name = " ".join(words[1].split()) if len(words) > 1 else ""
        return Command("feeds", ("add", words[0], name[:MAX_QUERY_CHARS]))
    if action == "remove":
        if len(words) != 1:
            return _malformed("feeds", "remove needs exactly one feed URL")
        return Command("feeds", ("remove", words[0]))
    return _malformed("feeds", "takes list, add URL [name] or remove URL")


def _malformed(name: str, why: str) -> Command:
    return Command("help", (name,), error=f"{name} {why}.")


class CommandMetrics(Protocol):
    """Where command latency goes (``bot.metrics.Metrics``)."""

    def command(self, platform: str, command: str, seconds: float) -> None: ...


async def handle_command(
    app: App,
    text: str,
    ctx: CommandContext,
    *,
    metrics: CommandMetrics | None = None,
    untrusted: Untrusted = as_is,
) -> Reply:
    """Answer one ``/news`` command; never raises, never shows an exception's text.

    With ``metrics``, the time to answer is observed under the parsed command's name (a closed
    set: anything unknown counts as ``help``), so the adapters need not parse it again.
    ``untrusted`` is applied to each piece of text written by others before it joins the
    reply's text (see the module's docstring).
    """
    command = parse_command(text)
    started = time.perf_counter()
    try:
        return await _answer(app, command, ctx, untrusted)
    finally:
        if metrics is not None:
            metrics.command(ctx.platform, command.name, time.perf_counter() - started)


async def _answer(
    app: App, command: Command, ctx: CommandContext, untrusted: Untrusted
) -> Reply:
    try:
        return await _dispatch(app, command, ctx, untrusted)
    except StoreError as e:  # the database: its message names hosts, ports and databases
        log.error("command failed: the store is not available command=%s platform=%s "
                  "channel=%s: %s", command.name, ctx.platform, ctx.channel_id, first_line(e))
        return Reply(text=STORE_UNAVAILABLE)
    except DigestbotError as e:
        usage = USAGE.get(command.name, USAGE["help"])
        return Reply(text=f"{_one_line(e)}\nUsage: {usage}")
    except Exception:
        log.exception("command failed command=%s platform=%s channel=%s",
                      command.name, ctx.platform, ctx.channel_id)
        return Reply(text="Something went wrong; the error was logged. Please try again later.")


async def _dispatch(
    app: App, command: Command, ctx: CommandContext, untrusted: Untrusted
) -> Reply:
    args = command.args
    match command.name:
        case "digest":
            return await _digest(app, args, ctx)
        case "ask":
            return await _ask(app, args[0], untrusted)
        case "search":
            return await _search(app, args[0], untrusted)
        case "topics":
            return _topics(app.settings)
        case "subscribe":
            return await _subscribe(app, args, ctx)
        case "unsubscribe":
            return await _unsubscribe(app, args[0], ctx)
        case "subscriptions":
            return await _subscriptions(app, ctx)
        case "feeds" if args[:1] == ("add",):
            return await _feeds_add(app, args[1], args[2], ctx, untrusted)
        case "feeds" if args[:1] == ("remove",):
            return await _feeds_remove(app, args[1], ctx, untrusted)
        case "feeds":
            return await _feeds(app, untrusted)
        case _:
            return _help(command)


def _help(command: Command) -> Reply:
    if command.error is None:
        return Reply(text=HELP_TEXT)
    if command.args:
        return Reply(text=f"{command.error}\nUsage: {USAGE[command.args[0]]}")
    return Reply(text=f"{command.error}\n\n{HELP_TEXT}")


# --- digest -------------------------------------------------------------------------------------


async def _digest(app: App, args: tuple[str, ...], ctx: CommandContext) -> Reply:
    settings = app.settings
    topic: str | None = None
    window: str | None = None
    for arg in (a.lower() for a in args):
        if topic is None and arg in settings.topics:
            topic = arg
        elif window is None and arg[:1].isdigit():
            parse_window(arg)  # a bad window: a UsageError saying what a window looks like
            window = arg
        elif arg in settings.topics or arg[:1].isdigit():
            raise UsageError(f"{_quote(arg)}: give one topic and one window at most")
        elif topic is not None and window is None:
            parse_window(arg)  # after the topic comes a window: say what one looks like
            window = arg
        else:
            settings.topic(arg)  # an unknown topic: a UsageError naming the known ones
    if topic is None:
        topic = _default_topic(settings, ctx)
        if topic is None:
            names = ", ".join(sorted(settings.topics))
            return Reply(text=f"Which topic? {USAGE['digest']}\nTopics: {names}")
    now = app.clock()
    digest = await asyncio.to_thread(
        topic_digest, app.store, settings, topic, now=now, window=window
    )
    if digest.empty:
        return Reply(text=digest.empty_text())
    count = len(digest.items)
    stories = f"{count} {'story' if count == 1 else 'stories'}"
    return Reply(
        text=f"{topic} news, last {digest.window}: {stories}",
        ephemeral=False,
        digest=digest,
        title=f"{topic} — last {digest.window}",
    )


def _default_topic(settings: Settings, ctx: CommandContext) -> str | None:
    for channel in settings.channels.values():
        if channel.platform == ctx.platform and channel.channel == ctx.channel_id and (
            channel.topics
        ):
            return channel.topics[0]
    if len(settings.topics) == 1:
        return next(iter(settings.topics))
    return None


# --- ask / search / topics ----------------------------------------------------------------------


async def _ask(app: App, question: str, untrusted: Untrusted) -> Reply:
    result = await asyncio.to_thread(
        answer_question,
        app.store,
        app.settings,
        question,
        llm_api_key=os.environ.get(app.settings.llm.api_key_env),
    )
    if not result.answer:
        return Reply(text="Nothing stored answers that question.")
    refs = " ".join(f"[{i}]" for i in range(1, len(result.sources) + 1))
    return Reply(
        text=f"{untrusted(result.answer)} {refs}".strip(),
        title="Answer",
        sources=tuple(SourceLink(title=s.title, url=s.url) for s in result.sources),
    )


async def _search(app: App, query: str, untrusted: Untrusted) -> Reply:
    hits = await asyncio.to_thread(app.store.search, query, limit=SEARCH_LIMIT)
    if not hits:
        return Reply(text=f"No stored articles match {_quote(query)}.")
    lines = [f"Top {len(hits)} for {_quote(query)}:"]
    for i, hit in enumerate(hits, 1):
        snippet = _SNIPPET_MARKS.sub("", hit.snippet).strip()
        day = hit.article.published.strftime("%Y-%m-%d")
        title, source = untrusted(hit.article.title), untrusted(hit.article.source)
        lines.append(f"[{i}] {title} ({source}, {day}): {untrusted(snippet)}")
    return Reply(
        text="\n".join(lines),
        title="Search",
        sources=tuple(
            SourceLink(title=h.article.title, url=h.article.url, source=h.article.source)
            for h in hits
        ),
    )


def _topics(settings: Settings) -> Reply:
    if not settings.topics:
        return Reply(text="No topics are configured.")
    lines = ["Topics:"]
    for name, definition in sorted(settings.topics.items()):
        description = definition.description or "(no description)"
        lines.append(f"{name} - {description}")
    return Reply(text="\n".join(lines))


# --- subscriptions --------------------------------------------------------------------------------


# A chat user sets a schedule for a whole channel; each slot is a ledger row and a post.
CHAT_MIN_INTERVAL = timedelta(minutes=15)


def _shortest_gap(schedule: Schedule, now: datetime, slots: int = 50) -> timedelta:
    """The shortest time between two of the schedule's next ``slots`` slots (a cron may
    bunch some: '*/5 8 * * *')."""
    gaps = []
    slot = schedule.next_slot(now)
    for _ in range(slots):
        following = schedule.next_slot(slot)
        gaps.append(following - slot)
        slot = following
    return min(gaps)


def _minutes(gap: timedelta) -> str:
    seconds = int(gap.total_seconds())
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"


async def _subscribe(app: App, args: tuple[str, ...], ctx: CommandContext) -> Reply:
    settings = app.settings
    if not ctx.can_manage:
        return Reply(text=NOT_ALLOWED)
    topic = args[0].lower()
    settings.topic(topic)
    schedule_text = " ".join(args[1:]) or DEFAULT_SCHEDULE
    schedule = parse_schedule(schedule_text, settings.timezone)
    gap = _shortest_gap(schedule, app.clock())
    if gap < CHAT_MIN_INTERVAL:
        return Reply(
            text=f"Schedule {schedule.text!r} posts every {_minutes(gap)}: from chat, at most "
            f"one digest every {_minutes(CHAT_MIN_INTERVAL)} (e.g. 'every 30m', 'daily 08:00'). "
            "The config file can set any schedule.",
            ephemeral=True,
        )
    declared = _config_subscriptions(settings, ctx)
    if topic in declared:
        return Reply(
            text=f"This channel already gets {topic} ({declared[topic]}) from the config file; "
            "change it there."
        )
    sub = Subscription(
        id=None,
        channel_key=ctx.channel_key,
        platform=ctx.platform,
        channel_id=ctx.channel_id,
        topic=topic,
        schedule=schedule.text,
        timezone=settings.timezone,
        source="chat",
        created_by=ctx.user_id,
    )
    existing = await asyncio.to_thread(app.store.list_subscriptions, ctx.channel_key)
    before = next((s for s in existing if s.topic == topic), None)
    first = _when(schedule.next_slot(app.clock()), settings.timezone)
    when = f"{schedule.text} ({settings.timezone})"
    if before is not None and (before.schedule, before.timezone) == (sub.schedule, sub.timezone):
        return Reply(text=f"This channel is already subscribed to {topic}: {when}; "
                     f"next digest {first}.")
    await asyncio.to_thread(app.store.add_subscription, sub)
    if before is not None:
        return Reply(
            text=f"The {topic} digest of this channel now comes {when} (was {before.schedule}); "
            f"next digest {first}.",
            ephemeral=False,
        )
    return Reply(
        text=f"This channel is now subscribed to {topic}: {when}; next digest {first}.",
        ephemeral=False,
    )


async def _unsubscribe(app: App, topic: str, ctx: CommandContext) -> Reply:
    topic = topic.lower()
    if not ctx.can_manage:
        return Reply(text=NOT_ALLOWED)
    removed = await asyncio.to_thread(app.store.remove_subscription, ctx.channel_key, topic)
    if removed:
        return Reply(text=f"This channel is no longer subscribed to {topic}.", ephemeral=False)
    if topic in _config_subscriptions(app.settings, ctx):
        return Reply(text=f"The {topic} subscription is declared in the config file; "
                     "remove it there.")
    return Reply(text=f"This channel is not subscribed to {topic}.")


async def _subscriptions(app: App, ctx: CommandContext) -> Reply:
    settings = app.settings
    names = _config_channel_names(settings, ctx)
    stored = await asyncio.to_thread(_stored_subscriptions, app, [ctx.channel_key, *names])
    rows: dict[str, tuple[str, str, str, str | None]] = {}
    for topic, schedule in _config_subscriptions(settings, ctx).items():
        rows[topic] = (schedule, _channel_tz(settings, ctx), "config", None)
    for sub in stored:
        rows.setdefault(sub.topic, (sub.schedule, sub.timezone, sub.source, sub.last_error))
    if not rows:
        return Reply(text=f"This channel has no subscriptions. {USAGE['subscribe']}")
    now = app.clock()
    lines = ["This channel's subscriptions:"]
    for topic, (schedule, tz, source, error) in sorted(rows.items()):
        line = f"{topic} - {schedule} ({tz}, {source})"
        try:
            line += f", next {_when(parse_schedule(schedule, tz).next_slot(now), tz)}"
        except DigestbotError:
            line += ", schedule not understood"
        if error:
            line += f"; last error: {error}"
        lines.append(line)
    return Reply(text="\n".join(lines))


def _stored_subscriptions(app: App, keys: Sequence[str]) -> list[Subscription]:
    found: list[Subscription] = []
    for key in dict.fromkeys(keys):
        found.extend(app.store.list_subscriptions(key))
    return found


def _config_channel_names(settings: Settings, ctx: CommandContext) -> list[str]:
    return [
        name for name, ch in settings.channels.items()
        if ch.platform == ctx.platform and ch.channel == ctx.channel_id
    ]


def _config_subscriptions(settings: Settings, ctx: CommandContext) -> dict[str, str]:
    """Topic -> schedule of subscriptions the config declares for this chat channel."""
    out: dict[str, str] = {}
    for name in _config_channel_names(settings, ctx):
        channel = settings.channels[name]
        if channel.schedule:
            for topic in channel.topics:
                out.setdefault(topic, channel.schedule)
    return out


def _channel_tz(settings: Settings, ctx: CommandContext) -> str:
    for name in _config_channel_names(settings, ctx):
        tz = settings.channels[name].timezone
        if tz:
            return tz
    return settings.timezone


# --- feeds ----------------------------------------------------------------------------------------


async def _feeds(app: App, untrusted: Untrusted) -> Reply:
    """The followed feeds: configured ones (OPML files expanded) and local paths, then the
    feeds added at run time. Other stored rows (a one-off ``ingest``, a feed taken out of the
    config) are not polled and not listed."""

    def read() -> tuple[dict[str, str | None], list[FeedState], list[SourceSettings]]:
        # A feed list (OPML, by content, whatever its suffix) shows as its feeds, above.
        local = [s for s in app.settings.sources if s.path and not _lists_feeds(s.path)]
        return configured_feeds(app.settings), app.store.list_feeds(), local

    configured, stored, local = await asyncio.to_thread(read)
    states = {f.url: f for f in stored}
    lines = ["Feeds:"]
    tz = app.settings.timezone
    for url, name in configured.items():
        shown = untrusted(name) if name else url
        lines.append(_feed_line(shown, states.pop(url, None), tz))
    for source in local:
        assert source.path is not None
        # Chat users need not see the bot's file system: the folder's or file's own name.
        shown = source.name or _local_name(source.path) or "local files"
        lines.append(f"{untrusted(shown)} - local files on the bot's host")
    for url, state in states.items():
        if state.added:
            name = _feed_name(state.title, url, untrusted)
            lines.append(f"{_feed_line(name, state, tz)}; added by {state.added_by}")
    if len(lines) == 1:
        return Reply(text=f"No feeds are followed. {USAGE['feeds']}")
    return Reply(text="\n".join(lines))


def _local_name(path: str) -> str:
    """The last part of a configured path, a ``file://`` URL decoded (``in%20box`` is
    ``in box``)."""
    from digests.sources.files import local_path

    try:
        return local_path(path).name
    except SourceError:
        return PurePath(path).name


def _lists_feeds(path: str) -> bool:
    """Whether a configured ``path`` is an OPML list of feeds (by content, as ingest reads it)."""
    from digests.sources.files import is_opml_file, local_path

    try:
        return is_opml_file(local_path(path))
    except SourceError:
        return False  # unreadable or an odd scheme: shown as local files, polling says why


async def _feeds_add(
    app: App, text: str, name: str, ctx: CommandContext, untrusted: Untrusted
) -> Reply:
    if not ctx.can_manage:
        return Reply(text=NOT_ALLOWED_FEEDS)
    try:
        result = await follow_feed(
            app, text, added_by=f"{ctx.platform}:{ctx.user_id}", name=name or None,
            trusted=False,
        )
    except SourceError as e:
        reason = " ".join(e.reason.split()) or "not a feed"
        return Reply(text=f"Could not follow {e.source}: {reason} (nothing was added).")
    shown = _feed_name(result.title, result.url, untrusted)
    if result.already == "config":
        return Reply(text=f"Already following {shown}: it is in the config file.")
    if result.already == "added":
        return Reply(text=f"Already following {shown} (added by {result.added_by}).")
    articles = "article" if result.new == 1 else "articles"
    found = f" (the feed {result.found_on} names)" if result.found_on else ""
    return Reply(
        text=f"Now following {shown}{found}: {result.new} new {articles}.", ephemeral=False
    )


async def _feeds_remove(
    app: App, text: str, ctx: CommandContext, untrusted: Untrusted
) -> Reply:
    if not ctx.can_manage:
        return Reply(text=NOT_ALLOWED_FEEDS)
    result = await unfollow_feed(app, text)
    shown = _feed_name(result.title, result.url, untrusted)
    if result.configured:
        return Reply(text=f"{shown} is in the config file; remove it there.")
    if result.found:
        return Reply(text=f"{len(result.found)} feeds were found on {result.url}: "
                          f"{', '.join(result.found)}. Nothing was removed: remove each by its "
                          "URL (/news feeds remove URL).")
    if not result.removed:
        return Reply(text=f"{result.url} is not followed. {USAGE['feeds']}")
    found = f" (the feed {result.found_on} names)" if result.found_on else ""
    return Reply(text=f"No longer following {shown}{found}.", ephemeral=False)


def _feed_name(title: str, url: str, untrusted: Untrusted) -> str:
    """"Title (url)", the title from the feed, the URL as it is (to copy into a command)."""
    return f"{untrusted(title)} ({url})" if title and title != url else url


def _feed_line(name: str, state: object | None, tz: str) -> str:
    """One feed's health; reads FeedState fields by name so older rows still show."""
    if state is None:
        return f"{name} - not polled yet"
    success = getattr(state, "last_success", None) or (
        getattr(state, "last_polled", None) if not getattr(state, "last_error", None) else None
    )
    parts = [f"last success {_when(success, tz) if success else 'never'}"]
    error = getattr(state, "last_error", None)
    if error:
        failures = getattr(state, "consecutive_failures", None) or getattr(
            state, "error_count", 0)
        parts.append(f"last error: {error}" + (f" ({failures} in a row)" if failures else ""))
    next_poll = getattr(state, "next_poll", None)
    parts.append(f"next poll {_when(next_poll, tz) if next_poll else 'now'}")
    return f"{name} - " + "; ".join(parts)


# --- small helpers --------------------------------------------------------------------------------


def _when(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return "never"
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"'{text[:80]}{'…' if len(text) > 80 else ''}'"


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else "That did not work."
