"""PostgreSQL implementation of the BacklogReader port: where work waits, for metrics.

Each figure is one aggregate over an index that holds only waiting work (``outbox_pending``,
``items_unassigned``) or over the small feeds table, as in SQLite's ``storage/backlog.py``.
"""

from __future__ import annotations

from datetime import datetime

from bot.news.model.vocabulary import ALL_SHARDS, Backlog, Shards, utc
from storage.postgres.pool import Pool, read_one
from storage.postgres.shards import on_shards


class PostgresBacklog:
    """Figures on waiting work (implements ``bot.news.ports.BacklogReader``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def backlog(
        self, now: datetime, stories_since: datetime, shards: Shards = ALL_SHARDS
    ) -> Backlog:
        """One read of every figure (one statement: one snapshot of the database); the
        outbox's of the guilds on ``shards`` only."""
        on, parameters = on_shards(shards, 3)
        # Every shard: no join, the partial index alone.
        outbox = (
            "outbox AS o"
            if shards.everything
            else f"outbox AS o JOIN subscriptions AS s ON s.id = o.subscription_id AND {on}"
        )
        row = await read_one(
            self._pool,
            f"""
            SELECT
              (SELECT count(*) FROM feeds
               WHERE enabled AND (next_due IS NULL OR next_due <= $1)) AS feeds_due,
              (SELECT count(*) FROM feeds WHERE enabled AND error_count > 0) AS failing,
              (SELECT count(*) FROM {outbox} WHERE o.state = 'pending') AS pending,
              (SELECT min(o.created_at) FROM {outbox} WHERE o.state = 'pending')
                AS oldest_pending,
              (SELECT min(i.first_seen) FROM items AS i
               WHERE i.story_id IS NULL AND i.first_seen >= $2
                 AND i.feed_id IN (SELECT id FROM feeds WHERE guild_id IS NULL))
                AS oldest_unassigned
            """,
            utc(now),
            utc(stories_since),
            *parameters,
        )
        assert row is not None  # an aggregate without GROUP BY returns one row
        return Backlog(
            feeds_due=int(row["feeds_due"]),
            feeds_failing=int(row["failing"]),
            outbox_pending=int(row["pending"]),
            oldest_pending=row["oldest_pending"],
            oldest_unassigned=row["oldest_unassigned"],
        )
