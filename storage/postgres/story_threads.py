"""PostgreSQL implementation of the StoryThreadRepository port (see ``storage/story_threads.py``,
the SQLite one): the thread each story has in a subscription's forum or channel.

A forum post's row is written before Discord is asked to create the post, with the title it
gets, so that after a crash between "created" and "recorded" delivery finds the post instead of
creating a second one.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from bot.news.model.vocabulary import OutboxEntry, StoryThread, utc
from storage.postgres.outbox import MARK_SENT
from storage.postgres.pool import Pool, read, read_one, transaction

_COLUMNS = "id, subscription_id, story_id, outbox_id, title, thread_id, message_id, created_at"


class PostgresStoryThreadRepository:
    """Story threads per subscription (implements ``bot.news.ports.StoryThreadRepository``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def for_story(self, subscription_id: int, story_id: int) -> StoryThread | None:
        """The first posted thread row of the story, or of a story merged into it (a merge
        moves items, not threads: the older thread keeps the story's later reports)."""
        row = await read_one(
            self._pool,
            f"""
            SELECT {_COLUMNS} FROM story_threads
            WHERE subscription_id = $1
              AND (story_id = $2
                   OR story_id IN (SELECT story_id FROM story_merges WHERE into_id = $2))
              AND (thread_id IS NOT NULL OR message_id IS NOT NULL)
            ORDER BY id LIMIT 1
            """,
            subscription_id,
            story_id,
        )
        return None if row is None else _thread_from_row(row)

    async def for_entry(self, outbox_id: int) -> StoryThread | None:
        """The row written for this post as its story's first, if any."""
        row = await read_one(
            self._pool, f"SELECT {_COLUMNS} FROM story_threads WHERE outbox_id = $1", outbox_id
        )
        return None if row is None else _thread_from_row(row)

    async def start(
        self, entry: OutboxEntry, story_id: int | None, title: str, now: datetime
    ) -> StoryThread:
        """Write the row of the story ``entry`` opens, before anything is posted (the row
        already written for it, if any, is returned as it is)."""
        async with transaction(self._pool) as connection:
            row = await connection.fetchrow(
                f"""
                INSERT INTO story_threads (subscription_id, story_id, outbox_id, title, created_at)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (outbox_id) DO UPDATE SET title = story_threads.title
                RETURNING {_COLUMNS}
                """,
                entry.subscription_id,
                story_id,
                entry.id,
                title,
                utc(now),
            )
        assert row is not None  # INSERT ... RETURNING always returns the row
        return _thread_from_row(row)

    async def record_first(
        self,
        story_thread_id: int,
        entry_id: int,
        message_id: int,
        thread_id: int | None,
        now: datetime,
    ) -> None:
        """The story's first message (and forum post) and its post sent, together: a crash
        leaves either both or neither."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE story_threads SET message_id = $1, thread_id = $2 WHERE id = $3",
                message_id,
                thread_id,
                story_thread_id,
            )
            await connection.execute(MARK_SENT, utc(now), message_id, thread_id, entry_id)

    async def record_thread(self, story_thread_id: int, thread_id: int) -> None:
        """The thread opened on the story's first message."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE story_threads SET thread_id = $1 WHERE id = $2",
                thread_id,
                story_thread_id,
            )

    async def retitle(self, story_thread_id: int, title: str) -> None:
        """The title a thread not opened yet will take (its first item was corrected)."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE story_threads SET title = $1 WHERE id = $2", title, story_thread_id
            )

    async def forget(self, story_thread_id: int) -> None:
        """Drop a row whose message was deleted in Discord."""
        async with transaction(self._pool) as connection:
            await connection.execute("DELETE FROM story_threads WHERE id = $1", story_thread_id)

    async def thread_ids(self, subscription_id: int) -> set[int]:
        """Threads already recorded for the subscription (never another story's post)."""
        rows = await read(
            self._pool,
            "SELECT thread_id FROM story_threads"
            " WHERE subscription_id = $1 AND thread_id IS NOT NULL",
            subscription_id,
        )
        return {int(row[0]) for row in rows}


def _thread_from_row(row: asyncpg.Record) -> StoryThread:
    return StoryThread(
        id=row["id"],
        subscription_id=row["subscription_id"],
        story_id=row["story_id"],
        outbox_id=row["outbox_id"],
        title=row["title"],
        created_at=row["created_at"],
        thread_id=row["thread_id"],
        message_id=row["message_id"],
    )
