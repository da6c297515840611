"""PostgreSQL implementation of the DeliveryHistory port (see ``storage/history.py``, the
SQLite one): what became of an item, and a window of recent items, as one server sees them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from bot.news.model.vocabulary import DigestEntry, DigestState, Item, OutboxEntry, OutboxState
from storage.postgres.item_rows import ITEM_COLUMNS, item_companies, item_from_row, item_topics
from storage.postgres.pool import Pool, read
from storage.postgres.subscriptions import SUBSCRIPTION_COLUMNS, subscription_from_row

# $1 is always the server.
_VISIBLE = "JOIN feeds AS f ON f.id = i.feed_id WHERE (f.guild_id IS NULL OR f.guild_id = $1)"

_SUBSCRIPTION = ", ".join(f"s.{c.strip()}" for c in SUBSCRIPTION_COLUMNS.split(","))


class PostgresDeliveryHistory:
    """Reads the delivery log and items for one server (implements
    ``bot.news.ports.DeliveryHistory``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def items_by_link(self, guild_id: int, links: Sequence[str]) -> list[Item]:
        """Items the server can see whose link is one of ``links``, first stored first."""
        if not links:
            return []
        return await self._items(
            f"SELECT {ITEM_COLUMNS} FROM items AS i {_VISIBLE} AND i.link = ANY($2::text[])"
            " ORDER BY i.first_seen, i.id",
            guild_id,
            list(links),
        )

    async def item(self, guild_id: int, item_id: int) -> Item | None:
        """One item with its companies and topics, if the server can see it."""
        found = await self._items(
            f"SELECT {ITEM_COLUMNS} FROM items AS i {_VISIBLE} AND i.id = $2", guild_id, item_id
        )
        return found[0] if found else None

    async def posts_of_item(self, guild_id: int, item_id: int) -> list[OutboxEntry]:
        """The outbox rows of the item for the server's subscriptions, whatever their state."""
        item = await self.item(guild_id, item_id)
        if item is None:
            return []
        rows = await read(
            self._pool,
            """
            SELECT o.id, o.subscription_id, s.guild_id, s.channel_id, o.state, o.attempts,
                   o.created_at, o.next_attempt_at, o.message_id, o.last_error, o.roundup,
                   o.thread_id
            FROM outbox AS o JOIN subscriptions AS s ON s.id = o.subscription_id
            WHERE o.item_id = $2 AND s.guild_id = $1
            ORDER BY o.subscription_id
            """,
            guild_id,
            item_id,
        )
        return [
            OutboxEntry(
                id=row["id"],
                subscription_id=row["subscription_id"],
                guild_id=row["guild_id"],
                channel_id=row["channel_id"],
                item=item,
                state=OutboxState(row["state"]),
                attempts=row["attempts"],
                created_at=row["created_at"],
                next_attempt_at=row["next_attempt_at"],
                message_id=row["message_id"],
                last_error=row["last_error"],
                roundup=row["roundup"],
                thread_id=row["thread_id"],
            )
            for row in rows
        ]

    async def digests_covering(self, guild_id: int, moment: datetime) -> list[DigestEntry]:
        """The server's digests whose period holds ``moment``."""
        rows = await read(
            self._pool,
            f"""
            SELECT d.id AS digest_id, d.period_start, d.period_end, d.state AS digest_state,
                   d.attempts, d.next_attempt_at, d.sent_at, d.message_id, d.last_error,
                   d.covered_until, {_SUBSCRIPTION}
            FROM digests AS d JOIN subscriptions AS s ON s.id = d.subscription_id
            WHERE s.guild_id = $1 AND d.period_start <= $2 AND $2 < d.period_end
            ORDER BY d.subscription_id, d.period_start
            """,
            guild_id,
            moment,
        )
        return [_digest(row) for row in rows]

    async def recent_items(self, guild_id: int, since: datetime, limit: int) -> list[Item]:
        """Items the server can see first stored at or after ``since``, newest first."""
        if limit <= 0:
            return []
        return await self._items(
            f"SELECT {ITEM_COLUMNS} FROM items AS i {_VISIBLE} AND i.first_seen >= $2"
            " ORDER BY i.first_seen DESC, i.id DESC LIMIT $3",
            guild_id,
            since,
            limit,
        )

    async def _items(self, sql: str, *args: object) -> list[Item]:
        rows = await read(self._pool, sql, *args)
        ids = [row["id"] for row in rows]
        companies = await item_companies(self._pool, ids)
        topics = await item_topics(self._pool, ids)
        return [
            item_from_row(row, companies.get(row["id"], ()), topics.get(row["id"], ()))
            for row in rows
        ]


def _digest(row: asyncpg.Record) -> DigestEntry:
    return DigestEntry(
        id=row["digest_id"],
        subscription=subscription_from_row(row),
        period_start=row["period_start"],
        period_end=row["period_end"],
        state=DigestState(row["digest_state"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        sent_at=row["sent_at"],
        message_id=row["message_id"],
        last_error=row["last_error"],
        covered_until=row["covered_until"],
    )
