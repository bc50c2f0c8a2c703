"""Delivered digests kept: in the store (for the web archive) and as Markdown + HTML files.

Files go to ``<archive_dir>/<topic>/<UTC time>-<channel>-<id>.{md,html}``; the name starts
with the time so a plain ``ls`` lists them in order. Files are written to a temporary name and
renamed, so a crash never leaves half a file under the final name.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from digests.models import Digest
from digests.render import html as render_html
from digests.render import json as render_json
from digests.render import markdown as render_markdown
from digests.store import Store

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def save_digest(store: Store, digest: Digest, *, channel_key: str | None, now: datetime) -> int:
    """Archive ``digest`` in the store as the JSON renderer's payload; its archive id.

    ``digests.render.json.parse`` gives the same ``Digest`` back, which is what lets an
    interrupted delivery re-render exactly the parts it was sending.
    """
    return store.save_digest(
        digest.topic, digest.since, digest.until, render_json.render(digest),
        channel_key=channel_key, now=now,
    )


def file_stem(digest: Digest, *, channel_key: str | None, digest_id: int | None) -> str:
    """``20240501T080000Z-security-desk-42``: sortable by time, unique per archive row."""
    moment = (digest.generated_at or digest.until).astimezone(UTC)
    parts = [moment.strftime("%Y%m%dT%H%M%SZ")]
    if channel_key:
        parts.append(_slug(channel_key))
    if digest_id is not None:
        parts.append(str(digest_id))
    return "-".join(parts)


def write_files(
    archive_dir: Path, digest: Digest, *, channel_key: str | None, digest_id: int | None
) -> list[Path]:
    """Write the digest as Markdown and HTML under ``archive_dir/<topic>/``; the paths."""
    folder = archive_dir / _slug(digest.topic)
    folder.mkdir(parents=True, exist_ok=True)
    stem = file_stem(digest, channel_key=channel_key, digest_id=digest_id)
    written = []
    texts = ((".md", render_markdown.render(digest)), (".html", render_html.render(digest)))
    for suffix, text in texts:
        path = folder / f"{stem}{suffix}"
        _write_atomic(path, text)
        written.append(path)
    log.debug("archived digest topic=%s files=%s", digest.topic, ",".join(map(str, written)))
    return written


def _slug(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._") or "digest"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
