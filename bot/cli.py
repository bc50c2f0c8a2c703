"""``digestbot`` command line: parse arguments, call the core, print results, map errors to exit 2.

JSON goes to stdout; progress and logs go to stderr. Every expected failure is one line on stderr
and exit status 2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from digests.errors import ConfigError, DigestbotError, first_line
from digests.settings import Settings, config_path_from, load_settings

log = logging.getLogger("digestbot")

EXIT_OK = 0
EXIT_ERROR = 2

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as one line and exit 2 (not usage + error)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"digestbot: error: {message} (see --help)\n")


def _common(parser: argparse.ArgumentParser) -> None:
    """Options every command takes, before or after the command name.

    Defaults are SUPPRESS so a subcommand's parser never overwrites a value given before it.
    """
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="config file (else $DIGESTBOT_CONFIG, else config/digestbot.yaml, "
        "else built-in defaults)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="SQLAlchemy database URL (else $DIGESTBOT_DATABASE_URL, else the config's database)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="more logging on stderr (-vv for debug)",
    )


def _port(value: str) -> int:
    """``--port``'s type: a bad one is a usage error like any other (``digestbot: error:``)."""
    if not value.strip().isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {value}")
    return int(value)


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")


#: Commands that only group actions (``config check``, ``feeds list``...).
_GROUPS = ("config", "feeds", "db", "archive")


