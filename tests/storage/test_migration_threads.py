"""Migration 11: subscription layouts and publishing, outbox edits and crossposts, story threads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import Database
from storage._sql import to_db_time
from tests.storage.conftest import T0, database_at


def _raw(path: Path) -> sqlite3.Connection:
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys = ON")
    return raw


async def test_a_version_10_database_gains_layouts_publishing_edits_and_story_threads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shopwire.db"
    async with database_at(path, 10):
        pass
    with _raw(path) as raw:
        subscription = raw.execute(
            "INSERT INTO subscriptions (guild_id, channel_id, companies, keywords, exclude, mode,"
            " post_hour, created_at) VALUES (111, 1001, '[]', '[]', '[]', 'realtime', 9, ?)"
            " RETURNING id",
            (to_db_time(T0),),
        ).fetchone()[0]
    async with await Database.open(path):
        pass
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] >= 11
        # An existing subscription keeps posting plain messages and publishes nothing.
        assert raw.execute(
            "SELECT layout, publish FROM subscriptions WHERE id = ?", (subscription,)
        ).fetchall() == [("message", 0)]
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute("UPDATE subscriptions SET layout = 'gallery' WHERE id = ?", (subscription,))
        columns = {row[1] for row in raw.execute("PRAGMA table_info(outbox)")}
        assert {"thread_id", "edit_state", "edit_after", "publish_state", "publish_after"} <= (
            columns
        )
        with pytest.raises(sqlite3.IntegrityError):  # a thread row belongs to a queued post
            raw.execute(
                "INSERT INTO story_threads (subscription_id, story_id, outbox_id, title,"
                " created_at) VALUES (?, 1, 999, 'x', 0)",
                (subscription,),
            )
