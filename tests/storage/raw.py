"""Raw statements on either backend, for tests that check what was stored below the ports.

SQL is written once with ``?`` placeholders (SQLite's); PostgreSQL gets ``$1, $2 ...``.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from typing import Any

import asyncpg

from bot.news.ports import Storage
from storage import Database
from storage._sql import to_db_time
from storage.postgres import PostgresStorage

INTEGRITY_ERRORS = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)
"""What a constraint violation raises on SQLite and on PostgreSQL."""


async def raw_rows(storage: Storage, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
    """Every row of ``sql`` (committed at once when it writes), on the storage's own database."""
    if isinstance(storage, Database):
        with sqlite3.connect(storage.path) as raw:
            raw.execute("PRAGMA foreign_keys = ON")  # as the app's connections have it
            return [tuple(row) for row in raw.execute(sql, parameters)]
    assert isinstance(storage, PostgresStorage), type(storage)
    numbers = iter(range(1, len(parameters) + 1))
    rows = await storage.pool.fetch(re.sub(r"\?", lambda _: f"${next(numbers)}", sql), *parameters)
    return [tuple(row) for row in rows]


def stored_time(storage: Storage, moment: datetime) -> object:
    """``moment`` as a raw row holds it: unix microseconds on SQLite, itself on PostgreSQL."""
    return to_db_time(moment) if isinstance(storage, Database) else moment
