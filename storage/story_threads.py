"""SQLite implementation of the StoryThreadRepository port: the thread each story has in a
subscription's forum (one post per story) or channel (a thread on the story's first message).

A forum post's row is written before Discord is asked to create the post, with the title it
gets: Discord has no nonce for thread creation, so after a crash between "created" and
"recorded" delivery looks for the bot's post of that title instead of creating a second one.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.news.model.vocabulary import OutboxEntry, StoryThread
from storage._sql import Connections, fetch_one, from_db_time, to_db_time
from storage.outbox import MARK_SENT

_COLUMNS = "id, subscription_id, story_id, outbox_id, title, thread_id, message_id, created_at"


class SqliteStoryThreadRepository:
    """Story threads per subscription (implements ``bot.news.ports.StoryThreadRepository``)."""

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    async def for_story(self, subscription_id: int, story_id: int) -> StoryThread | None:
        """The first posted thread row of the story, or of a story merged into it (a merge
        moves items, not threads: the older thread keeps the story's later reports)."""
        row = await self._db.read_one(
            f"""
            SELECT {_COLUMNS} FROM story_threads
            WHERE subscription_id = ?1
              AND (story_id = ?2
                   OR story_id IN (SELECT story_id FROM story_merges WHERE into_id = ?2))
              AND (thread_id IS NOT NULL OR message_id IS NOT NULL)
            ORDER BY id LIMIT 1
            """,
            (subscription_id, story_id),
        )
        return None if row is None else _thread_from_row(row)

    async def for_entry(self, outbox_id: int) -> StoryThread | None:
        """The row written for this post as its story's first, if any."""
        row = await self._db.read_one(
            f"SELECT {_COLUMNS} FROM story_threads WHERE outbox_id = ?", (outbox_id,)
        )
        return None if row is None else _thread_from_row(row)

    async def start(
        self, entry: OutboxEntry, story_id: int | None, title: str, now: datetime
    ) -> StoryThread:
        """Write the row of the story ``entry`` opens, before anything is posted."""
        async with self._db.transaction() as db:
            row = await fetch_one(
                db,
                f"""
                INSERT INTO story_threads (subscription_id, story_id, outbox_id, title, created_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (outbox_id) DO UPDATE SET title = title
                RETURNING {_COLUMNS}
                """,
                (entry.subscription_id, story_id, entry.id, title, to_db_time(now)),
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
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE story_threads SET message_id = ?, thread_id = ? WHERE id = ?",
                (message_id, thread_id, story_thread_id),
            )
            await db.execute(
                MARK_SENT,
                {
                    "sent_at": to_db_time(now),
                    "message_id": message_id,
                    "thread_id": thread_id,
                    "id": entry_id,
                },
            )

    async def record_thread(self, story_thread_id: int, thread_id: int) -> None:
        """The thread opened on the story's first message."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE story_threads SET thread_id = ? WHERE id = ?", (thread_id, story_thread_id)
            )

    async def retitle(self, story_thread_id: int, title: str) -> None:
        """The title a thread not opened yet will take (its first item was corrected)."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE story_threads SET title = ? WHERE id = ?", (title, story_thread_id)
            )

    async def forget(self, story_thread_id: int) -> None:
        """Drop a row whose message was deleted in Discord."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM story_threads WHERE id = ?", (story_thread_id,))

    async def thread_ids(self, subscription_id: int) -> set[int]:
        """Threads already recorded for the subscription (never another story's post)."""
        rows = await self._db.read(
            "SELECT thread_id FROM story_threads"
            " WHERE subscription_id = ? AND thread_id IS NOT NULL",
            (subscription_id,),
        )
        return {int(row[0]) for row in rows}


def _thread_from_row(row: sqlite3.Row) -> StoryThread:
    return StoryThread(
        id=row["id"],
        subscription_id=row["subscription_id"],
        story_id=row["story_id"],
        outbox_id=row["outbox_id"],
        title=row["title"],
        created_at=from_db_time(row["created_at"]),
        thread_id=row["thread_id"],
        message_id=row["message_id"],
    )
