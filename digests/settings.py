"""Configuration: one YAML file, validated once at start, every problem reported as file:line.

Sections left out take the shipped defaults (so a file with only ``channels:`` still has the
three shipped topics). Secrets never live here: they come from the environment (see ``Secrets``),
and strings may reference the environment as ``${NAME}`` (Discord webhook URLs, for instance).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from digests.errors import ConfigError, DigestbotError, SourceError, UsageError
from digests.retention import parse_age
from digests.timewindow import parse_duration, parse_window
from digests.topics import TopicDefinition, default_topics
from digests.yamlload import SafeLoader

DEFAULT_CONFIG_PATH = Path("config/digestbot.yaml")
DEFAULT_DATABASE_URL = "sqlite:///data/digestbot.db"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

ScheduleCheck = Callable[[str, str], object]
"""Parses a channel's ``schedule`` for a time zone; raises on a bad one. The grammar lives in
the shell (``bot/schedules.py``), so ``load_settings`` takes it as a parameter."""
_CHECK_SCHEDULE = "check_schedule"  # validation-context keys set by ``load_settings``
_TOPIC_NAMES = "topic_names"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_window(value: str) -> str:
    try:
        parse_window(value)
    except UsageError as e:  # pydantic reports ValueError with the field's location
        raise ValueError(str(e)) from None
    return value


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {name!r}") from e
    return name


def _check_duration(value: str) -> str:
    try:
        parse_duration(value)
    except UsageError as e:
        raise ValueError(str(e)) from None
    return value


class HttpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)


class FetchSettings(_Section):
    user_agent: str = "digestbot/0.1 (+https://github.com/digestbot/digestbot)"
    connect_timeout: float = Field(default=5.0, gt=0, le=120)
    read_timeout: float = Field(default=15.0, gt=0, le=300)
    max_bytes: int = Field(default=10_000_000, gt=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    allow_private_addresses: bool = False


class PollSettings(_Section):
    interval: str = "15m"
    jitter: str = "30s"
    per_host: int = Field(default=2, ge=1, le=32)
    failure_threshold: int = Field(default=5, ge=1)
    max_backoff: str = "6h"
    lease: str = "5m"

    _durations = field_validator("interval", "max_backoff", "lease")(_check_duration)

    @field_validator("jitter")
    @classmethod
    def _jitter(cls, value: str) -> str:
        if value.strip() != "0":
            try:
                parse_duration(value, allow_zero=True)
            except UsageError as e:
                raise ValueError(str(e)) from None
        return value


class DigestSettings(_Section):
    window: str = "24h"
    max_stories: int = Field(default=10, ge=1, le=100)
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)

    _windows = field_validator("window")(_check_window)


class DeliverySettings(_Section):
    """``shutdown_grace``: how long a stopping worker waits for a delivery in progress. A
    message still waiting for the platform's answer when it runs out may be posted twice
    (the next start cannot tell it was accepted), so a slow platform or proxy wants more."""

    misfire_grace: str = "6h"
    min_interval_seconds: float = Field(default=1.0, ge=0.0)
    max_attempts: int = Field(default=5, ge=1, le=20)
    shutdown_grace: str = "5s"

    _windows = field_validator("misfire_grace")(_check_window)

    @field_validator("shutdown_grace")
    @classmethod
    def _grace(cls, value: str) -> str:
        _check_duration(value)
        if parse_duration(value) > timedelta(minutes=5):  # a stop must not hang for long
            raise ValueError(f"shutdown_grace {value.strip()!r} is too long: at most 5m")
        return value

    @property
    def shutdown_grace_seconds(self) -> float:
        """``shutdown_grace`` in seconds (the drain of ``digestbot run``'s stop)."""
        return parse_duration(self.shutdown_grace).total_seconds()


class RetentionSettings(_Section):
    """How long stored articles are kept; the default keeps them forever (safe on upgrade).

    ``articles``: an age such as ``180d``, ``26w`` or ``1y``; ``0``, ``forever`` or null keep
    every article. See ``digests/retention.py`` for what is never pruned whatever the age.
    """

    articles: str | None = None

    @field_validator("articles", mode="before")
    @classmethod
    def _age(cls, value: object) -> str | None:
        try:
            age = parse_age(value)
        except UsageError as e:
            raise ValueError(str(e)) from None
        return None if age is None else str(value).strip()

    @property
    def max_age(self) -> timedelta | None:
        """The age past which articles are pruned; None keeps them forever."""
        return parse_age(self.articles)


class PermissionSettings(_Section):
    """Who may change subscriptions and feeds from chat."""

    slack_allowed_users: tuple[str, ...] = ()  # empty: anyone in the channel
    discord_require_manage_channels: bool = True


class LlmSettings(_Section):
    enabled: bool = False
    base_url: str = "http://127.0.0.1:11434/v1"
    model: str = "llama3.1"
    api_key_env: str = "LLM_API_KEY"
    timeout: float = Field(default=20.0, gt=0, le=300)


_FILE_URL = re.compile(r"^file:/", re.IGNORECASE)


class SourceSettings(_Section):
    """A configured source: a feed URL or a local path (file, folder, OPML).

    ``url: file:///...`` is a local path written as a URL (copied from ``digestbot feeds`` or a
    browser): it is stored as ``path`` so every consumer treats it exactly as ``path:`` is.
    """

    url: str | None = None
    path: str | None = None
    name: str | None = None
    interval: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _file_url_is_a_path(cls, data: Any) -> Any:
        if (
            isinstance(data, Mapping)
            and "path" not in data
            and isinstance(url := data.get("url"), str)
            and _FILE_URL.match(url)
        ):
            return {**{k: v for k, v in data.items() if k != "url"}, "path": url}
        return data

    @model_validator(mode="after")
    def _one_of(self) -> SourceSettings:
        if (self.url is None) == (self.path is None):
            raise ValueError("a source needs exactly one of 'url' or 'path'")
        if self.url is not None and not re.match(r"^https?://", self.url, re.IGNORECASE):
            raise ValueError(
                f"source url must start with http:// or https:// (or file:// for a local "
                f"file or folder): {self.url!r}"
            )
        if self.path is not None and _FILE_URL.match(self.path):
            _check_file_url(self.path)
        if self.interval is not None:
            _check_duration(self.interval)
        return self

    @property
    def location(self) -> str:
        return self.url or self.path or ""


def _check_file_url(location: str) -> None:
    """A ``file://`` source that can never be read (another host, no path) is a config
    problem at load, with its line, not a failure at every poll. Whether the file exists is
    not checked here, as for any ``path:``: ingest reports it."""
    from digests.sources.files import local_path  # lazy: its parsers are slow to import

    try:
        local_path(location)
    except SourceError as e:
        raise ValueError(e.reason) from None


# A Discord webhook's path (any host and base: DISCORD_API_URL may point elsewhere), with
# its id and token; bot.senders.discord takes URLs apart with it.
WEBHOOK_PATH = re.compile(r"^/api(?:/v\d+)?/webhooks/(\d{1,20})/([A-Za-z0-9._-]+)/?$")


def is_webhook_url(url: str) -> bool:
    """A webhook URL's form: its path, and a ``thread_id`` (if any) that is a number."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    threads = parse_qs(parts.query).get("thread_id", [])
    if any(not t.isdigit() for t in threads) or ("thread_id=" in parts.query and not threads):
        return False
    return parts.scheme in ("http", "https") and WEBHOOK_PATH.match(parts.path) is not None


class FilterSettings(_Section):
    include: tuple[str, ...] = ()  # keywords or /regex/; an item must match one
    exclude: tuple[str, ...] = ()  # keywords or /regex/; an item matching one is left out
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)


class ChannelSettings(_Section):
    platform: Literal["slack", "discord", "console"]
    channel: str | None = None
    webhook: str | None = None
    topics: tuple[str, ...] = ()
    schedule: str | None = None
    timezone: str | None = None
    max_stories: int | None = Field(default=None, ge=1, le=100)
    window: str | None = None
    repost_updated: bool = False  # re-post a delivered story when new sources joined it
    catch_up: bool = False  # when subscribed: one digest of the window before it began
    post_empty: bool = False  # post "no news" when a scheduled window has no new stories
    filters: FilterSettings = FilterSettings()

    # Field validators, not one model validator: each problem is reported, on its own line.
    _window = field_validator("window")(_check_window)
    _tz = field_validator("timezone")(_check_timezone)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str, info: ValidationInfo) -> str:
        check: ScheduleCheck | None = (info.context or {}).get(_CHECK_SCHEDULE)
        if check is not None:
            try:
                check(value, "UTC")  # the syntax; the channel's zone is checked on its own
            except (DigestbotError, ValueError) as e:
                raise ValueError(str(e)) from None
        return value

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        """A webhook URL's form, checked here rather than at the first delivery; one still
        holding an unset ``${NAME}`` is reported as that."""
        if value is not None and not _ENV_REF.search(value) and not is_webhook_url(value):
            raise ValueError(
                "not a Discord webhook URL (https://discord.com/api/webhooks/ID/TOKEN, "
                "optionally ?thread_id=<number>)"
            )
        return value

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """Checked here (names from the context) so it is reported beside other problems."""
        known: frozenset[str] | None = (info.context or {}).get(_TOPIC_NAMES)
        unknown = [t for t in value if known is not None and t not in known]
        if unknown:
            names = ", ".join(repr(t) for t in unknown)
            shown = ", ".join(sorted(known or ())) or "none configured"
            raise ValueError(
                f"unknown topic{'s' if len(unknown) > 1 else ''} {names} (known: {shown})"
            )
        return value

    @model_validator(mode="after")
    def _target(self) -> ChannelSettings:
        if self.platform == "slack" and not self.channel:
            raise ValueError("a slack channel needs 'channel' (the channel id, e.g. C0123456)")
        if self.platform == "discord" and not (self.channel or self.webhook):
            raise ValueError("a discord channel needs 'channel' (id) or 'webhook' (URL)")
        if self.webhook is not None and self.platform != "discord":
            raise ValueError("'webhook' is only for platform: discord")
        return self


class Settings(_Section):
    """The whole configuration after defaults are applied."""

    database: str = DEFAULT_DATABASE_URL
    timezone: str = "UTC"
    archive_dir: str = "data/archive"
    public_url: str | None = None
    admin_channel: str | None = None
    http: HttpSettings = HttpSettings()
    fetch: FetchSettings = FetchSettings()
    poll: PollSettings = PollSettings()
    digest: DigestSettings = DigestSettings()
    delivery: DeliverySettings = DeliverySettings()
    retention: RetentionSettings = RetentionSettings()
    permissions: PermissionSettings = PermissionSettings()
    llm: LlmSettings = LlmSettings()
    sources: tuple[SourceSettings, ...] = ()
    topics: dict[str, TopicDefinition] = Field(default_factory=default_topics)
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)

    # Where the settings came from; the folder relative paths are resolved against.
    config_path: str | None = Field(default=None, exclude=True)

    _tz = field_validator("timezone")(_check_timezone)

    @field_validator("topics")
    @classmethod
    def _topic_names(cls, value: dict[str, TopicDefinition]) -> dict[str, TopicDefinition]:
        for name in value:
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", name):
                raise ValueError(
                    f"topic name {name!r}: use 1-40 lowercase letters, digits, '-' or '_'"
                )
        return value

    @model_validator(mode="before")
    @classmethod
    def _shipped_channel(cls, data: Any) -> Any:
        """A file that leaves ``channels`` out gets the shipped one, ``console`` with every
        topic, so its digests still go somewhere (``channels: {}`` means none). A section
        with nothing under it (every entry commented out) counts as left out."""
        if isinstance(data, dict):
            data = {key: value for key, value in data.items() if value is not None}
        if isinstance(data, dict) and "channels" not in data:
            topics = data.get("topics")
            names = list(topics) if isinstance(topics, Mapping) else list(default_topics())
            data = {**data, "channels": {"console": {"platform": "console", "topics": names}}}
        return data

    @model_validator(mode="after")
    def _references(self) -> Settings:
        for name, channel in self.channels.items():
            for topic in channel.topics:
                if topic not in self.topics:
                    raise ValueError(f"channel {name!r}: unknown topic {topic!r}")
        if self.admin_channel is not None and self.admin_channel not in self.channels:
            raise ValueError(f"admin_channel {self.admin_channel!r} is not a configured channel")
        return self

    def topic(self, name: str) -> TopicDefinition:
        try:
            return self.topics[name]
        except KeyError:
            known = ", ".join(sorted(self.topics)) or "none configured"
            raise UsageError(f"unknown topic {name!r} (known: {known})") from None

    def resolve_path(self, path: str) -> Path:
        """A relative path in the config is relative to the working directory (as documented)."""
        return Path(path).expanduser()


@dataclass(frozen=True)
class Secrets:
    """Tokens from the environment only; masked in repr so they never reach a log line."""

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    discord_bot_token: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if env is None else env
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            discord_bot_token=env.get("DISCORD_BOT_TOKEN") or None,
        )

    def __repr__(self) -> str:
        def mask(v: str | None) -> str:
            return "unset" if v is None else "***"

        return (
            f"Secrets(slack_bot_token={mask(self.slack_bot_token)}, "
            f"slack_signing_secret={mask(self.slack_signing_secret)}, "
            f"slack_app_token={mask(self.slack_app_token)}, "
            f"discord_bot_token={mask(self.discord_bot_token)})"
        )


# --- loading -------------------------------------------------------------------------------


def config_path_from(cli_path: str | None, env: Mapping[str, str] | None = None) -> Path | None:
    """``--config``, else ``$DIGESTBOT_CONFIG``, else ``config/digestbot.yaml`` if it exists."""
    env = os.environ if env is None else env
    if cli_path:
        return Path(cli_path)
    if env.get("DIGESTBOT_CONFIG"):
        return Path(env["DIGESTBOT_CONFIG"])
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None


def load_settings(
    path: Path | None,
    *,
    db_url: str | None = None,
    env: Mapping[str, str] | None = None,
    check_schedule: ScheduleCheck | None = None,
) -> Settings:
    """Read and validate ``path`` (None: built-in defaults); raise ConfigError with every problem.

    The database URL is ``db_url`` (``--db``), else ``$DIGESTBOT_DATABASE_URL``, else the
    config's ``database``, else ``sqlite:///data/digestbot.db``. ``$DIGESTBOT_HTTP_HOST``
    overrides ``http.host``. ``check_schedule`` validates channel schedules (the CLI passes
    ``bot.schedules.parse_schedule``); None skips that check.
    """
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    lines: dict[tuple[str | int, ...], int] = {}
    label = "<defaults>"
    if path is not None:
        label = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError([f"{label}:0: config file not found"]) from None
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError([f"{label}:0: cannot read config: {e}"]) from None
        data, lines, problems, shadowed = _parse_yaml(text, label)
    else:
        problems, shadowed = [], []
    data = _expand_env(data, env, (), lines, label, problems)
    context = {_CHECK_SCHEDULE: check_schedule, _TOPIC_NAMES: _topic_names(data)}
    try:
        settings = Settings.model_validate(data, context=context)
    except ValidationError as e:
        problems.extend(_format_errors(e, lines, label))
    problems.extend(_shadowed_problems(shadowed, data, lines, env, check_schedule, label))
    problems.extend(_shared_destinations(data, lines, label))
    if problems:  # every problem at once, in file order
        ordered = sorted(dict.fromkeys(problems), key=lambda p: p[0])
        raise ConfigError([text for _, text in ordered])
    overrides: dict[str, Any] = {"config_path": str(path) if path else None}
    url = db_url or env.get("DIGESTBOT_DATABASE_URL")
    if url:
        overrides["database"] = url
    host = env.get("DIGESTBOT_HTTP_HOST", "").strip()
    if host:  # containers listen on every interface without editing the mounted config
        overrides["http"] = settings.http.model_copy(update={"host": host})
    return settings.model_copy(update=overrides)


class _LineLoader(SafeLoader):  # type: ignore[valid-type,misc]
    """The safe loader; the line of every mapping key and sequence item is read off its nodes."""


Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class _Shadowed:
    """An earlier copy of a key written twice in one mapping (``path``, its key on ``line``).

    YAML keeps the last copy; this one is validated on its own too, so a duplicated channel
    does not hide the problems inside its first copy."""

    path: Loc
    line: int
    node: yaml.Node


def _parse_yaml(
    text: str, label: str
) -> tuple[dict[str, Any], dict[Loc, int], list[tuple[int, str]], list[_Shadowed]]:
    """The document, the line of every key and item, its duplicate keys as problems
    (reported with the others: YAML would silently keep the last one, a term weighed twice),
    and the earlier copies of those keys, to be checked as well."""
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError([f"{label}:{line}: invalid YAML: {problem}"]) from None
    if node is None:
        return {}, {}, [], []
    lines: dict[Loc, int] = {}
    duplicates: list[tuple[int, str]] = []
    shadowed: list[_Shadowed] = []
    _collect_lines(node, (), lines, duplicates, shadowed)
    value = _construct(node, label)
    if not isinstance(value, dict):
        raise ConfigError([f"{label}:{node.start_mark.line + 1}: the config must be a mapping"])
    problems = [(line, f"{label}:{line}: {text}") for line, text in duplicates]
    return value, lines, problems, shadowed


def _construct(node: yaml.Node, label: str) -> Any:
    """The value of ``node``; ConfigError (one line) when YAML cannot build it (a key that
    is a list, say)."""
    loader = _LineLoader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or node.start_mark
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError([f"{label}:{mark.line + 1}: invalid YAML: {problem}"]) from None
    finally:
        loader.dispose()


def _collect_lines(
    node: yaml.Node,
    path: Loc,
    lines: dict[Loc, int],
    duplicates: list[tuple[int, str]],
    shadowed: list[_Shadowed],
) -> None:
    """The line of every key and item, by path; (line, "duplicate key ...") for repeated keys,
    whose earlier copies go to ``shadowed`` (not to ``lines``: their paths are the last copy's)."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        pairs = [(k.value if isinstance(k, yaml.ScalarNode) else None, k, v)
                 for k, v in node.value]
        last = {key: i for i, (key, _, _) in enumerate(pairs) if key is not None}
        seen: dict[str, int] = {}
        for i, (key, key_node, value_node) in enumerate(pairs):
            if key is None:  # a list or mapping as a key: construction reports it
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                duplicates.append(
                    (line, f"duplicate key {key!r} (also on line {seen[key]}); keep one of them")
                )
            seen.setdefault(key, line)
            if last[key] != i:  # an earlier copy: its own duplicates are reported here
                shadowed.append(_Shadowed((*path, key), line, value_node))
                _collect_lines(value_node, (*path, key), {}, duplicates, [])
                continue
            lines[(*path, key)] = line
            _collect_lines(value_node, (*path, key), lines, duplicates, shadowed)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _collect_lines(item, (*path, i), lines, duplicates, shadowed)


def _shadowed_problems(
    shadowed: list[_Shadowed],
    data: dict[str, Any],
    lines: Mapping[Loc, int],
    env: Mapping[str, str],
    check_schedule: ScheduleCheck | None,
    label: str,
) -> list[tuple[int, str]]:
    """The problems inside earlier copies of duplicated keys: each copy is put in place of
    the last one and the whole config validated again, keeping the problems under its path
    (on its own lines). Copies inside a copy are checked the same way, within it."""
    problems: list[tuple[int, str]] = []
    for shadow in shadowed:
        path = shadow.path
        own_lines: dict[Loc, int] = {path: shadow.line}
        nested: list[_Shadowed] = []
        _collect_lines(shadow.node, path, own_lines, [], nested)
        found: list[tuple[int, str]] = []
        try:
            value = _expand_env(_construct(shadow.node, label), env, path, own_lines, label,
                                found)
            alt = _replace(data, path, value)
        except (ConfigError, LookupError):  # cannot be put in place: the duplicate is reported
            continue
        problems.extend(found)
        alt_lines = {k: v for k, v in lines.items() if k[: len(path)] != path} | own_lines
        context = {_CHECK_SCHEDULE: check_schedule, _TOPIC_NAMES: _topic_names(alt)}
        try:
            Settings.model_validate(alt, context=context)
        except ValidationError as e:
            problems.extend(_format_errors(e, alt_lines, label, within=path))
        problems.extend(_shadowed_problems(nested, alt, alt_lines, env, check_schedule, label))
    return problems


def _replace(data: Any, path: Loc, value: Any) -> Any:
    """``data`` with the value at ``path`` replaced (copies along the path; ``data`` is left
    as it is); LookupError when ``path`` is not in ``data``."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        key = next((k for k in data if k == head or str(k) == str(head)), None)
        if key is None:
            raise LookupError(head)
        return {**data, key: _replace(data[key], rest, value)}
    if isinstance(data, list) and isinstance(head, int) and 0 <= head < len(data):
        return [*data[:head], _replace(data[head], rest, value), *data[head + 1 :]]
    raise LookupError(head)


def _topic_names(data: Mapping[str, Any]) -> frozenset[str] | None:
    """Topic names channels may refer to: the file's, else the shipped ones; None if unknown."""
    topics = data.get("topics")
    if topics is None:
        return frozenset(default_topics())
    return frozenset(str(name) for name in topics) if isinstance(topics, dict) else None


def _expand_env(
    value: Any,
    env: Mapping[str, str],
    path: tuple[str | int, ...],
    lines: Mapping[tuple[str | int, ...], int],
    label: str,
    problems: list[tuple[int, str]],
) -> Any:
    """``${NAME}`` -> its value; an unset one is a problem and stays as written."""
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in env:
                line = _line_for(path, lines)
                problems.append((line, f"{label}:{line}: environment variable {name} is not set"))
                return m.group(0)
            return env[name]

        return _ENV_REF.sub(sub, value)
    if isinstance(value, dict):
        return {
            k: _expand_env(v, env, (*path, k), lines, label, problems) for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            _expand_env(v, env, (*path, i), lines, label, problems) for i, v in enumerate(value)
        ]
    return value


def _destination(channel: Mapping[str, Any]) -> tuple[tuple[str, ...], str] | None:
    """Where a channel's digests land (a key, and its words), or None: console, or a target
    too broken to compare (its own problem is reported). A Discord webhook is its id and
    thread (the token only authorises), and wins over ``channel`` as it does when sending."""
    platform, channel_id, webhook = (channel.get(k) for k in ("platform", "channel", "webhook"))
    if platform == "discord" and isinstance(webhook, str):
        if not is_webhook_url(webhook):
            return None
        parts = urlsplit(webhook.strip())
        match = WEBHOOK_PATH.match(parts.path)
        if match is None:
            return None
        thread = parse_qs(parts.query).get("thread_id", [""])[0]
        words = f"Discord webhook {match.group(1)}" + (f" (thread {thread})" if thread else "")
        return ("discord-webhook", match.group(1), thread), words
    if platform in ("slack", "discord") and isinstance(channel_id, str) and channel_id.strip():
        return (platform, channel_id.strip()), f"{platform.capitalize()} channel {channel_id}"
    return None


def _shared_destinations(
    data: Mapping[str, Any], lines: Mapping[Loc, int], label: str
) -> list[tuple[int, str]]:
    """Two channels posting to the same platform channel (or webhook) on the same schedule
    with a topic in common: each keeps its own delivery record, so a story would be posted
    there twice. Another schedule (a daily digest and a weekly roundup) is a choice, not a
    slip, and is allowed. Reported at the later channel. Read from the raw (env-expanded)
    data, so it comes with the other problems rather than after they are fixed."""
    channels = data.get("channels")
    if not isinstance(channels, Mapping):
        return []
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[object, ...], list[tuple[str, tuple[str, ...]]]] = {}
    for name, channel in channels.items():
        if not isinstance(channel, Mapping):
            continue
        found = _destination(channel)
        raw_topics = channel.get("topics")
        if found is None or not isinstance(raw_topics, list):
            continue
        where, words = found
        schedule = channel.get("schedule")
        key = (*where, " ".join(schedule.lower().split()) if isinstance(schedule, str) else None)
        topics = tuple(t for t in raw_topics if isinstance(t, str))
        for other, other_topics in seen.get(key, []):
            common = [t for t in dict.fromkeys(topics) if t in other_topics]
            if common:
                line = _line_for(("channels", name), lines)
                plural = "s" if len(common) > 1 else ""
                problems.append((line, (
                    f"{label}:{line}: channels.{name}: same {words} as {other!r}, both with "
                    f"topic{plural} {', '.join(common)} (a story would be posted twice)"
                )))
                break
        seen.setdefault(key, []).append((str(name), topics))
    return problems


def _line_for(loc: tuple[str | int, ...], lines: Mapping[tuple[str | int, ...], int]) -> int:
    for end in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:end]))
        if line is not None:
            return line
    return 0


def _format_errors(
    error: ValidationError, lines: Mapping[Loc, int], label: str, *, within: Loc = ()
) -> list[tuple[int, str]]:
    """(line, ``file:line: where: message``) of each error; only those under ``within``."""
    problems: list[tuple[int, str]] = []
    for item in error.errors():
        loc = tuple(
            p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))
        )
        if loc[: len(within)] != within:
            continue
        where = ".".join(str(p) for p in loc)
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}" if loc else "unknown key"
            where = ".".join(str(p) for p in loc[:-1])
        elif item["type"] in ("tuple_type", "list_type"):  # lists are tuples inside
            given = item.get("input")
            msg = f"should be a list, e.g. [{given}]" if isinstance(given, str) else (
                "should be a list"
            )
        line = _line_for(loc, lines)
        problems.append((line, f"{label}:{line}: {where + ': ' if where else ''}{msg}"))
    return problems
