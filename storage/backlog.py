"""SQLite implementation of the BacklogReader port: where work waits, for metrics.

Each figure is one aggregate over an index that holds only waiting work (``outbox_pending``,
``items_unassigned``) or over the small feeds table, so a scrape stays cheap as the item
history and the delivery log grow.
"""

from __future__ import annotations

from datetime import datetime

from bot.news.model.vocabulary import ALL_SHARDS, Backlog, Shards
from storage._sql import SHARED_ITEMS, Connections, from_db_time_or_none, to_db_time
from storage.shards import on_shards


class SqliteBacklog:
    """Figures on waiting work (implements ``bot.news.ports.BacklogReader``)."""

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    async def backlog(
        self, now: datetime, stories_since: datetime, shards: Shards = ALL_SHARDS
    ) -> Backlog:
        """One read of every figure (one statement: one snapshot of the database); the
        outbox's of the guilds on ``shards`` only."""
        on, parameters = on_shards(shards)
        # Every shard: no join, the partial index alone.
        outbox = (
            "outbox AS o"
            if shards.everything
            else f"outbox AS o JOIN subscriptions AS s ON s.id = o.subscription_id AND {on}"
        )
        rows = await self._db.read(
            f"""
            SELECT
              (SELECT count(*) FROM feeds
               WHERE enabled = 1 AND (next_due IS NULL OR next_due <= :now)) AS feeds_due,
              (SELECT count(*) FROM feeds WHERE enabled = 1 AND error_count > 0) AS failing,
              (SELECT count(*) FROM {outbox} WHERE o.state = 'pending') AS pending,
              (SELECT min(o.created_at) FROM {outbox} WHERE o.state = 'pending')
                AS oldest_pending,
              (SELECT min(i.first_seen) FROM items AS i
               WHERE i.story_id IS NULL AND i.first_seen >= :since AND {SHARED_ITEMS})
                AS oldest_unassigned
            """,
            {"now": to_db_time(now), "since": to_db_time(stories_since), **parameters},
        )
        row = rows[0]  # an aggregate without GROUP BY returns one row
        return Backlog(
            feeds_due=int(row["feeds_due"]),
            feeds_failing=int(row["failing"]),
            outbox_pending=int(row["pending"]),
            oldest_pending=from_db_time_or_none(row["oldest_pending"]),
            oldest_unassigned=from_db_time_or_none(row["oldest_unassigned"]),
        )
