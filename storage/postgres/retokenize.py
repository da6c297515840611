"""Stored items' search vectors made again after the tokenizer changed (migration 13).

Each item's ``search`` holds its words as SQLite's tokenizer read them when the item was
written (``storage/postgres/search.py``); SQL cannot run that tokenizer, so migration 13 only
records that old rows are owed a rewrite (``meta`` row ``PENDING_KEY``: every item up to that
id is done), and ``retokenize`` does it right after migrating, in Python.

Once per database: under the migration lock, held for the session of one connection (another
process starting meanwhile waits, as for a migration, then finds the row gone), in batches in
id order, each batch committed with its progress. A process stopped in the middle leaves every
committed batch done, and the next start goes on from the last; the row is deleted with the
last batch. Only items holding one of the tokenizer's new token characters can read otherwise
(``search_tokenizer.INDIC_MARK_RANGES``), so only those are read, and only vectors that change
are written. A row is written only if its title and summary are still the ones read (a poll
that changed it meanwhile wrote it with the new tokenizer), and it keeps its hidden lexemes
(feed, companies, topics, month: all start with ``#``) as they are at that moment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from storage.postgres.migrations import MIGRATION_LOCK
from storage.postgres.pool import Connection, Pool, affected
from storage.postgres.search import Document, vectors
from storage.search_tokenizer import INDIC_MARK_RANGES

log = logging.getLogger(__name__)

PENDING_KEY = "search_retokenize_after"
"""The ``meta`` row of a rewrite under way: the id every item up to which is done."""

BATCH = 500
"""Items read, tokenized and written per transaction."""

MARKS_PATTERN = "[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in INDIC_MARK_RANGES) + "]"
"""A PostgreSQL regular expression that finds one of the new token characters."""

_PENDING = "SELECT value FROM meta WHERE key = $1"

_NEXT = """
SELECT id, title, summary FROM items
WHERE id > $1 AND (title ~ $2 OR summary ~ $2)
ORDER BY id LIMIT $3
"""

_HIDDEN = (
    "array_to_tsvector(ARRAY("
    "SELECT s.lexeme FROM unnest(i.search) AS s WHERE left(s.lexeme, 1) = '#'))"
)

_REWRITE = f"""
UPDATE items AS i SET search = u.words::tsvector || {_HIDDEN}
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u (id, title, summary, words)
WHERE i.id = u.id AND i.title = u.title AND i.summary = u.summary
  AND i.search IS DISTINCT FROM u.words::tsvector || {_HIDDEN}
"""

_PROGRESS = "UPDATE meta SET value = $2 WHERE key = $1"
_DONE = "DELETE FROM meta WHERE key = $1"

Tokenizer = Callable[[Sequence[Document]], list[str]]


async def retokenize(pool: Pool, *, batch: int = BATCH, tokenizer: Tokenizer = vectors) -> int:
    """Finish a rewrite that a migration left owed, if any; returns how many rows it wrote.

    ``tokenizer`` makes the vectors (tests stop it in the middle). Raises what the database
    raises; whatever was committed stays done.
    """
    if await pool.fetchval(_PENDING, PENDING_KEY) is None:
        return 0  # every start but the first after the upgrade: one read, no lock
    written = 0
    async with pool.acquire() as connection:
        # Session-level, unlike migrate's: held across the batches' transactions. A session
        # that ends (a killed process) frees it; the pool's reset would too.
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            while (done := await _batch(connection, batch, tokenizer)) is not None:
                written += done
        finally:
            if not connection.is_closed():
                await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    if written:
        log.info("search re-tokenized: %d items rewritten", written)
    return written


async def _batch(connection: Connection, batch: int, tokenizer: Tokenizer) -> int | None:
    """One batch in one transaction: rows written, or None when nothing is owed any more."""
    after = await connection.fetchval(_PENDING, PENDING_KEY)
    if after is None:
        return None  # finished by another process while this one waited for the lock
    rows = await connection.fetch(_NEXT, int(after), MARKS_PATTERN, batch)
    documents = [Document(row["title"], row["summary"]) for row in rows]
    words = await asyncio.to_thread(tokenizer, documents) if documents else []
    async with connection.transaction():
        status = await connection.execute(
            _REWRITE,
            [row["id"] for row in rows],
            [d.title for d in documents],
            [d.summary for d in documents],
            words,
        )
        if len(rows) < batch:
            await connection.execute(_DONE, PENDING_KEY)
        else:
            await connection.execute(_PROGRESS, PENDING_KEY, str(rows[-1]["id"]))
    return affected(status)
