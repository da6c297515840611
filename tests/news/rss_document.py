"""One hostile RSS document parsed as a poll would parse it, for the parsing probes' tests
(test_charrefs, test_feed_tags, test_sax_attributes): the same feed address, media type and
clock each time, and either path (the ElementTree fast path or feedparser)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.news.adapters.feed_parse import parse_feed
from bot.news.model.vocabulary import ParsedFeed

FEED_URL = "https://a.example/feed.xml"
NOW = datetime(2026, 12, 7, tzinfo=UTC)


def parse_rss(body: bytes, *, fast_path: bool) -> ParsedFeed:
    """``body`` parsed as the RSS document of ``FEED_URL`` at ``NOW``."""
    return parse_feed(
        body, url=FEED_URL, content_type="application/rss+xml", now=NOW, fast_path=fast_path
    )
