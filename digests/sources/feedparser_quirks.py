"""One correction to feedparser, applied when the feeds module is imported.

feedparser treats ``<media:description>`` (Media RSS: the description of a photo or video) as
the item's ``<description>``: when the item already has a description, the caption lands in
``content``, where it reads as the article's full text (kurtmckee/feedparser#53, open since
2016). In the news corpus that made a photo caption the body of every New York Times and ABC
News item. The fix the issue proposes, done here: the element gets handlers of its own, as
``<media:license>`` has, so its text is kept apart as ``media_description`` and the feeds
module uses it only when the item has no other text (a video feed's only description).
"""

from __future__ import annotations

from typing import Any

from feedparser.namespaces import mediarss

MEDIA_DESCRIPTION = "media_description"


def _start_media_description(self: Any, attrs_d: dict[str, str]) -> None:
    self.push(MEDIA_DESCRIPTION, 1)


def _end_media_description(self: Any) -> None:
    self.pop(MEDIA_DESCRIPTION)


def apply() -> None:
    """Install the handlers (idempotent)."""
    namespace: Any = mediarss.Namespace
    namespace._start_media_description = _start_media_description
    namespace._end_media_description = _end_media_description
