"""One root error with specific subclasses, so the CLI can turn any of them into one line."""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """An error's message as one line (its first), or its type's name when it says nothing:
    what every one-line report (stderr, a ``failed`` entry, a log line) is made of."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


class DigestbotError(Exception):
    """Root of every error the project raises on purpose; the CLI prints it as one line, exit 2."""


class UsageError(DigestbotError):
    """Bad option or argument given by the user (bad --since, unknown topic, ...)."""


class ConfigError(DigestbotError):
    """The configuration is invalid; ``problems`` holds every ``file:line: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class SourceError(DigestbotError):
    """A source (feed URL, feed file, article file, folder) could not be read or parsed."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class HttpStatusError(SourceError):
    """The server answered with an error status; ``retry_after`` (seconds) is how long it
    asked to be left alone (``Retry-After`` on a 429 or 503), when it said."""

    def __init__(
        self, source: str, reason: str, status: int, retry_after: float | None = None
    ) -> None:
        super().__init__(source, reason)
        self.status = status
        self.retry_after = retry_after


class NotAFeedError(SourceError):
    """A web page where a feed was expected; ``feed_links`` are the feeds it announces
    (``sources.discover``), best first, so a caller can offer or follow one."""

    def __init__(self, source: str, reason: str, feed_links: tuple[str, ...] = ()) -> None:
        super().__init__(source, reason)
        self.feed_links = feed_links


class StoreError(DigestbotError):
    """The store (database) could not be reached or refused an operation."""


class DeliveryError(DigestbotError):
    """A message could not be delivered to a channel.

    ``permanent`` errors (channel not found, invalid token) must not be retried.
    """

    def __init__(
        self, platform: str, channel: str, reason: str, *, permanent: bool = False
    ) -> None:
        self.platform = platform
        self.channel = channel
        self.reason = reason
        self.permanent = permanent
        super().__init__(f"{platform}:{channel}: {reason}")
