"""``digestbot config check``: two channels posting to the same platform channel (or Discord
webhook) on the same schedule with a topic in common would each post a story there, since each
keeps its own delivery record; that is a located problem at the second channel, exit 2."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Workdir
from tests.settings.test_config_check import Cli, problems

SAME_SLACK = """\
channels:
  a:
    platform: slack
    channel: C0123
    topics: [security, migration]
    schedule: daily 08:00
  elsewhere:
    platform: slack
    channel: C0999
    topics: [security]
  b:
    platform: slack
    channel: C0123
    topics: [drugs, security, migration]
    schedule: Daily  08:00
"""


def test_two_channels_on_one_slack_channel_with_a_common_topic(
    cli: Cli, workdir: Workdir
) -> None:
    config = workdir.write("c.yaml", SAME_SLACK)
    assert problems(cli("config", "check", "--config", config)) == [
        (11, "channels.b: same Slack channel C0123 as 'a', both with topics security, "
             "migration (a story would be posted twice)"),
    ]


def test_same_channel_with_other_topics_or_other_platform_is_fine(
    cli: Cli, workdir: Workdir
) -> None:
    config = workdir.write("ok.yaml", """\
channels:
  a:
    platform: slack
    channel: C0123
    topics: [security]
  b:
    platform: slack
    channel: C0123
    topics: [drugs]
  c:
    platform: discord
    channel: C0123
    topics: [security]
  d:
    platform: console
    topics: [security]
  e:
    platform: console
    topics: [security]
  daily:
    platform: slack
    channel: C0777
    topics: [security]
    schedule: daily 08:00
  roundup:
    platform: slack
    channel: C0777
    topics: [security]
    schedule: mon 09:00
""")
    run = cli("config", "check", "--config", config)
    assert run.code == 0, run.err  # another schedule (a weekly roundup) is a choice


def test_one_discord_webhook_after_env_expansion(
    cli: Cli, workdir: Workdir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second URL comes from the environment, with another host and token: the same
    webhook id is the same destination (named by id: the token stays out of the output);
    another thread of it is not."""
    monkeypatch.setenv("DIGESTBOT_TEST_HOOK", "https://discordapp.com/api/v10/webhooks/42/t2/")
    config = workdir.write("hooks.yaml", """\
channels:
  first:
    platform: discord
    webhook: https://discord.com/api/webhooks/42/t1
    topics: [drugs]
  thread:
    platform: discord
    webhook: https://discord.com/api/webhooks/42/t1?thread_id=7
    topics: [drugs]
  second:
    platform: discord
    webhook: ${DIGESTBOT_TEST_HOOK}
    topics: [drugs]
""")
    found = problems(cli("config", "check", "--config", config))
    assert found == [(10, "channels.second: same Discord webhook 42 as 'first', both with "
                          "topic drugs (a story would be posted twice)")]


def test_reported_with_the_other_problems(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write("both.yaml", "digest:\n  window: forever\n" + SAME_SLACK)
    found = problems(cli("config", "check", "--config", config))
    assert [line for line, _ in found] == [2, 13], found
    assert found[1][1].startswith("channels.b: same Slack channel C0123 as 'a'")
