"""A poll's new items inserted with a few multi-row statements instead of one statement per item.

Why: inserting a poll's items one statement per item cost more than half of the writer
thread's CPU in a cold poll of 200 feeds x 50 items (benchmarks/ingest.py), nearly all of it in
the search index: the same rows cost a third as much with the index trigger dropped, or with
the same index rows inserted by statements of their own. The likely cause: ``items`` has
triggers, so each such statement runs in a statement savepoint, and SQLite 3.40's FTS5 writes
its pending data to disk at each savepoint, one tiny segment per item, which it then keeps
merging. One statement for up to ``ROWS_PER_STATEMENT`` items costs one segment for all of
them. The rows, their ids (VALUES order is insertion order) and the index are as before.

Each row's parameters are numbered (``?1``..``?14`` for the first row, and so on), so that a
row can name its published time twice (the column and its month tag) without named parameters,
which a multi-row statement cannot repeat per row.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["ROWS_PER_STATEMENT", "TAG_MARK_CODE", "insert_statements", "month_tag_sql"]

TAG_MARK_CODE = 0xE000
"""The code point of ``items.TAG_MARK``, which starts every hidden tag token of the index."""

ROWS_PER_STATEMENT = 64
"""Rows per statement: 64 x 14 parameters stays under 999, the lowest limit a SQLite build may
have (SQLITE_MAX_VARIABLE_NUMBER before 3.32)."""

COLUMNS = (
    "feed_id",
    "key",
    "title",
    "link",
    "source",
    "author",
    "published",
    "summary",
    "image_url",
    "categories",
    "content_hash",
    "polled_at",
    "backlog",
    "tags",
)
"""The keys of ``items._item_parameters`` in the order each row's parameters are bound."""

_PUBLISHED = COLUMNS.index("published")
_POLLED_AT = COLUMNS.index("polled_at")


def month_tag_sql(published: str) -> str:
    """SQL for the month tag of a published time (unix microseconds, UTC)."""
    # Integer division truncates toward zero: exact for dates after 1970 (the parser refuses
    # older ones). coalesce: strftime gives NULL outside years 0000-9999; tags are NOT NULL.
    return (
        f"coalesce(char({TAG_MARK_CODE}) || strftime('m%Y%m', {published} / 1000000, 'unixepoch'),"
        " '')"
    )


# An item decided "new" from a stale snapshot may already exist: it is then updated like a
# changed item (first_seen and backlog kept) rather than failing the transaction.
_UPSERT = """
ON CONFLICT (feed_id, key) DO UPDATE SET
    title = excluded.title, link = excluded.link, source = excluded.source,
    author = excluded.author, published = excluded.published, summary = excluded.summary,
    image_url = excluded.image_url, categories = excluded.categories,
    content_hash = excluded.content_hash, tags = excluded.tags,
    updated_at = excluded.updated_at
WHERE items.content_hash IS NOT excluded.content_hash OR items.tags IS NOT excluded.tags
"""


def _row_values(first: int) -> str:
    """One row's VALUES tuple, its parameters numbered from ``first``."""
    p = [f"?{first + offset}" for offset in range(len(COLUMNS))]
    # first_seen and updated_at are both the poll's time; tags end with the month tag.
    polled_at = p[_POLLED_AT]
    values = [*p[:_POLLED_AT], polled_at, polled_at, *p[_POLLED_AT + 1 : -1]]
    values.append(f"{p[-1]} || ' ' || {month_tag_sql(p[_PUBLISHED])}")
    return "(" + ", ".join(values) + ")"


@functools.cache
def insert_sql(rows: int) -> str:
    """The statement inserting ``rows`` items (built once per row count)."""
    tuples = ",\n".join(_row_values(1 + row * len(COLUMNS)) for row in range(rows))
    return (
        "INSERT INTO items (\n"
        "    feed_id, key, title, link, source, author, published, summary, image_url,"
        " categories,\n"
        "    content_hash, first_seen, updated_at, backlog, tags\n"
        f") VALUES\n{tuples}{_UPSERT}"
    )


def insert_statements(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Any]]]:
    """(SQL, parameters) for inserting ``rows`` (``items._item_parameters``), in their order,
    at most ``ROWS_PER_STATEMENT`` to a statement."""
    statements = []
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        parameters = [row[column] for row in chunk for column in COLUMNS]
        statements.append((insert_sql(len(chunk)), parameters))
    return statements
