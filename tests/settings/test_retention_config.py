"""The ``retention:`` section: validated with the rest (file:line), default keep forever."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from digests.settings import load_settings
from tests.cli.conftest import Workdir
from tests.cli.harness import SHIPPED_CONFIG, Run
from tests.settings.test_config_check import problems

Cli = Callable[..., Run]


def test_left_out_keeps_articles_forever(workdir: Workdir) -> None:
    assert load_settings(None).retention.max_age is None
    only_channels = workdir.write("c.yaml", "channels:\n  c:\n    platform: console\n")
    assert load_settings(only_channels).retention.max_age is None
    assert load_settings(SHIPPED_CONFIG).retention.max_age is None  # the shipped file too


@pytest.mark.parametrize(
    ("text", "age"),
    [("180d", timedelta(days=180)), ("1y", timedelta(days=365)), ("0", None),
     ("forever", None), ("null", None)],
)
def test_ages(workdir: Workdir, text: str, age: timedelta | None) -> None:
    config = workdir.write("r.yaml", f"retention:\n  articles: {text}\n")
    assert load_settings(config).retention.max_age == age


def test_bad_retention_is_reported_with_the_other_problems(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write(
        "bad.yaml",
        "digest:\n  window: forever\nretention:\n  articles: 6 months\n  deliveries: 30d\n",
    )
    found = problems(cli("config", "check", "--config", config))
    assert [line for line, _ in found] == [2, 4, 5]
    assert found[1][1].startswith("retention.articles: bad age '6 months': use a number")
    assert found[2][1] == "retention: unknown key 'deliveries'"


def test_too_short_retention(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write("short.yaml", "retention:\n  articles: 6h\n")
    assert problems(cli("config", "check", "--config", config)) == [
        (2, "retention.articles: bad age '6h': at least 1d (or 0/forever)")
    ]


def test_config_check_accepts_retention(cli: Cli, workdir: Workdir) -> None:
    config = workdir.write("ok.yaml", "retention:\n  articles: 26w\n")
    run = cli("config", "check", "--config", config)
    assert run.code == 0 and run.out.startswith(f"{Path(config)}: ok"), run.err


def test_the_commented_section_of_the_shipped_config_works(workdir: Workdir) -> None:
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    enabled = text.replace("# retention:", "retention:").replace(
        "#   articles: 180d", "  articles: 180d"
    )
    assert enabled != text
    config = workdir.write("enabled.yaml", enabled)
    assert load_settings(config).retention.max_age == timedelta(days=180)
