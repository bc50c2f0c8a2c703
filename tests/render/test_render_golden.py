"""Every renderer against golden files; UPDATE_GOLDEN=1 rewrites them on purpose."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from digests import render
from digests.errors import UsageError
from digests.models import Digest

GOLDEN = Path(__file__).parent / "golden"
SUFFIX = {
    "markdown": "md",
    "html": "html",
    "json": "json",
    "slack": "slack.json",
    "discord": "discord.json",
}


@pytest.mark.parametrize("fmt", render.FORMATS)
@pytest.mark.parametrize("name", ["fixed", "empty"])
def test_golden(name: str, fmt: str, fixed_digest: Digest, empty_digest: Digest) -> None:
    digest = fixed_digest if name == "fixed" else empty_digest
    output = render.render(digest, fmt)
    path = GOLDEN / f"{name}.{SUFFIX[fmt]}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(output, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1"
    assert output == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", render.FORMATS)
def test_empty_digest_says_no_news(fmt: str, empty_digest: Digest) -> None:
    output = render.render(empty_digest, fmt)
    if fmt == "json":
        assert json.loads(output)["items"] == []
    else:
        assert "There is no news for security in the last 24h." in output


@pytest.mark.parametrize("fmt", ["json", "slack", "discord"])
def test_structured_formats_are_json(fmt: str, fixed_digest: Digest) -> None:
    payload = json.loads(render.render(fixed_digest, fmt))
    assert payload  # a dict (json) or a non-empty list of messages
    assert "Ceasefire talks resume in Geneva" in json.dumps(payload)


def test_unknown_format_is_a_usage_error(fixed_digest: Digest) -> None:
    with pytest.raises(UsageError, match="unknown format 'pdf'"):
        render.render(fixed_digest, "pdf")


def test_more_and_archive_shown_everywhere(fixed_digest: Digest) -> None:
    for fmt in ("markdown", "html", "slack", "discord"):
        text = render.render(fixed_digest, fmt)
        assert "and 3 more stories" in text, fmt
        assert "https://digest.example.org/security/2026-02-11" in text, fmt
