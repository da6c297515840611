"""SQLite implementation of the FollowUpRepository port: what is owed to posts already sent.

- An edit, when the publisher corrected a posted item within a day of the post (planned by
  ``SqliteItemRepository.apply`` in the poll's transaction, ``outbox.edit_state``).
- Publishing to followers, for a publishing subscription's posts in an announcement channel
  (``outbox.publish_state``, set with the post's ``mark_sent``), queued past Discord's limit.

Each row's follow-up ends once: ``finish_*`` is guarded by the state it leaves.
"""

from __future__ import annotations

from datetime import datetime

from bot.news.model.vocabulary import ALL_SHARDS, EditState, OutboxEntry, PublishState, Shards
from storage._sql import Connections, to_db_time
from storage.items import item_companies
from storage.outbox import ENTRY_COLUMNS, entry_from_row
from storage.shards import on_shards

_SELECT = f"""
SELECT {ENTRY_COLUMNS}
FROM outbox AS o
JOIN subscriptions AS s ON s.id = o.subscription_id
JOIN items AS i ON i.id = o.item_id
WHERE {{where}} AND {{on_shards}}
ORDER BY o.id
LIMIT :limit
"""


class SqliteFollowUpRepository:
    """Edits and publishing of sent posts (implements ``bot.news.ports.FollowUpRepository``)."""

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    async def edits_due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[OutboxEntry]:
        """Sent posts owed an edit whose time has come, oldest post first; only those of
        guilds on ``shards``."""
        return await self._entries(
            "o.edit_state = 'pending' AND coalesce(o.edit_after, 0) <= :now AND o.state = 'sent'",
            now,
            limit,
            shards,
        )

    async def finish_edit(self, entry_id: int, state: EditState) -> None:
        """End an owed edit: done, or given up on (message gone, not allowed)."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE outbox SET edit_state = ?, edit_after = NULL"
                " WHERE id = ? AND edit_state = 'pending'",
                (state.value, entry_id),
            )

    async def edit_later(self, entry_id: int, at: datetime) -> None:
        """Try an owed edit again at ``at`` (Discord failed)."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE outbox SET edit_after = ? WHERE id = ? AND edit_state = 'pending'",
                (to_db_time(at), entry_id),
            )

    async def publishing_due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[OutboxEntry]:
        """Sent posts waiting to be published whose time has come, oldest first; only those
        of guilds on ``shards``."""
        return await self._entries(
            "o.publish_state = 'waiting' AND coalesce(o.publish_after, 0) <= :now",
            now,
            limit,
            shards,
        )

    async def finish_publishing(self, entry_id: int, state: PublishState) -> None:
        """End a post's wait to be published: published, or gone."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE outbox SET publish_state = ?, publish_after = NULL"
                " WHERE id = ? AND publish_state = 'waiting'",
                (state.value, entry_id),
            )

    async def publish_later(self, entry_id: int, at: datetime) -> None:
        """Hold a post's publishing until ``at`` (Discord's publish limit, or a failure)."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE outbox SET publish_after = ? WHERE id = ? AND publish_state = 'waiting'",
                (to_db_time(at), entry_id),
            )

    async def waiting_to_publish(self, subscription_id: int) -> int:
        """How many of a subscription's messages (posts, roundups, digests) wait to be
        published."""
        row = await self._db.read_one(
            "SELECT (SELECT count(*) FROM outbox"
            "        WHERE subscription_id = ?1 AND publish_state = 'waiting')"
            "     + (SELECT count(*) FROM digests"
            "        WHERE subscription_id = ?1 AND publish_state = 'waiting')",
            (subscription_id,),
        )
        assert row is not None
        return int(row[0])

    async def _entries(
        self, where: str, now: datetime, limit: int, shards: Shards
    ) -> list[OutboxEntry]:
        if limit <= 0:
            return []
        served, parameters = on_shards(shards)
        rows = await self._db.read(
            _SELECT.format(where=where, on_shards=served),
            {"now": to_db_time(now), "limit": limit, **parameters},
        )
        companies = await item_companies(self._db, [row["id"] for row in rows])
        return [entry_from_row(row, companies.get(row["id"], ())) for row in rows]
