"""Dates with a UTC offset no place has (+9900, +99:00): both parsing paths read them as UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.news.adapters.feed_parse import parse_feed

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TEN_AM = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def rss(date: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://feeds.example.com/</link><item><title>x</title>"
        f"<link>https://feeds.example.com/1</link><pubDate>{date}</pubDate></item>"
        "</channel></rss>"
    ).encode()


def atom(date: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>T</title><entry><title>x</title><id>urn:x</id>"
        f'<link href="https://feeds.example.com/1"/><updated>{date}</updated></entry></feed>'
    ).encode()


def published_both_ways(document: bytes) -> tuple[datetime | None, datetime | None]:
    fast, slow = (
        parse_feed(
            document,
            url="https://feeds.example.com/feed.xml",
            content_type="application/xml",
            now=NOW,
            fast_path=fast_path,
        )
        for fast_path in (True, False)
    )
    return fast.items[0].published, slow.items[0].published


@pytest.mark.parametrize("make", [rss, atom])
@pytest.mark.parametrize(
    "date",
    [
        "Mon, 06 Dec 2026 10:00:00 +9900",
        "Mon, 06 Dec 2026 10:00:00 -9900",
        "Mon, 06 Dec 2026 10:00:00 +2400",
        "Mon, 06 Dec 2026 10:00:00 +0075",
        "Mon, 06 Dec 2026 10:00:00 GMT+99:00",
        "2026-12-06T10:00:00+99:00",
        "2026-12-06T10:00:00-99:00",
        "2026-12-06T10:00:00.250-24:00",
    ],
)
def test_an_impossible_offset_is_dropped_and_the_time_read_as_utc(
    make: Callable[[str], bytes], date: str
) -> None:
    # Before: +9900 dated the item 4 days back (2026-12-02 07:00), -9900 4 days ahead (dropped
    # as a future date), identically on both paths.
    assert published_both_ways(make(date)) == (TEN_AM, TEN_AM)


@pytest.mark.parametrize("make", [rss, atom])
@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Mon, 06 Dec 2026 10:00:00 +1400", datetime(2026, 12, 5, 20, 0, tzinfo=UTC)),
        ("Mon, 06 Dec 2026 10:00:00 -2359", datetime(2026, 12, 7, 9, 59, tzinfo=UTC)),
        ("2026-12-06T10:00:00+05:30", datetime(2026, 12, 6, 4, 30, tzinfo=UTC)),
        ("2026-12-06T10:00:00Z", TEN_AM),
        ("2026-12-06", datetime(2026, 12, 6, tzinfo=UTC)),
    ],
)
def test_possible_offsets_keep_feedparsers_reading(
    make: Callable[[str], bytes], date: str, expected: datetime
) -> None:
    assert published_both_ways(make(date)) == (expected, expected)
