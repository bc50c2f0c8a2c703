"""``digestbot config check``: ok is exit 0; every problem is a ``file:line: message`` line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Workdir
from tests.cli.harness import SHIPPED_CONFIG, Run, run_subprocess

Cli = Callable[..., Run]
PROBLEM = re.compile(r"^(?P<file>[^:]+\.yaml):(?P<line>\d+): (?P<message>.+)$")


def problems(run: Run) -> list[tuple[int, str]]:
    """(line, message) of every stderr line, each of which must be ``file:line: message``."""
    assert run.code == 2, (run.out, run.err)
    assert "Traceback" not in run.err and run.out == ""
    found = []
    for line in run.err_lines:
        match = PROBLEM.match(line)
        assert match, f"not file:line: message: {line!r}"
        found.append((int(match["line"]), match["message"]))
    return found


def test_shipped_config_is_valid(cli: Cli) -> None:
    run = cli("config", "check", "--config", SHIPPED_CONFIG)
    assert run.code == 0, run.err
    assert run.out.startswith(f"{SHIPPED_CONFIG}: ok (3 topics, 1 sources, 1 channels)")


def test_no_config_anywhere_means_builtin_defaults(cli: Cli) -> None:
    run = cli("config", "check")
    assert run.code == 0, run.err
    assert run.out.startswith("built-in defaults: ok (3 topics, 0 sources, 1 channels)")


CASES = {
    "unknown key": ("digest:\n  window: 24h\n  colour: red\n", 3, "unknown key 'colour'"),
    "unknown top-level key": ("datbase: sqlite:///x.db\n", 1, "unknown key 'datbase'"),
    "wrong type": ("digest:\n  max_stories: lots\n", 2, "digest.max_stories"),
    "out of range": ("http:\n  port: 70000\n", 2, "http.port"),
    "topic without terms": (
        "topics:\n  security:\n    description: war\n", 2, "topics.security.terms"
    ),
    "bad topic name": (
        "topics:\n  Bad Name:\n    description: x\n    terms: {a: 1}\n", 1, "topic name"
    ),
    "bad window": ("digest:\n  window: forever\n", 2, "bad window 'forever'"),
    "bad poll interval": ("poll:\n  interval: often\n", 2, "bad duration 'often'"),
    "bad time zone": ("timezone: Mars/Olympus\n", 1, "unknown time zone 'Mars/Olympus'"),
    "bad source": ("sources:\n  - url: ftp://x.example/feed\n", 2, "http:// or https://"),
    "source with both": (
        "sources:\n  - url: https://x.example/f\n    path: a\n", 2, "exactly one of"
    ),
    "duplicate key": (
        "topics:\n  security:\n    description: war\n    terms:\n      war: 3\n      war: 2\n",
        6,
        "duplicate key 'war' (also on line 5)",
    ),
    "bad platform": ("channels:\n  a:\n    platform: irc\n", 3, "channels.a.platform"),
    "webhook thread not a number": (
        "channels:\n  a:\n    platform: discord\n"
        "    webhook: https://discord.com/api/webhooks/1/abc?thread_id=abc\n",
        4,
        "channels.a.webhook: not a Discord webhook URL",
    ),
    "not a webhook": (
        "channels:\n  a:\n    platform: discord\n    webhook: https://example.org/hook\n",
        4,
        "channels.a.webhook: not a Discord webhook URL",
    ),
    "slack without channel": ("channels:\n  a:\n    platform: slack\n", 2, "needs 'channel'"),
    "unknown topic in channel": (
        "channels:\n  a:\n    platform: console\n    topics: [security, sports]\n",
        4,
        "unknown topic 'sports'",
    ),
    "bad schedule": (
        "channels:\n  a:\n    platform: console\n    topics: [drugs]\n"
        "    schedule: sometimes 25:00\n",
        5,
        "bad schedule 'sometimes 25:00'",
    ),
    "bad schedule time": (
        "channels:\n  a:\n    platform: console\n    schedule: daily 25:00\n",
        4,
        "HH:MM",
    ),
    "bad channel window": (
        "channels:\n  a:\n    platform: console\n    window: 0h\n", 4, "bad window '0h'"
    ),
    "admin channel unknown": ("admin_channel: ops\n", 1, "admin_channel 'ops'"),
    "invalid YAML": ("digest:\n  window: [24h\n  max_stories: 3\n", 3, "invalid YAML"),
    "tab indentation": ("digest:\n\twindow: 24h\n", 2, "invalid YAML"),
    "not a mapping": ("- a\n- b\n", 1, "must be a mapping"),
    "duplicate... unset env": (
        "channels:\n  hook:\n    platform: discord\n    webhook: ${DIGESTBOT_TEST_UNSET_HOOK}\n",
        4,
        "environment variable DIGESTBOT_TEST_UNSET_HOOK is not set",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_problem_is_one_located_line(cli: Cli, workdir: Workdir, case: str) -> None:
    text, line, needle = CASES[case]
    config = workdir.write("bad.yaml", text)
    found = problems(cli("config", "check", "--config", config))
    assert len(found) == 1, found
    assert found[0][0] == line, found
    assert needle in found[0][1], found


ALL_AT_ONCE = """\
timezone: Mars/Olympus
bogus: 1
digest:
  window: forever
  max_stories: many
topics:
  security:
    description: no terms here
channels:
  desk:
    platform: slack
    channel: C1
    topics: [security, sports]
    schedule: "sometimes 25:00"
    timezone: Moon/Base
    window: 0h
  hook:
    platform: discord
    webhook: ${DIGESTBOT_TEST_UNSET_HOOK}
