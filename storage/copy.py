"""``shopwire db copy``: a SQLite database copied, whole, into an empty PostgreSQL database.

Everything is copied with its ids (feeds, items with their tags, story ids and stored features,
stories and merges, subscriptions, the outbox with each row's state, digests, guild settings,
meta, feed documents), so the delivery log still says what was posted: nothing is posted twice
afterwards, and every nonce (a hash of ids) is the one already sent. Ids are never reused
either: each identity sequence continues after the highest id SQLite ever gave out
(``sqlite_sequence``), not just the highest one left.

Which tables and columns are copied is read from the two schemas, not listed here: every table
of the PostgreSQL schema that SQLite also has, parents before children (foreign keys), with
the columns both have. Values are converted by the PostgreSQL column's type (unix microseconds
to timestamptz, 0/1 to boolean, JSON lists to arrays); ``items.search`` is made from each
item's text and tags as ``apply`` makes it. The copy is one transaction: a copy that fails
leaves the target as empty as it found it.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from bot.news.model.errors import StorageError
from storage._sql import from_db_time
from storage.db import Database
from storage.postgres.connect import open_postgres
from storage.postgres.pool import Connection, transaction
from storage.postgres.search import (
    Document,
    company_tag,
    feed_tag,
    month_tag,
    topic_tag,
    vectors,
)
from storage.url import PostgresLocation, SqliteLocation, parse_db_url

BATCH = 5000
"""Rows read from SQLite and written to PostgreSQL at a time."""

# PostgreSQL's own bookkeeping, written by migrate; the story clusterer's state, which the
# first story run after the copy rebuilds from story_features and saves again.
_SKIPPED = frozenset({"schema_version", "story_state"})

# Each feed's counter where it differs from its items (a feed without items counts 0).
_RECOUNT = """
UPDATE feeds SET item_count = counted.n
FROM (
    SELECT f.id, count(i.id) AS n FROM feeds AS f LEFT JOIN items AS i ON i.feed_id = f.id
    GROUP BY f.id
) AS counted
WHERE feeds.id = counted.id AND feeds.item_count <> counted.n
"""


@dataclass(frozen=True, slots=True)
class CopyReport:
    """How many rows each table received, in the order they were copied."""

    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    columns: tuple[str, ...]  # both schemas have them, PostgreSQL's order
    types: tuple[str, ...]  # PostgreSQL's data_type of each


async def copy_database(source: str, target: str) -> CopyReport:
    """Copy the SQLite database ``source`` (a path or ``sqlite:///`` URL) into the empty
    PostgreSQL database ``target`` (a ``postgresql://`` URL), creating its schema if needed.

    Raises StorageError (one line, never the password) when the source is missing or not
    SQLite, the target is not PostgreSQL or already holds data, or either cannot be opened.
    """
    path = _sqlite_path(source)
    url = _postgres_url(target)
    # The source in this Shopwire's schema first (what any command does when it opens it).
    await (await Database.open(path, read_connection=False)).close()
    reader = await asyncio.to_thread(_open_read_only, path)
    try:
        storage = await open_postgres(url)
        try:
            async with transaction(storage.pool) as connection:
                return await _copy(reader, connection)
        finally:
            await storage.close()
    finally:
        reader.close()


def _sqlite_path(source: str) -> str:
    location = parse_db_url(source)
    if not isinstance(location, SqliteLocation) or location.path == ":memory:":
        raise StorageError("--from must name a SQLite database: a file path or sqlite:///path.")
    if not Path(location.path).is_file():
        raise StorageError(f"there is no SQLite database at {location.path}.")
    return location.path


def _postgres_url(target: str) -> str:
    location = parse_db_url(target)
    if not isinstance(location, PostgresLocation):
        raise StorageError("--to must be a PostgreSQL URL: postgresql://user@host:port/database.")
    return location.url


def _open_read_only(path: str) -> sqlite3.Connection:
    uri = f"{Path(path).absolute().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    return connection


async def _copy(reader: sqlite3.Connection, connection: Connection) -> CopyReport:
    tables = await _tables(reader, connection)
    for table in tables:
        if await connection.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table.name}")'):
            raise StorageError(
                f"the target database already holds data (table {table.name}): copy into a new,"
                " empty database."
            )
    sequences = await asyncio.to_thread(_sqlite_sequences, reader)
    counts = []
    for table in tables:
        if table.name == "items":
            copied = await _copy_items(reader, connection, table)
        else:
            copied = 0
            for rows in _batches(reader, table):
                converted = await asyncio.to_thread(_converted, table, rows)
                await connection.copy_records_to_table(
                    table.name, records=converted, columns=list(table.columns)
                )
                copied += len(converted)
        counts.append((table.name, copied))
        await _continue_identity(connection, table.name, sequences.get(table.name, 0))
    # The counters came with the feeds; only one SQLite got wrong is written again.
    await connection.execute(_RECOUNT)
    # Statistics now, not when autovacuum comes round: without them the planner joins the
    # first searches' matches to feeds row by row (~50 times slower at 10k items).
    for table in tables:
        await connection.execute(f'ANALYZE "{table.name}"')
    return CopyReport(tuple(counts))


async def _tables(reader: sqlite3.Connection, connection: Connection) -> list[_Table]:
    """The tables to copy, parents first, with the columns both schemas have."""
    columns: dict[str, list[tuple[str, str]]] = {}
    for row in await connection.fetch(
        """
        SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position
        """
    ):
        columns.setdefault(row[0], []).append((row[1], row[2]))
    parents: dict[str, set[str]] = {name: set() for name in columns}
    for child, parent in await connection.fetch(
        """
        SELECT child.relname, parent.relname FROM pg_constraint AS k
        JOIN pg_class AS child ON child.oid = k.conrelid
        JOIN pg_class AS parent ON parent.oid = k.confrelid
        WHERE k.contype = 'f' AND child.relnamespace = current_schema()::regnamespace
        """
    ):
        if child != parent and child in parents:
            parents[child].add(parent)
    theirs = await asyncio.to_thread(_sqlite_columns, reader)
    order = TopologicalSorter({name: sorted(p) for name, p in sorted(parents.items())})
    tables = []
    for name in order.static_order():
        if name in _SKIPPED or name not in theirs:
            continue
        shared = [(c, t) for c, t in columns[name] if c in theirs[name]]
        tables.append(_Table(name, tuple(c for c, _ in shared), tuple(t for _, t in shared)))
    return tables


def _sqlite_columns(reader: sqlite3.Connection) -> dict[str, set[str]]:
    names = [
        row[0] for row in reader.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
    ]
    return {
        name: {row[1] for row in reader.execute("SELECT * FROM pragma_table_info(?)", (name,))}
        for name in names
    }


def _sqlite_sequences(reader: sqlite3.Connection) -> dict[str, int]:
    """The highest id each AUTOINCREMENT table ever gave out (deleted rows included)."""
    exists = reader.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_sequence'"
    ).fetchone()
    if not exists:
        return {}
    return {
        str(name): int(seq) for name, seq in reader.execute("SELECT name, seq FROM sqlite_sequence")
    }


def _batches(reader: sqlite3.Connection, table: _Table) -> Iterator[list[sqlite3.Row]]:
    columns = ", ".join(f'"{c}"' for c in table.columns)
    cursor = reader.execute(f'SELECT {columns} FROM "{table.name}"')
    while rows := cursor.fetchmany(BATCH):
        yield rows


def _converted(table: _Table, rows: Sequence[sqlite3.Row]) -> list[tuple[Any, ...]]:
    convert = [_converter(kind) for kind in table.types]
    return [tuple(f(value) for f, value in zip(convert, row, strict=True)) for row in rows]


def _converter(kind: str) -> Callable[[Any], Any]:
    """How a SQLite value becomes the value of a PostgreSQL column of type ``kind``."""
    if kind == "timestamp with time zone":
        return lambda value: None if value is None else from_db_time(value)
    if kind == "boolean":
        return lambda value: None if value is None else bool(value)
    if kind == "ARRAY":
        return lambda value: None if value is None else [str(v) for v in json.loads(value)]
    return lambda value: value


async def _copy_items(reader: sqlite3.Connection, connection: Connection, table: _Table) -> int:
    """Items, with their search vectors made as ``apply`` makes them (through a staging table:
    asyncpg's binary COPY has no tsvector encoder, so the vector goes as text and is cast)."""
    columns = [c for c in table.columns if c != "search"]
    types = tuple(t for c, t in zip(table.columns, table.types, strict=True) if c != "search")
    kept = _Table(table.name, tuple(columns), types)
    await connection.execute(
        "CREATE TEMPORARY TABLE copy_items ON COMMIT DROP AS"
        f" SELECT {', '.join(columns)}, search::text AS search FROM items WITH NO DATA"
    )
    # The count trigger would add each batch's items to the copied counters, writing every
    # feed row again per batch (a dead row version each time, and counts to redo after); it
    # skips them while this transaction says so (PostgreSQL migration 10).
    await connection.execute("SELECT set_config('shopwire.copying', 'on', true)")
    copied = 0
    cursor = reader.execute(
        f"SELECT {', '.join(f'i.{c}' for c in columns)} FROM items AS i ORDER BY i.id"
    )
    while rows := await asyncio.to_thread(cursor.fetchmany, BATCH):
        records = await asyncio.to_thread(_items_with_vectors, reader, kept, rows)
        await connection.execute("TRUNCATE copy_items")
        await connection.copy_records_to_table(
            "copy_items", records=records, columns=[*columns, "search"]
        )
        await connection.execute(
            f"INSERT INTO items ({', '.join(columns)}, search)"
            f" SELECT {', '.join(columns)}, search::tsvector FROM copy_items ORDER BY id"
        )
        copied += len(records)
    await connection.execute("SELECT set_config('shopwire.copying', 'off', true)")
    return copied


def _items_with_vectors(
    reader: sqlite3.Connection, table: _Table, rows: Sequence[sqlite3.Row]
) -> list[tuple[Any, ...]]:
    """The rows converted, each with its ``search`` literal last (blocking: SQLite work)."""
    low, high = rows[0]["id"], rows[-1]["id"]
    companies: dict[int, list[str]] = {}
    for item_id, company in reader.execute(
        "SELECT item_id, company_id FROM item_companies WHERE item_id BETWEEN ? AND ?",
        (low, high),
    ):
        companies.setdefault(item_id, []).append(company)
    topics: dict[int, list[str]] = {}
    for item_id, topic in reader.execute(
        "SELECT item_id, topic FROM item_topics WHERE item_id BETWEEN ? AND ?", (low, high)
    ):
        topics.setdefault(item_id, []).append(topic)
    documents = [
        Document(
            row["title"],
            row["summary"],
            (
                feed_tag(row["feed_id"]),
                *(company_tag(c) for c in companies.get(row["id"], ())),
                *(topic_tag(t) for t in topics.get(row["id"], ())),
                month_tag(from_db_time(row["published"])),
            ),
        )
        for row in rows
    ]
    return [
        (*converted, vector)
        for converted, vector in zip(_converted(table, rows), vectors(documents), strict=True)
    ]


async def _continue_identity(connection: Connection, table: str, ever: int) -> None:
    """Make a copied table's identity column continue after every id SQLite gave out."""
    for (column,) in await connection.fetch(
        """
        SELECT a.attname FROM pg_attribute AS a
        JOIN pg_class AS c ON c.oid = a.attrelid
        WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace
          AND a.attidentity <> ''
        """,
        table,
    ):
        highest = await connection.fetchval(f'SELECT coalesce(max("{column}"), 0) FROM "{table}"')
        last = max(int(highest), ever)
        if last > 0:
            await connection.execute(
                "SELECT setval(pg_get_serial_sequence($1, $2), $3)", table, column, last
            )
