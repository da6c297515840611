"""Stored items' search vectors made again after the tokenizer changed (migrations 13, 14).

Each item's ``search`` holds its words as SQLite's tokenizer read them when the item was
written (``storage/postgres/search.py``); SQL cannot run that tokenizer, so migration 13 only
records that old rows are owed a rewrite (``meta`` row ``PENDING_KEY``: every item up to that
id is done), and ``retokenize`` does it right after migrating, in Python.

Once per database: under the migration lock, held for the session of one connection (another
process starting meanwhile waits, as for a migration, then finds the row gone), in windows of
ids, each committed with its progress. A process stopped in the middle leaves every committed
window done, and the next start goes on from the last; the row is deleted with the last
window. Windows of ids, not "the next N matching rows": each reads only its own rows (the
primary key), so the rewrite reads the table once whatever plan a filter would get. Only
items holding one of the new token characters (``search_tokenizer.INDIC_MARK_RANGES``) or of
the characters folded since migration 14 (``FOLDED_LETTERS``, ``DROPPED_MARKS``) can read
otherwise, so only those are tokenized, and only vectors that change are written. A row
is written only if its title and summary are still the ones read (a poll that changed it
meanwhile wrote it with the new tokenizer), and it keeps its hidden lexemes (feed, companies,
topics, month: all start with ``#``) as they are at that moment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from storage.postgres.migrations import MIGRATION_LOCK
from storage.postgres.pool import Connection, Pool, affected
from storage.postgres.search import Document, vectors
from storage.search_tokenizer import DROPPED_MARKS, FOLDED_LETTERS, INDIC_MARK_RANGES

log = logging.getLogger(__name__)

PENDING_KEY = "search_retokenize_after"
"""The ``meta`` row of a rewrite under way: the id every item up to which is done."""

WINDOW = 5000
"""Ids per window: the items read, tokenized and written per transaction at most."""

MARKS_PATTERN = (
    "["
    + "".join(f"{chr(a)}-{chr(b)}" for a, b in INDIC_MARK_RANGES)
    + "".join(letter for letter, _ in FOLDED_LETTERS)
    + DROPPED_MARKS
    + "]"
)
"""A PostgreSQL regular expression that finds a character either rewrite reads otherwise: a
new token character (migration 13) or one folded before tokenizing (migration 14)."""

_PENDING = "SELECT value FROM meta WHERE key = $1"

_LAST = "SELECT max(id) FROM items"

_WINDOW = """
SELECT id, title, summary FROM items
WHERE id > $1 AND id <= $2 AND (title ~ $3 OR summary ~ $3)
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


async def retokenize(pool: Pool, *, window: int = WINDOW, tokenizer: Tokenizer = vectors) -> int:
    """Finish a rewrite that a migration left owed, if any; returns how many rows it wrote.

    ``tokenizer`` makes the vectors (tests stop it in the middle). Raises what the database
    raises; whatever was committed stays done.
    """
    if await pool.fetchval(_PENDING, PENDING_KEY) is None:
        return 0  # every start but the first after the upgrade: one read, no lock
    written = 0
    async with pool.acquire() as connection:
        # Session-level, unlike migrate's: held across the windows' transactions. A session
        # that ends (a killed process) frees it; the pool's reset would too.
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            while (done := await _window(connection, window, tokenizer)) is not None:
                written += done
        finally:
            if not connection.is_closed():
                await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    if written:
        log.info("search re-tokenized: %d items rewritten", written)
    return written


async def _window(connection: Connection, window: int, tokenizer: Tokenizer) -> int | None:
    """One window of ids in one transaction: rows written, or None when nothing is owed."""
    after = await connection.fetchval(_PENDING, PENDING_KEY)
    if after is None:
        return None  # finished by another process while this one waited for the lock
    # Items added after this are written with the new tokenizer already.
    last = await connection.fetchval(_LAST) or 0
    until = int(after) + window
    rows = await connection.fetch(_WINDOW, int(after), until, MARKS_PATTERN)
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
        if until >= last:
            await connection.execute(_DONE, PENDING_KEY)
        else:
            await connection.execute(_PROGRESS, PENDING_KEY, str(until))
    return affected(status)