def build_parser() -> argparse.ArgumentParser:
    """The parser; handlers are named, not imported, so ``--help`` needs no store or parser."""
    parser = _Parser(
        prog="digestbot",
        description="Self-hosted news digests for Slack and Discord: feeds in, topic digests out.",
    )
    _common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("ingest", help="store articles from feeds, files or folders")
    p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="feed URL, feed file, article file, OPML file or folder "
        "(default: the configured sources)",
    )
    _json_flag(p)
    p.set_defaults(handler="cmd_ingest")

    p = sub.add_parser("classify", help="topics of articles in files/folders (nothing stored)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _json_flag(p)
    p.set_defaults(handler="cmd_classify")

    p = sub.add_parser("summarize", help="summary and key facts of articles (nothing stored)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _json_flag(p)
    p.set_defaults(handler="cmd_summarize")

    p = sub.add_parser("digest", help="the digest of stored articles for a topic")
    p.add_argument("--topic", "-t", help="topic name (default: every configured topic)")
    p.add_argument("--since", metavar="WINDOW", help="window such as 24h, 7d (default: config)")
    p.add_argument(
        "--format", "-f", default=None, choices=["markdown", "slack", "discord", "html", "json"]
    )
    p.add_argument("--limit", type=int, default=None, help="at most this many stories")
    _json_flag(p)
    p.set_defaults(handler="cmd_digest")

    p = sub.add_parser("search", help="stored articles ranked by relevance")
    p.add_argument("query", nargs="+", metavar="QUERY")
    p.add_argument("--topic", "-t")
    p.add_argument("--since", metavar="WINDOW")
    p.add_argument("--limit", "-n", type=int, default=10)
    _json_flag(p)
    p.set_defaults(handler="cmd_search")

    p = sub.add_parser("ask", help="an answer from stored articles, with its sources")
    p.add_argument("question", nargs="+", metavar="QUESTION")
    p.add_argument("--topic", "-t")
    p.add_argument("--since", metavar="WINDOW")
    _json_flag(p)
    p.set_defaults(handler="cmd_ask")

    p = sub.add_parser("post", help="build and deliver a digest to a configured channel now")
    p.add_argument("--channel", "-c", required=True, metavar="NAME")
    p.add_argument("--topic", "-t", help="one topic (default: the channel's topics)")
    p.add_argument("--since", metavar="WINDOW")
    _json_flag(p)
    p.set_defaults(handler="cmd_post")

    p = sub.add_parser("run", help="long-running: scheduler, chat apps, HTTP server")
    p.add_argument(
        "--once",
        action="store_true",
        help="ingest the configured sources, deliver every channel's digests, exit",
    )
    p.add_argument(
        "--port", type=_port, default=None, help="HTTP port (else $PORT, else config)"
    )
    p.set_defaults(handler="cmd_run")

    p = sub.add_parser(
        "prune",
        help="delete old articles (and stories, search entries, ledger rows left without them)",
    )
    p.add_argument(
        "--older-than",
        metavar="AGE",
        help="e.g. 90d, 26w, 1y: articles published and stored longer ago go "
        "(default: the config's retention.articles)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="count what would be deleted, delete nothing"
    )
    _json_flag(p)
    p.set_defaults(handler="cmd_prune")

    p = sub.add_parser("config", help="configuration tools")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", parser_class=_Parser)
    cp = csub.add_parser("check", help="validate the configuration")
    _common(cp)
    cp.set_defaults(handler="cmd_config_check")

    p = sub.add_parser("feeds", help="list, add, remove or export the feeds the bot follows")
    fsub = p.add_subparsers(dest="feeds_command", metavar="ACTION", parser_class=_Parser)
    fp = fsub.add_parser("list", help="feeds with their health")
    _common(fp)
    _json_flag(fp)
    fp.set_defaults(handler="cmd_feeds_list")
    fp = fsub.add_parser(
        "add", help="follow a feed: fetch and store it now, then poll it with the configured ones"
    )
    _common(fp)
    fp.add_argument("url", metavar="URL", help="the feed's http(s) URL")
    fp.add_argument("--name", metavar="NAME", help="its name (default: the feed's own title)")
    _json_flag(fp)
    fp.set_defaults(handler="cmd_feeds_add")
    fp = fsub.add_parser("remove", help="stop following a feed added with 'feeds add' or in chat")
    _common(fp)
    fp.add_argument("url", metavar="URL")
    _json_flag(fp)
    fp.set_defaults(handler="cmd_feeds_remove")
    fp = fsub.add_parser("export", help="write the feed list as OPML")
    _common(fp)
    fp.add_argument("--output", "-o", metavar="FILE", help="file to write (default: stdout)")
    fp.set_defaults(handler="cmd_feeds_export")

    p = sub.add_parser("db", help="database tools")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", parser_class=_Parser)
    dp = dsub.add_parser("upgrade", help="migrate the database schema to the latest version")
    _common(dp)
    dp.set_defaults(handler="cmd_db_upgrade")

    p = sub.add_parser("archive", help="the digest archive")
    asub = p.add_subparsers(dest="archive_command", metavar="ACTION", parser_class=_Parser)
    ap = asub.add_parser("build", help="write the archive site as static files")
    _common(ap)
    ap.add_argument("out_dir", metavar="OUT_DIR")
    ap.set_defaults(handler="cmd_archive_build")

    for name, action in sub.choices.items():
        if name in _GROUPS:
            action.set_defaults(group_parser=action)  # no ACTION given: this one's help
        else:
            _common(action)
    return parser


def load(args: argparse.Namespace) -> Settings:
    """Settings per the contract: --config, $DIGESTBOT_CONFIG, config/digestbot.yaml, defaults.

    Channel schedules are checked here too, so a typo is reported by every command (with its
    file:line), not only when ``run`` starts the scheduler.
    """
    from bot.schedules import parse_schedule

    return load_settings(
        config_path_from(getattr(args, "config", None)),
        db_url=getattr(args, "db", None),
        check_schedule=parse_schedule,
    )


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


class _OneLineErrors(logging.Formatter):
    """A logged exception as one line, not a traceback: a one-shot command's stderr stays
    readable (``-vv`` shows tracebacks; ``digestbot run`` keeps them for its operator)."""

    def formatException(self, ei: Any) -> str:
        error = ei[1]
        return f"  ({type(error).__name__}: {first_line(error)}; run with -vv for the traceback)"

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n  (", " (", 1)


#: Loggers of this project; every other logger is a library's.
_OWN_LOGGERS = frozenset({"digestbot", "digests", "bot"})
#: Libraries that log about the pages they parse (a fragment is "not valid HTML", a page has
#: no date): noise for whoever runs the bot, shown only with -v, even by ``digestbot run``.
_PAGE_PARSERS = (
    "trafilatura", "htmldate", "courlan", "justext", "readability", "charset_normalizer"
)


class _LibraryFilter(logging.Filter):
    """Lets a library's record through only from ``min_level`` (the project's always pass)."""

    def __init__(self, min_level: int, quiet: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.min_level = min_level
        self.quiet = quiet

    def filter(self, record: logging.LogRecord) -> bool:
        top = record.name.partition(".")[0]
        if top in _OWN_LOGGERS:
            return True
        if top in self.quiet:
            return False
        return record.levelno >= self.min_level


def _setup_logging(verbosity: int, *, tracebacks: bool = True) -> None:
    """Project logs from WARNING (-v INFO, -vv DEBUG); libraries' logs only with -v (their
    warnings) or -vv (everything). ``digestbot run`` (``tracebacks``) keeps libraries' warnings
    without -v, for its operator, except the page parsers'."""
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    fmt = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
    one_line = not tracebacks and verbosity < 2
    handler.setFormatter(_OneLineErrors(fmt) if one_line else logging.Formatter(fmt))
    if verbosity >= 2:
        handler.addFilter(_LibraryFilter(logging.DEBUG))
    elif verbosity == 1:
        handler.addFilter(_LibraryFilter(logging.WARNING))
    elif tracebacks:
        handler.addFilter(_LibraryFilter(logging.WARNING, quiet=_PAGE_PARSERS))
    else:
        handler.addFilter(_LibraryFilter(logging.CRITICAL + 1))
    logging.basicConfig(level=level, handlers=[handler])
    if verbosity < 2:
        for noisy in ("httpx", "httpcore", "apscheduler", "discord", "aiohttp", *_PAGE_PARSERS):
            logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler_name: str | None = getattr(args, "handler", None)
    _setup_logging(getattr(args, "verbose", 0), tracebacks=handler_name == "cmd_run")
    _load_env_file()
    if handler_name is None:  # no command, or a group's ACTION left out: that parser's help
        getattr(args, "group_parser", parser).print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return _handler(handler_name)(args)
    except ConfigError as e:
        for problem in e.problems:
            sys.stderr.write(f"{problem}\n")
        return EXIT_ERROR
    except DigestbotError as e:
        sys.stderr.write(f"digestbot: error: {first_line(e)}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("digestbot: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # a bug, not bad input: still one line, details with -vv
        log.debug("unexpected error", exc_info=True)
        sys.stderr.write(
            f"digestbot: internal error: {type(e).__name__}: {first_line(e)} "
            "(run with -vv for the traceback)\n"
        )
        return 1


def _load_env_file(path: Path = Path(".env")) -> None:
    """Secrets (and ``${NAME}`` values of the config) may live in ``.env`` in the working
    directory, as for Docker Compose; variables already set in the environment win."""
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def _handler(name: str) -> Handler:
    """A command's handler, imported on first use (bot.cli_commands pulls in the whole core)."""
    from bot import cli_commands

    handler: Handler = getattr(cli_commands, name)
    return handler




__all__ = ["EXIT_ERROR", "EXIT_OK", "build_parser", "load", "main", "print_json"]
