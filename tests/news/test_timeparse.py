"""Time expressions users type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.news.model.errors import UserError
from bot.news.rules.timeparse import parse_since

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        (" 7D ", timedelta(days=7)),
    ],
)
def test_relative(text: str, ago: timedelta) -> None:
    assert parse_since(text, NOW) == NOW - ago


def test_dates_are_utc() -> None:
    assert parse_since("2026-11-01", NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_since("2026-11-01T10:00:00+02:00", NOW) == datetime(2026, 11, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "7 days", "-3d", "99999w"])
def test_unreadable_is_a_user_error(text: str) -> None:
    with pytest.raises(UserError):
        parse_since(text, NOW)
