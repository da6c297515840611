"""What a parser worker does with one fetched document: parse it, then tag its items.

Tagging an item with companies and topics costs about as much CPU as parsing it (a regex pass
over title and description per table). Done on the event loop it held the loop for seconds in
a cold poll of 10k items and slowed every poll beside it; in the worker it runs in parallel with
the other worker and never touches the loop. The tables are the shipped defaults (the same the
composition root gives the updater); the forkserver compiles them once (``preload``), so a
worker starts with them ready.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.news.models import ItemTags, ParsedFeed
from bot.news.parse import parse_feed
from bot.news.tag import Tagger
from bot.news.topics import TopicTagger

__all__ = ["parse_and_tag", "warm_tables"]


def parse_and_tag(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    now: datetime,
    max_items: int | None = None,
    tag: bool = True,
) -> ParsedFeed:
    """``parse_feed``, and with ``tag`` each item's companies and topics in ``tags``."""
    parsed = parse_feed(body, url=url, content_type=content_type, now=now, max_items=max_items)
    if not tag or not parsed.items:
        return parsed
    companies, topics = Tagger.default(), TopicTagger.default()
    return replace(
        parsed,
        tags=tuple(
            ItemTags(
                companies=companies.tag(d.title, d.summary, d.publisher),
                topics=topics.tag(d.title, d.summary),
            )
            for d in parsed.items
        ),
    )


def warm_tables() -> None:
    """Compile both tag tables now (they compile on first use otherwise)."""
    Tagger.default().tag("warm up")
    TopicTagger.default().tag("warm up")
