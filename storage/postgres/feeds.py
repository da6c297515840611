"""PostgreSQL implementation of the FeedRepository port."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import asyncpg

from bot.news.model.errors import DuplicateFeed, FeedNotFound
from bot.news.model.vocabulary import ALL_SHARDS, Feed, FeedStatus, NewFeed, Shards, utc
from storage.postgres.pool import Pool, read, read_one, read_value, transaction
from storage.postgres.shards import on_shards

FEED_COLUMNS = """
    id, url, name, guild_id, trusted, enabled, created_at, status, etag, last_modified,
    last_polled, last_success, last_error, error_count, next_due, disabled_reason,
    max_items_per_poll, companies, item_count
"""


def feed_from_row(row: asyncpg.Record) -> Feed:
    """A ``feeds`` row (selected with ``FEED_COLUMNS``) as a Feed."""
    return Feed(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        guild_id=row["guild_id"],
        trusted=row["trusted"],
        enabled=row["enabled"],
        created_at=row["created_at"],
        status=FeedStatus(row["status"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_polled=row["last_polled"],
        last_success=row["last_success"],
        last_error=row["last_error"],
        error_count=row["error_count"],
        next_due=row["next_due"],
        disabled_reason=row["disabled_reason"],
        max_items_per_poll=row["max_items_per_poll"],
        companies=tuple(row["companies"]),
        item_count=row["item_count"],
    )


class PostgresFeedRepository:
    """Stored feeds and their polling state (implements ``bot.news.ports.FeedRepository``).

    ``Feed.item_count`` is a counter column the items triggers keep exact.
    """

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def add(self, feed: NewFeed, now: datetime) -> Feed:
        """Store a new feed; raises DuplicateFeed if its URL is already stored in that scope."""
        try:
            async with transaction(self._pool) as connection:
                row = await connection.fetchrow(
                    f"""
                    INSERT INTO feeds (url, name, guild_id, trusted, enabled, created_at,
                                       max_items_per_poll, companies)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    RETURNING {FEED_COLUMNS}
                    """,
                    feed.url,
                    feed.name,
                    feed.guild_id,
                    feed.trusted,
                    feed.enabled,
                    utc(now),
                    feed.max_items_per_poll,
                    list(feed.companies),
                )
        except asyncpg.UniqueViolationError as exc:
            scope = "the shared catalogue" if feed.guild_id is None else "this server's feeds"
            raise DuplicateFeed(f"{feed.url} is already in {scope}.") from exc
        assert row is not None  # INSERT ... RETURNING always returns the row
        return feed_from_row(row)

    async def get(self, feed_id: int) -> Feed | None:
        """The feed with this id, or None."""
        row = await read_one(self._pool, f"SELECT {FEED_COLUMNS} FROM feeds WHERE id = $1", feed_id)
        return None if row is None else feed_from_row(row)

    async def by_url(self, url: str, guild_id: int | None) -> Feed | None:
        """The feed with exactly this URL in one scope (the catalogue when ``guild_id`` is None)."""
        # Written exactly like the unique index expression, so the index answers it.
        row = await read_one(
            self._pool,
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE coalesce(guild_id, 0) = $1 AND url = $2",
            guild_id or 0,
            url,
        )
        return None if row is None else feed_from_row(row)

    async def list_feeds(
        self, guild_id: int | None = None, *, all_guilds: bool = False
    ) -> list[Feed]:
        """Shared feeds plus ``guild_id``'s own (or every feed when ``all_guilds``).

        Shared feeds come first, then each guild's; by name (case-insensitively) within a scope.
        """
        # COLLATE "C": the same order whatever the database's locale (SQLite's NOCASE is ASCII).
        order = 'ORDER BY guild_id IS NOT NULL, guild_id, lower(name) COLLATE "C", id'
        if all_guilds:
            rows = await read(self._pool, f"SELECT {FEED_COLUMNS} FROM feeds {order}")
        else:
            rows = await read(
                self._pool,
                f"SELECT {FEED_COLUMNS} FROM feeds WHERE guild_id IS NULL OR guild_id = $1 {order}",
                guild_id,
            )
        return [feed_from_row(row) for row in rows]

    async def due(
        self, now: datetime, limit: int | None = None, skip: Iterable[int] = ()
    ) -> list[Feed]:
        """Enabled feeds whose next poll time has come: never-scheduled first, then most overdue
        (the first ``limit``, when given), without the ids in ``skip``."""
        rows = await read(
            self._pool,
            f"""
            SELECT {FEED_COLUMNS} FROM feeds
            WHERE enabled AND (next_due IS NULL OR next_due <= $1)
              AND NOT (id = ANY($3::bigint[]))
            ORDER BY next_due NULLS FIRST, id
            LIMIT $2
            """,
            utc(now),
            limit,  # NULL: no limit
            list(skip),
        )
        return [feed_from_row(row) for row in rows]

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[Feed]:
        """Due feeds leased to ``owner`` (see ``storage.postgres.leases``)."""
        from storage.postgres import leases  # imports this module's row reader

        return await leases.claim_due(self._pool, now, owner, lease, limit)

    async def release_leases(self, owner: str) -> None:
        """Free every feed ``owner`` holds a lease on."""
        from storage.postgres import leases

        await leases.release(self._pool, owner)

    async def set_enabled(self, feed_id: int, enabled: bool, reason: str | None = None) -> Feed:
        """Enable or disable a feed; raises FeedNotFound.

        Disabling records ``reason`` and the ``disabled`` status. Enabling clears the reason and
        the error count and makes the feed due at once.
        """
        async with transaction(self._pool) as connection:
            if enabled:
                row = await connection.fetchrow(
                    f"""
                    UPDATE feeds SET enabled = TRUE, disabled_reason = NULL, error_count = 0,
                        notice_owed = FALSE,
                        next_due = NULL,
                        status = CASE WHEN status = 'disabled' THEN 'new' ELSE status END
                    WHERE id = $1 RETURNING {FEED_COLUMNS}
                    """,
                    feed_id,
                )
            else:
                row = await connection.fetchrow(
                    f"""
                    UPDATE feeds SET enabled = FALSE, disabled_reason = $1, status = 'disabled'
                    WHERE id = $2 RETURNING {FEED_COLUMNS}
                    """,
                    reason,
                    feed_id,
                )
        if row is None:
            raise FeedNotFound(f"There is no feed with id {feed_id}.")
        return feed_from_row(row)

    async def notices_owed(self, shards: Shards = ALL_SHARDS) -> list[Feed]:
        """Servers' own feeds that polling disabled and whose server was not told yet, of
        guilds on ``shards``, oldest feed first."""
        served, parameters = on_shards(shards, 1, "guild_id")
        rows = await read(
            self._pool,
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE notice_owed AND {served} ORDER BY id",
            *parameters,
        )
        return [feed_from_row(row) for row in rows]

    async def notice_given(self, feed_id: int) -> None:
        """The server was told that its feed was disabled (or nobody is there to read it)."""
        async with transaction(self._pool) as connection:
            await connection.execute("UPDATE feeds SET notice_owed = FALSE WHERE id = $1", feed_id)

    async def remove(self, feed_id: int) -> None:
        """Delete a feed and every item it brought (the schema cascades); raises FeedNotFound."""
        async with transaction(self._pool) as connection:
            deleted = await connection.fetchval(
                "DELETE FROM feeds WHERE id = $1 RETURNING id", feed_id
            )
        if deleted is None:
            raise FeedNotFound(f"There is no feed with id {feed_id}.")

    async def body_hash(self, feed_id: int) -> str | None:
        """The fingerprint of the feed's last document parsed successfully, if any."""
        value = await read_value(
            self._pool, "SELECT body_hash FROM feed_documents WHERE feed_id = $1", feed_id
        )
        return None if value is None else str(value)

    async def count(self) -> int:
        """How many feeds are stored (enabled or not, every scope)."""
        return int(await read_value(self._pool, "SELECT count(*) FROM feeds"))
