"""Where the config and the database come from, ``${ENV}`` in the YAML, and secrets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from digests.errors import ConfigError
from digests.settings import Secrets, load_settings
from digests.topics import default_topics
from tests.cli.conftest import Workdir
from tests.cli.harness import SAMPLE, Run, count_articles, run_subprocess

Cli = Callable[..., Run]


def _topic_config(workdir: Workdir, name: str, topic: str) -> Path:
    """A config whose only topic is ``topic``: which file was read shows in classify's scores."""
    return workdir.write(
        name, f"topics:\n  {topic}:\n    description: {topic}\n    terms: {{Colombia: 3}}\n"
    )


def _topics_seen(cli: Cli, *args: str | Path) -> set[str]:
    run = cli("classify", SAMPLE, "--json", *args)
    assert run.code == 0, run.err
    return set(run.json()[0]["scores"])


def test_config_lookup_order(cli: Cli, workdir: Workdir, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _topics_seen(cli) == set(default_topics())  # nothing anywhere: built-in defaults

    _topic_config(workdir, "config/digestbot.yaml", "from-default-path")
    assert _topics_seen(cli) == {"from-default-path"}

    env_config = _topic_config(workdir, "env.yaml", "from-env")
    monkeypatch.setenv("DIGESTBOT_CONFIG", str(env_config))
    assert _topics_seen(cli) == {"from-env"}

    flag_config = _topic_config(workdir, "flag.yaml", "from-flag")
    assert _topics_seen(cli, "--config", flag_config) == {"from-flag"}
    assert _topics_seen(cli, "--config", str(flag_config.relative_to(workdir.path))) == {
        "from-flag"
    }


def test_config_env_var_pointing_nowhere_is_an_error(
    cli: Cli, workdir: Workdir, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGESTBOT_CONFIG", str(workdir.path / "typo.yaml"))
    run = cli("config", "check")
    run.assert_clean_error()
    assert "typo.yaml" in run.err and "not found" in run.err


def test_database_url_order(cli: Cli, workdir: Workdir, monkeypatch: pytest.MonkeyPatch) -> None:
    urls = {name: f"sqlite:///{workdir.path / name}.db" for name in ("flag", "env", "config")}
    config = workdir.write("c.yaml", f"database: {urls['config']}\n")
    default_db = workdir.path / "data" / "digestbot.db"

    monkeypatch.delenv("DIGESTBOT_DATABASE_URL")
    assert cli("ingest", SAMPLE, "--json").code == 0
    assert count_articles(f"sqlite:///{default_db}") == 1, "default: ./data/digestbot.db"

    assert cli("ingest", SAMPLE, "--config", config).code == 0
    monkeypatch.setenv("DIGESTBOT_DATABASE_URL", urls["env"])
    assert cli("ingest", SAMPLE, "--config", config).code == 0
    assert cli("ingest", SAMPLE, "--config", config, "--db", urls["flag"]).code == 0
    for name, url in urls.items():
        assert count_articles(url) == 1, name
    assert count_articles(f"sqlite:///{default_db}") == 1


def test_channels_only_config_keeps_the_shipped_topics(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write(
        "c.yaml", "channels:\n  news:\n    platform: console\n    topics: [migration, drugs]\n"
    )
    run = cli("config", "check", "--config", config)
    assert run.code == 0, run.err
    assert "ok (3 topics, 0 sources, 1 channels)" in run.out
    assert _topics_seen(cli, "--config", config) == {"security", "migration", "drugs"}


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("timezone: UTC\n", ("security", "migration", "drugs")),
        ("channels:\nsources:\n", ("security", "migration", "drugs")),  # all commented out
        ("topics:\n  cats:\n    description: Cats\n    terms: {cat: 3}\n", ("cats",)),
    ],
)
def test_channels_left_out_get_the_shipped_console_channel(
    workdir: Workdir, text: str, topics: tuple[str, ...]
) -> None:
    settings = load_settings(workdir.write("c.yaml", text))
    assert list(settings.channels) == ["console"]
    assert settings.channels["console"].platform == "console"
    assert settings.channels["console"].topics == topics
    assert settings.sources == ()


def test_empty_channels_mapping_means_none(workdir: Workdir) -> None:
    assert load_settings(workdir.write("c.yaml", "channels: {}\n")).channels == {}


def test_env_reference_in_webhook_is_expanded(workdir: Workdir) -> None:
    config = workdir.write(
        "c.yaml",
        "channels:\n  hook:\n    platform: discord\n"
        "    webhook: ${BEAT_HOOK}\n    topics: [drugs]\n",
    )
    settings = load_settings(
        config, env={"BEAT_HOOK": "https://discord.com/api/webhooks/1/abc"}
    )
    assert settings.channels["hook"].webhook == "https://discord.com/api/webhooks/1/abc"

    with pytest.raises(ConfigError) as info:
        load_settings(config, env={})
    assert info.value.problems == [f"{config}:4: environment variable BEAT_HOOK is not set"]


def test_unset_env_reference_through_the_cli(
    cli: Cli, workdir: Workdir, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir.write(
        "c.yaml", "channels:\n  hook:\n    platform: discord\n    webhook: ${BEAT_HOOK}\n"
    )
    missing = run_subprocess("config", "check", "--config", "c.yaml", cwd=workdir.path)
    assert missing.code == 2 and "Traceback" not in missing.err
    assert missing.err_lines == ["c.yaml:4: environment variable BEAT_HOOK is not set"]
    monkeypatch.setenv("BEAT_HOOK", "https://discord.com/api/webhooks/1/abc")
    present = cli("config", "check", "--config", "c.yaml")
    assert present.code == 0, present.err


def test_secrets_are_never_required_in_the_yaml(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write(
        "c.yaml",
        "channels:\n"
        "  desk:\n    platform: slack\n    channel: C0123456\n    topics: [security]\n"
        "    schedule: weekdays 08:00\n"
        "  beat:\n    platform: discord\n    channel: '123456789'\n    topics: [drugs]\n",
    )
    run = cli("config", "check", "--config", config)
    assert run.code == 0, run.err
    assert Secrets.from_env({}) == Secrets()


def test_a_token_in_the_yaml_is_refused(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write("c.yaml", "slack_bot_token: xoxb-123\n")
    run = cli("config", "check", "--config", config)
    run.assert_clean_error()
    assert "unknown key 'slack_bot_token'" in run.err
    assert "xoxb-123" not in run.err


def test_secrets_are_masked_in_repr() -> None:
    secrets = Secrets.from_env({"SLACK_BOT_TOKEN": "xoxb-42", "DISCORD_BOT_TOKEN": "dtok-42"})
    assert secrets.slack_bot_token == "xoxb-42"
    assert "42" not in repr(secrets) and "***" in repr(secrets)
