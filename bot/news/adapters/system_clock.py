"""The real clock; tests pass their own object with a ``now()`` method."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Wall-clock time as an aware UTC datetime."""

    def now(self) -> datetime:
        return datetime.now(UTC)
