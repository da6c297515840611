"""Poll policy: backoff, Retry-After, disabling long-failing feeds."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from bot.news.model.vocabulary import Feed
from bot.news.rules.poll_policy import PollPolicy

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
POLICY = PollPolicy(interval=timedelta(minutes=15), max_backoff=timedelta(hours=24))


def _feed(**changes: object) -> Feed:
    base = Feed(
        id=1,
        url="https://x.test/feed",
        name="x",
        guild_id=None,
        trusted=True,
        enabled=True,
        created_at=NOW - timedelta(days=30),
    )
    return Feed(**{**{f: getattr(base, f) for f in Feed.__slots__}, **changes})


def test_success_waits_one_interval() -> None:
    assert POLICY.after_success(NOW) == NOW + timedelta(minutes=15)


def test_failures_back_off_exponentially_up_to_the_cap() -> None:
    waits = [POLICY.after_failure(NOW, n) - NOW for n in range(1, 10)]
    assert waits[:4] == [timedelta(minutes=m) for m in (15, 30, 60, 120)]
    assert waits[-1] == timedelta(hours=24)
    assert all(a <= b for a, b in itertools.pairwise(waits))
    assert POLICY.after_failure(NOW, 10_000) - NOW == timedelta(hours=24)


def test_retry_after_is_honoured_but_capped() -> None:
    assert POLICY.after_failure(NOW, 1, timedelta(hours=2)) - NOW == timedelta(hours=2)
    assert POLICY.after_failure(NOW, 1, timedelta(days=9)) - NOW == timedelta(hours=24)
    # A tiny Retry-After never makes us poll faster than the interval.
    assert POLICY.after_failure(NOW, 1, timedelta(seconds=1)) - NOW == timedelta(minutes=15)


def test_disabled_only_after_days_of_repeated_failure() -> None:
    recent = _feed(last_success=NOW - timedelta(hours=5))
    old = _feed(last_success=NOW - timedelta(days=4))
    assert not POLICY.should_disable(recent, NOW, error_count=50)
    assert not POLICY.should_disable(old, NOW, error_count=2)  # one bad day after a long pause
    assert POLICY.should_disable(old, NOW, error_count=5)
    never = _feed(created_at=NOW - timedelta(days=5), last_success=None)
    assert POLICY.should_disable(never, NOW, error_count=6)