"""


def test_every_problem_is_reported_at_once(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write("many.yaml", ALL_AT_ONCE)
    found = problems(cli("config", "check", "--config", config))
    lines = [line for line, _ in found]
    assert lines == sorted(lines)
    text = "\n".join(f"{line}: {message}" for line, message in found)
    for line, needle in [
        (1, "unknown time zone 'Mars/Olympus'"),
        (2, "unknown key 'bogus'"),
        (4, "bad window 'forever'"),
        (5, "digest.max_stories"),
        (7, "topics.security.terms"),
        (13, "unknown topic 'sports'"),
        (14, "bad schedule"),
        (15, "unknown time zone 'Moon/Base'"),
        (16, "bad window '0h'"),
        (19, "DIGESTBOT_TEST_UNSET_HOOK is not set"),
    ]:
        assert f"{line}: " in text and any(
            at == line and needle in message for at, message in found
        ), (line, needle, text)
    assert len(found) == 10, text


def test_a_duplicate_key_is_reported_with_the_other_problems(
    cli: Cli, workdir: Workdir
) -> None:
    config = workdir.write("dup.yaml", "timezone: Mars/Olympus\ndigest:\n  window: 24h\n"
                           "  window: forever\n  max_stories: 0\n")
    found = problems(cli("config", "check", "--config", config))
    assert [line for line, _ in found] == [1, 4, 4, 5], found
    assert "duplicate key 'window' (also on line 3)" in found[1][1] + found[2][1]


DUPLICATE_CHANNEL = """\
channels:
  desk:
    platform: console
    topics: [sports]
    window: 0h
  other:
    platform: console
  desk:
    platform: discord
    webhook: ${DIGESTBOT_TEST_UNSET_HOOK}
    webhook: https://example.org/hook
  desk:
    platform: console
    colour: red
"""


def test_a_duplicated_channel_hides_none_of_its_copies_problems(
    cli: Cli, workdir: Workdir
) -> None:
    """YAML keeps the last ``desk``; the problems inside the earlier copies (and inside a
    copy's own duplicate key) are reported too, each on its own line."""
    config = workdir.write("dup-channel.yaml", DUPLICATE_CHANNEL)
    found = problems(cli("config", "check", "--config", config))
    assert found == [
        (4, "channels.desk.topics: unknown topic 'sports' (known: drugs, migration, security)"),
        (5, "channels.desk.window: bad window '0h': must be longer than zero"),
        (8, "duplicate key 'desk' (also on line 2); keep one of them"),
        (10, "environment variable DIGESTBOT_TEST_UNSET_HOOK is not set"),
        (11, "duplicate key 'webhook' (also on line 10); keep one of them"),
        (11, "channels.desk.webhook: not a Discord webhook URL (https://discord.com/api/"
             "webhooks/ID/TOKEN, optionally ?thread_id=<number>)"),
        (12, "duplicate key 'desk' (also on line 2); keep one of them"),
        (14, "channels.desk: unknown key 'colour'"),
    ], found


def test_an_earlier_copy_problem_is_on_its_key_line(cli: Cli, workdir: Workdir) -> None:
    """A whole-channel problem of the first copy points at that copy's key, not the last's."""
    config = workdir.write("dup-slack.yaml", "channels:\n  desk:\n    platform: slack\n"
                           "  desk:\n    platform: console\n")
    found = problems(cli("config", "check", "--config", config))
    assert [line for line, _ in found] == [2, 4], found
    assert found[0][1].startswith("channels.desk: a slack channel needs 'channel'")


def test_clean_duplicate_copies_report_only_the_duplicate(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write("dup-ok.yaml", "digest:\n  window: 24h\ndigest:\n  window: 12h\n")
    assert problems(cli("config", "check", "--config", config)) == [
        (3, "duplicate key 'digest' (also on line 1); keep one of them")
    ]


def test_a_list_as_a_key_is_one_located_line(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write("list-key.yaml", "digest:\n  ? [a, b]\n  : 1\n")
    found = problems(cli("config", "check", "--config", config))
    assert len(found) == 1 and "invalid YAML" in found[0][1], found


def test_missing_config_file(cli: Cli, workdir: Workdir) -> None:
    run = cli("config", "check", "--config", workdir.path / "nope.yaml")
    assert run.code == 2 and len(run.err_lines) == 1
    assert "nope.yaml" in run.err and "not found" in run.err


def test_every_command_refuses_a_bad_config(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write("bad.yaml", "digest:\n  window: forever\n")
    for args in (("ingest", "x.txt"), ("digest", "--topic", "drugs"), ("search", "a"),
                 ("ask", "why?"), ("classify", "x.txt")):
        run = cli(*args, "--config", config)
        assert problems(run) == [(2, "digest.window: bad window 'forever': use a number and a "
                                     "unit (m, h, d, w), e.g. 90m, 24h, 7d, 2w or 1d12h")], args


def test_subprocess_bad_config_exit_code(workdir: Workdir) -> None:
    workdir.write("bad.yaml", ALL_AT_ONCE)
    run = run_subprocess("config", "check", "--config", "bad.yaml", cwd=workdir.path)
    assert run.code == 2
    assert "Traceback" not in run.err
    assert all(line.startswith("bad.yaml:") for line in run.err_lines)
    assert len(run.err_lines) == 10


def test_shipped_topics_have_no_duplicate_terms(cli: Cli) -> None:
    """YAML keeps the last of two equal keys silently; the shipped topics file has none."""
    shipped = Path(__file__).resolve().parents[2] / "digests" / "defaults" / "topics.yaml"
    run = cli("config", "check", "--config", str(shipped))
    assert run.code == 0, run.err
