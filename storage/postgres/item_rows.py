"""Reading stored items from ``items`` rows (shared by the outbox and the items repository)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from bot.news.model.vocabulary import Company, Item
from storage.postgres.pool import Pool, read

ITEM_COLUMNS = """
    i.id, i.feed_id, i.key, i.title, i.link, i.source, i.author, i.published, i.first_seen,
    i.updated_at, i.summary, i.image_url, i.categories, i.content_hash, i.backlog, i.story_id
"""
"""The columns of an ``items`` row aliased ``i``, as ``item_from_row`` reads them."""


def item_from_row(
    row: asyncpg.Record, companies: tuple[Company, ...], topics: tuple[str, ...] = ()
) -> Item:
    """An ``items`` row (selected with ``ITEM_COLUMNS``), its companies and topics as an Item."""
    return Item(
        id=row["id"],
        feed_id=row["feed_id"],
        key=row["key"],
        title=row["title"],
        link=row["link"],
        source=row["source"],
        author=row["author"],
        published=row["published"],
        first_seen=row["first_seen"],
        updated_at=row["updated_at"],
        summary=row["summary"],
        image_url=row["image_url"],
        categories=tuple(row["categories"]),
        companies=companies,
        content_hash=row["content_hash"],
        backlog=row["backlog"],
        topics=topics,
        story_id=row["story_id"],
    )


async def item_companies(pool: Pool, item_ids: Sequence[int]) -> dict[int, tuple[Company, ...]]:
    """The companies (with display names, in the tagger's order) of each of ``item_ids``, in
    one query however many items."""
    if not item_ids:
        return {}
    rows = await read(
        pool,
        """
        SELECT ic.item_id, c.id, c.name
        FROM item_companies AS ic JOIN companies AS c ON c.id = ic.company_id
        WHERE ic.item_id = ANY($1::bigint[])
        ORDER BY ic.item_id, ic.position
        """,
        list(item_ids),
    )
    found: dict[int, list[Company]] = {}
    for item_id, company_id, name in rows:
        found.setdefault(item_id, []).append(Company(id=company_id, name=name))
    return {item_id: tuple(companies) for item_id, companies in found.items()}


async def item_topics(pool: Pool, item_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The topic ids (sorted) of each of ``item_ids`` that has any, in one query."""
    if not item_ids:
        return {}
    rows = await read(
        pool,
        "SELECT item_id, topic FROM item_topics WHERE item_id = ANY($1::bigint[])"
        " ORDER BY item_id, topic",
        list(item_ids),
    )
    found: dict[int, list[str]] = {}
    for item_id, topic in rows:
        found.setdefault(item_id, []).append(topic)
    return {item_id: tuple(topics) for item_id, topics in found.items()}
