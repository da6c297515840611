"""PostgreSQL implementation of the FollowUpRepository port (see ``storage/followups.py``, the
SQLite one): edits owed to sent posts whose item was corrected, and publishing to followers.

Each row's follow-up ends once: ``finish_*`` is guarded by the state it leaves.
"""

from __future__ import annotations

from datetime import datetime

from bot.news.model.vocabulary import ALL_SHARDS, EditState, OutboxEntry, PublishState, Shards, utc
from storage.postgres.item_rows import item_companies
from storage.postgres.outbox import ENTRY_COLUMNS, entry_from_row
from storage.postgres.pool import Pool, read, read_value, transaction
from storage.postgres.shards import on_shards

# $1 is now, $2 the limit, then the shards' parameters.
_SELECT = f"""
SELECT {ENTRY_COLUMNS}
FROM outbox AS o
JOIN subscriptions AS s ON s.id = o.subscription_id
JOIN items AS i ON i.id = o.item_id
WHERE {{where}} AND {{on_shards}}
ORDER BY o.id
LIMIT $2
"""


class PostgresFollowUpRepository:
    """Edits and publishing of sent posts (implements ``bot.news.ports.FollowUpRepository``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def edits_due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[OutboxEntry]:
        """Sent posts owed an edit whose time has come, oldest post first; only those of
        guilds on ``shards``."""
        return await self._entries(
            "o.edit_state = 'pending' AND (o.edit_after IS NULL OR o.edit_after <= $1)"
            " AND o.state = 'sent'",
            now,
            limit,
            shards,
        )

    async def finish_edit(self, entry_id: int, state: EditState) -> None:
        """End an owed edit: done, or given up on (message gone, not allowed)."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE outbox SET edit_state = $1, edit_after = NULL"
                " WHERE id = $2 AND edit_state = 'pending'",
                state.value,
                entry_id,
            )

    async def edit_later(self, entry_id: int, at: datetime) -> None:
        """Try an owed edit again at ``at`` (Discord failed)."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE outbox SET edit_after = $1 WHERE id = $2 AND edit_state = 'pending'",
                utc(at),
                entry_id,
            )

    async def publishing_due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[OutboxEntry]:
        """Sent posts waiting to be published whose time has come, oldest first; only those
        of guilds on ``shards``."""
        return await self._entries(
            "o.publish_state = 'waiting' AND (o.publish_after IS NULL OR o.publish_after <= $1)",
            now,
            limit,
            shards,
        )

    async def finish_publishing(self, entry_id: int, state: PublishState) -> None:
        """End a post's wait to be published: published, or gone."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE outbox SET publish_state = $1, publish_after = NULL"
                " WHERE id = $2 AND publish_state = 'waiting'",
                state.value,
                entry_id,
            )

    async def publish_later(self, entry_id: int, at: datetime) -> None:
        """Hold a post's publishing until ``at`` (Discord's publish limit, or a failure)."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE outbox SET publish_after = $1 WHERE id = $2 AND publish_state = 'waiting'",
                utc(at),
                entry_id,
            )

    async def waiting_to_publish(self, subscription_id: int) -> int:
        """How many of a subscription's messages (posts, roundups, digests) wait to be
        published."""
        return int(
            await read_value(
                self._pool,
                "SELECT (SELECT count(*) FROM outbox"
                "        WHERE subscription_id = $1 AND publish_state = 'waiting')"
                "     + (SELECT count(*) FROM digests"
                "        WHERE subscription_id = $1 AND publish_state = 'waiting')",
                subscription_id,
            )
        )

    async def _entries(
        self, where: str, now: datetime, limit: int, shards: Shards
    ) -> list[OutboxEntry]:
        if limit <= 0:
            return []
        served, parameters = on_shards(shards, 3)
        rows = await read(
            self._pool,
            _SELECT.format(where=where, on_shards=served),
            utc(now),
            limit,
            *parameters,
        )
        companies = await item_companies(self._pool, [row["id"] for row in rows])
        return [entry_from_row(row, companies.get(row["id"], ())) for row in rows]
