"""How a story is laid out in a forum or a thread: its post's title, its forum tags, the note
above a later report. Pure functions of the item and the forum's tags."""

from __future__ import annotations

from collections.abc import Sequence

from bot.news.model.vocabulary import Item
from bot.news.tagging.topics import TOPICS

# Discord's limits: a thread's name is 1-100 characters; a forum post takes 5 tags at most.
TITLE_LIMIT = 100
MAX_FORUM_TAGS = 5
SOURCE_LIMIT = 80

_TOPIC_NAMES = {topic.id: topic.name for topic in TOPICS}


def story_title(item: Item) -> str:
    """The title of the forum post or thread of the story ``item`` opens: its headline on one
    line, within Discord's 100 characters."""
    title = " ".join(item.title.split()) or "(untitled)"
    if len(title) <= TITLE_LIMIT:
        return title
    return title[: TITLE_LIMIT - 1].rstrip() + "…"


def source_note(item: Item) -> str:
    """The line above a story's later report in its thread: which outlet adds to it."""
    source = " ".join(item.source.split())[:SOURCE_LIMIT] or "unknown"
    return f"+1 source: {source}"


def forum_tags(available: Sequence[tuple[int, str]], item: Item) -> tuple[int, ...]:
    """The ids of the forum's tags (id, name) that name one of the item's companies or topics
    (by name or id, case-insensitively): companies first, in the item's order, at most five."""
    by_name: dict[str, int] = {}
    for tag_id, name in available:
        by_name.setdefault(name.strip().casefold(), tag_id)
    wanted: list[str] = []
    for company in item.companies:
        wanted += [company.name, company.id]
    for topic in item.topics:
        wanted += [_TOPIC_NAMES.get(topic, topic), topic]
    chosen: list[int] = []
    for name in wanted:
        match = by_name.get(name.strip().casefold())
        if match is not None and match not in chosen:
            chosen.append(match)
    return tuple(chosen[:MAX_FORUM_TAGS])
