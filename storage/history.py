"""SQLite implementation of the DeliveryHistory port: what became of an item, for
``/subscriptions why``, and a window of recent items, for previews.

Every query is one server's view: items of the shared feeds and of that server's own feeds,
outbox rows and digests of that server's subscriptions only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.news.model.vocabulary import DigestEntry, DigestState, Item, OutboxEntry, OutboxState
from storage._sql import Connections, from_db_time, from_db_time_or_none, to_db_time
from storage.items import ITEM_COLUMNS, item_companies, item_from_row, item_topics
from storage.subscriptions import SUBSCRIPTION_COLUMNS, subscription_from_row

_VISIBLE = "JOIN feeds AS f ON f.id = i.feed_id WHERE (f.guild_id IS NULL OR f.guild_id = :guild)"

_SUBSCRIPTION = ", ".join(f"s.{c.strip()}" for c in SUBSCRIPTION_COLUMNS.split(","))


class SqliteDeliveryHistory:
    """Reads the delivery log and items for one server (implements
    ``bot.news.ports.DeliveryHistory``)."""

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    async def items_by_link(self, guild_id: int, links: Sequence[str]) -> list[Item]:
        """Items the server can see whose link is one of ``links``, first stored first.

        No index on links: a scan, for a command an admin runs now and then.
        """
        if not links:
            return []
        return await self._items(
            f"SELECT {ITEM_COLUMNS} FROM items AS i {_VISIBLE}"
            " AND i.link IN (SELECT value FROM json_each(:links))"
            " ORDER BY i.first_seen, i.id",
            {"guild": guild_id, "links": json.dumps(list(links))},
        )

    async def item(self, guild_id: int, item_id: int) -> Item | None:
        """One item with its companies and topics, if the server can see it."""
        found = await self._items(
            f"SELECT {ITEM_COLUMNS} FROM items AS i {_VISIBLE} AND i.id = :item",
            {"guild": guild_id, "item": item_id},
        )
        return found[0] if found else None

    async def posts_of_item(self, guild_id: int, item_id: int) -> list[OutboxEntry]:
        """The outbox rows of the item for the server's subscriptions, whatever their state."""
        rows = await self._db.read(
            f"""
            SELECT o.id AS outbox_id, o.subscription_id AS outbox_subscription_id,
                   s.guild_id AS outbox_guild_id, s.channel_id AS outbox_channel_id,
                   o.state AS outbox_state, o.attempts AS outbox_attempts,
                   o.created_at AS outbox_created_at,
                   o.next_attempt_at AS outbox_next_attempt_at,
                   o.message_id AS outbox_message_id, o.last_error AS outbox_last_error,
                   o.roundup AS outbox_roundup, o.thread_id AS outbox_thread_id,
                   {ITEM_COLUMNS}
            FROM outbox AS o
            JOIN subscriptions AS s ON s.id = o.subscription_id
            JOIN items AS i ON i.id = o.item_id
            WHERE o.item_id = :item AND s.guild_id = :guild
            ORDER BY o.subscription_id
            """,
            {"guild": guild_id, "item": item_id},
        )
        items = await self._attach(rows[:1])
        return [_entry(row, items[0]) for row in rows] if items else []

    async def digests_covering(self, guild_id: int, moment: datetime) -> list[DigestEntry]:
        """The server's digests whose period holds ``moment``."""
        rows = await self._db.read(
            f"""
            SELECT d.id AS digest_id, d.period_start, d.period_end, d.state AS digest_state,
                   d.attempts, d.next_attempt_at, d.sent_at, d.message_id, d.last_error,
                   d.covered_until, {_SUBSCRIPTION}
            FROM digests AS d JOIN subscriptions AS s ON s.id = d.subscription_id
            WHERE s.guild_id = :guild AND d.period_start <= :moment AND :moment < d.period_end
            ORDER BY d.subscription_id, d.period_start
            """,
            {"guild": guild_id, "moment": to_db_time(moment)},
        )
        return [_digest(row) for row in rows]

    async def recent_items(self, guild_id: int, since: datetime, limit: int) -> list[Item]:
        """Items the server can see first stored at or after ``since``, newest first."""
        if limit <= 0:
            return []
        return await self._items(
            f"SELECT {ITEM_COLUMNS} FROM items AS i {_VISIBLE} AND i.first_seen >= :since"
            " ORDER BY i.first_seen DESC, i.id DESC LIMIT :limit",
            {"guild": guild_id, "since": to_db_time(since), "limit": limit},
        )

    async def _items(self, sql: str, parameters: dict[str, object]) -> list[Item]:
        return await self._attach(await self._db.read(sql, parameters))

    async def _attach(self, rows: Sequence[sqlite3.Row]) -> list[Item]:
        """Items from ``ITEM_COLUMNS`` rows, with their companies and topics (two queries)."""
        ids = [row["id"] for row in rows]
        companies = await item_companies(self._db, ids)
        topics = await item_topics(self._db, ids)
        return [
            item_from_row(row, companies.get(row["id"], ()), topics.get(row["id"], ()))
            for row in rows
        ]


def _entry(row: sqlite3.Row, item: Item) -> OutboxEntry:
    return OutboxEntry(
        id=row["outbox_id"],
        subscription_id=row["outbox_subscription_id"],
        guild_id=row["outbox_guild_id"],
        channel_id=row["outbox_channel_id"],
        item=item,
        state=OutboxState(row["outbox_state"]),
        attempts=row["outbox_attempts"],
        created_at=from_db_time(row["outbox_created_at"]),
        next_attempt_at=from_db_time_or_none(row["outbox_next_attempt_at"]),
        message_id=row["outbox_message_id"],
        last_error=row["outbox_last_error"],
        roundup=row["outbox_roundup"],
        thread_id=row["outbox_thread_id"],
    )


def _digest(row: sqlite3.Row) -> DigestEntry:
    return DigestEntry(
        id=row["digest_id"],
        subscription=subscription_from_row(row),
        period_start=from_db_time(row["period_start"]),
        period_end=from_db_time(row["period_end"]),
        state=DigestState(row["digest_state"]),
        attempts=row["attempts"],
        next_attempt_at=from_db_time_or_none(row["next_attempt_at"]),
        sent_at=from_db_time_or_none(row["sent_at"]),
        message_id=row["message_id"],
        last_error=row["last_error"],
        covered_until=from_db_time_or_none(row["covered_until"]),
    )
