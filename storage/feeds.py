"""SQLite implementation of the FeedRepository port."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.news.model.errors import DuplicateFeed, FeedNotFound
from bot.news.model.vocabulary import ALL_SHARDS, Feed, FeedStatus, NewFeed, Shards
from storage._sql import (
    Connections,
    fetch_one,
    from_db_time,
    from_db_time_or_none,
    from_json_list,
    to_db_time,
    to_json_list,
)
from storage.shards import on_shards

FEED_COLUMNS = """
    id, url, name, guild_id, trusted, enabled, created_at, status, etag, last_modified,
    last_polled, last_success, last_error, error_count, next_due, disabled_reason,
    max_items_per_poll, companies, item_count
"""


def feed_from_row(row: sqlite3.Row) -> Feed:
    """A ``feeds`` row (selected with ``FEED_COLUMNS``) as a Feed."""
    return Feed(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        guild_id=row["guild_id"],
        trusted=bool(row["trusted"]),
        enabled=bool(row["enabled"]),
        created_at=from_db_time(row["created_at"]),
        status=FeedStatus(row["status"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_polled=from_db_time_or_none(row["last_polled"]),
        last_success=from_db_time_or_none(row["last_success"]),
        last_error=row["last_error"],
        error_count=row["error_count"],
        next_due=from_db_time_or_none(row["next_due"]),
        disabled_reason=row["disabled_reason"],
        max_items_per_poll=row["max_items_per_poll"],
        companies=from_json_list(row["companies"]),
        item_count=row["item_count"],
    )


class SqliteFeedRepository:
    """Stored feeds and their polling state (implements ``bot.news.ports.FeedRepository``).

    ``Feed.item_count`` comes from a counter column that triggers on ``items`` keep exact, so
    listing feeds never counts a million rows.
    """

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    async def add(self, feed: NewFeed, now: datetime) -> Feed:
        """Store a new feed; raises DuplicateFeed if its URL is already stored in that scope."""
        try:
            async with self._db.transaction() as db:
                row = await fetch_one(
                    db,
                    f"""
                    INSERT INTO feeds (url, name, guild_id, trusted, enabled, created_at,
                                       max_items_per_poll, companies)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    RETURNING {FEED_COLUMNS}
                    """,
                    (
                        feed.url,
                        feed.name,
                        feed.guild_id,
                        int(feed.trusted),
                        int(feed.enabled),
                        to_db_time(now),
                        feed.max_items_per_poll,
                        to_json_list(feed.companies),
                    ),
                )
        except sqlite3.IntegrityError as exc:
            if exc.sqlite_errorname != "SQLITE_CONSTRAINT_UNIQUE":
                raise
            scope = "the shared catalogue" if feed.guild_id is None else "this server's feeds"
            raise DuplicateFeed(f"{feed.url} is already in {scope}.") from exc
        assert row is not None  # INSERT ... RETURNING always returns the row
        return feed_from_row(row)

    async def get(self, feed_id: int) -> Feed | None:
        """The feed with this id, or None."""
        row = await self._db.read_one(f"SELECT {FEED_COLUMNS} FROM feeds WHERE id = ?", (feed_id,))
        return None if row is None else feed_from_row(row)

    async def by_url(self, url: str, guild_id: int | None) -> Feed | None:
        """The feed with exactly this URL in one scope (the catalogue when ``guild_id`` is None)."""
        # Written exactly like the unique index expression, so the index answers it.
        row = await self._db.read_one(
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE coalesce(guild_id, 0) = ? AND url = ?",
            (guild_id or 0, url),
        )
        return None if row is None else feed_from_row(row)

    async def list_feeds(
        self, guild_id: int | None = None, *, all_guilds: bool = False
    ) -> list[Feed]:
        """Shared feeds plus ``guild_id``'s own (or every feed when ``all_guilds``).

        Shared feeds come first, then each guild's; by name within a scope.
        """
        where = "1" if all_guilds else "(guild_id IS NULL OR guild_id = ?)"
        parameters = () if all_guilds else (guild_id,)
        rows = await self._db.read(
            f"""
            SELECT {FEED_COLUMNS} FROM feeds WHERE {where}
            ORDER BY guild_id IS NOT NULL, guild_id, name COLLATE NOCASE, id
            """,
            parameters,
        )
        return [feed_from_row(row) for row in rows]

    async def due(
        self, now: datetime, limit: int | None = None, skip: Iterable[int] = ()
    ) -> list[Feed]:
        """Enabled feeds whose next poll time has come: never-scheduled first, then most overdue
        (the first ``limit``, when given), without the ids in ``skip``."""
        rows = await self._db.read(
            f"""
            SELECT {FEED_COLUMNS} FROM feeds
            WHERE enabled = 1 AND (next_due IS NULL OR next_due <= ?)
              AND id NOT IN (SELECT value FROM json_each(?))
            ORDER BY next_due NULLS FIRST, id
            LIMIT ?
            """,
            # SQLite: -1 is no limit.
            (to_db_time(now), json.dumps(list(skip)), -1 if limit is None else limit),
        )
        return [feed_from_row(row) for row in rows]

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[Feed]:
        """Due feeds leased to ``owner`` (see ``storage.leases``)."""
        from storage import leases  # imports this module's row reader

        return await leases.claim_due(self._db, now, owner, lease, limit)

    async def release_leases(self, owner: str) -> None:
        """Free every feed ``owner`` holds a lease on."""
        from storage import leases

        await leases.release(self._db, owner)

    async def set_enabled(self, feed_id: int, enabled: bool, reason: str | None = None) -> Feed:
        """Enable or disable a feed; raises FeedNotFound.

        Disabling records ``reason`` and the ``disabled`` status. Enabling clears the reason and
        the error count and makes the feed due at once, so an operator sees the result of the
        next poll straight away.
        """
        if enabled:
            sql = f"""
                UPDATE feeds SET enabled = 1, disabled_reason = NULL, error_count = 0,
                    notice_owed = 0,
                    next_due = NULL,
                    status = CASE WHEN status = 'disabled' THEN 'new' ELSE status END
                WHERE id = ? RETURNING {FEED_COLUMNS}
            """
            parameters: tuple[object, ...] = (feed_id,)
        else:
            sql = f"""
                UPDATE feeds SET enabled = 0, disabled_reason = ?, status = 'disabled'
                WHERE id = ? RETURNING {FEED_COLUMNS}
            """
            parameters = (reason, feed_id)
        async with self._db.transaction() as db:
            row = await fetch_one(db, sql, parameters)
        if row is None:
            raise FeedNotFound(f"There is no feed with id {feed_id}.")
        return feed_from_row(row)

    async def notices_owed(self, shards: Shards = ALL_SHARDS) -> list[Feed]:
        """Servers' own feeds that polling disabled and whose server was not told yet, of
        guilds on ``shards``, oldest feed first."""
        served, parameters = on_shards(shards, "guild_id")
        rows = await self._db.read(
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE notice_owed = 1 AND {served} ORDER BY id",
            parameters,
        )
        return [feed_from_row(row) for row in rows]

    async def notice_given(self, feed_id: int) -> None:
        """The server was told that its feed was disabled (or nobody is there to read it)."""
        async with self._db.transaction() as db:
            await db.execute("UPDATE feeds SET notice_owed = 0 WHERE id = ?", (feed_id,))

    async def remove(self, feed_id: int) -> None:
        """Delete a feed and every item it brought (the schema cascades); raises FeedNotFound."""
        async with self._db.transaction() as db:
            cursor = await db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
            deleted = cursor.rowcount
            await cursor.close()
        if deleted == 0:
            raise FeedNotFound(f"There is no feed with id {feed_id}.")

    async def body_hash(self, feed_id: int) -> str | None:
        """The fingerprint of the feed's last document parsed successfully, if any."""
        row = await self._db.read_one(
            "SELECT body_hash FROM feed_documents WHERE feed_id = ?", (feed_id,)
        )
        return None if row is None else str(row[0])

    async def count(self) -> int:
        """How many feeds are stored (enabled or not, every scope)."""
        row = await self._db.read_one("SELECT count(*) FROM feeds")
        assert row is not None
        return int(row[0])
