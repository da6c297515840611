"""When a feed is polled next, and when it has failed for long enough to be disabled. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.news.model.vocabulary import Feed


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """Polling cadence and failure handling."""

    interval: timedelta = timedelta(seconds=900)
    max_backoff: timedelta = timedelta(hours=24)
    disable_after: timedelta = timedelta(days=3)
    # A feed must also have failed this many times in a row: a single failure after a long
    # quiet stretch (e.g. the bot was off for a week) must not disable it.
    disable_min_errors: int = 5

    def after_success(self, now: datetime) -> datetime:
        """Next poll after a poll that worked (200 or 304)."""
        return now + self.interval

    def after_failure(
        self, now: datetime, error_count: int, retry_after: timedelta | None = None
    ) -> datetime:
        """Next poll after the ``error_count``-th failure in a row: capped exponential backoff.

        A server's Retry-After is honoured even when it asks for longer than the backoff, up to
        the cap, and never shortens the normal interval.
        """
        exponent = max(0, min(error_count - 1, 32))
        delay = min(self.interval * (1 << exponent), self.max_backoff)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_backoff))
        return now + max(delay, self.interval)

    def should_disable(self, feed: Feed, now: datetime, error_count: int) -> bool:
        """Whether a feed that just failed again has been failing for too long."""
        if error_count < self.disable_min_errors:
            return False
        failing_since = feed.last_success or feed.created_at
        return now - failing_since >= self.disable_after
