"""Pages of items on PostgreSQL: who may see which items, rows made into an ItemPage.

Shared by ``latest`` (``storage/postgres/items.py``) and search (``item_search.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from bot.news.model.vocabulary import Item, ItemPage
from storage.postgres.item_rows import item_companies, item_from_row, item_topics
from storage.postgres.pool import Pool, read


def scope(
    guild_id: int | None, all_guilds: bool, parameters: list[Any]
) -> tuple[list[str], list[Any]]:
    """WHERE clauses (items aliased ``i``) for which feeds' items a request may see, and the
    parameters with the guild's appended."""
    if all_guilds:
        return [], parameters
    shared = "i.feed_id IN (SELECT id FROM feeds WHERE guild_id IS NULL"
    if guild_id is None:
        return [shared + ")"], parameters
    parameters.append(guild_id)
    return [shared + f" OR guild_id = ${len(parameters)})"], parameters


async def page(
    pool: Pool, rows: Sequence[asyncpg.Record], limit: int, *, collapse: bool = False
) -> ItemPage:
    """An ItemPage of ``rows`` (selected with ``ITEM_COLUMNS``) cut at ``limit``."""
    has_more = len(rows) > limit
    rows = rows[:limit]
    ids = [row["id"] for row in rows]
    companies = await item_companies(pool, ids)
    topics = await item_topics(pool, ids)
    items = tuple(
        item_from_row(row, companies.get(row["id"], ()), topics.get(row["id"], ())) for row in rows
    )
    if not collapse:
        return ItemPage(items=items, has_more=has_more)
    return ItemPage(items=items, has_more=has_more, extra_sources=await _extra_sources(pool, items))


async def _extra_sources(pool: Pool, items: Sequence[Item]) -> tuple[int, ...]:
    """For each item, the distinct sources of its story's other shared items, bar its own."""
    story_ids = sorted({i.story_id for i in items if i.story_id is not None})
    if not story_ids:
        return (0,) * len(items)
    rows = await read(
        pool,
        """
        SELECT DISTINCT i.story_id, i.source FROM items AS i
        WHERE i.story_id = ANY($1::bigint[])
          AND i.feed_id IN (SELECT id FROM feeds WHERE guild_id IS NULL)
        """,
        story_ids,
    )
    sources: dict[int, set[str]] = {}
    for story_id, source in rows:
        sources.setdefault(story_id, set()).add(source)
    return tuple(
        len(sources.get(i.story_id, set()) - {i.source}) if i.story_id is not None else 0
        for i in items
    )


def first_of_each_story(rows: Sequence[asyncpg.Record]) -> list[asyncpg.Record]:
    """``rows`` without any item of a story that an earlier row already stands for."""
    seen: set[int] = set()
    kept = []
    for row in rows:
        story_id = row["story_id"]
        if story_id is not None:
            if story_id in seen:
                continue
            seen.add(story_id)
        kept.append(row)
    return kept
