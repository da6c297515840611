"""PostgreSQL's stored search vectors made again with the new tokenizer (migration 13).

Rows written before it hold Indic words as bare consonants; ``storage/postgres/retokenize.py``
rewrites them once, in windows of ids, under the migration lock. Needs SHOPWIRE_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg
import pytest

from bot.news.model.vocabulary import ItemDraft, SearchRequest, TaggedDraft
from bot.news.ports import Storage
from bot.news.rules.search_query import parse_query
from storage.postgres import migrations, open_postgres
from storage.postgres import search as postgres_text
from storage.postgres.migrations import SCHEMA_VERSION, current_version, migrate
from storage.postgres.retokenize import PENDING_KEY, retokenize
from storage.postgres.search import Document, vectors
from storage.postgres.storage import PostgresStorage
from tests.storage.conftest import T0, add_feed, draft, fresh_postgres_url, poll, tagged

OLD_TOKENIZE = "porter unicode61 remove_diacritics 2"

NEWS: list[TaggedDraft | ItemDraft] = [
    tagged(draft("upi", "यूपीआई सेवा ठप", "फोनपे और पेटीएम से भुगतान नहीं"), "paytm"),
    tagged(draft("besides", "इसके सिवा कोई रास्ता नहीं"), "amazon"),
    draft("seller", "ফ্লিপকার্ট বিক্রেতা সম্মেলন"),
    draft("night", "বাকি রাতে বৃষ্টি"),
    draft("tamil", "அமேசான் இந்தியாவில் புதிய சேவை"),
    draft("tuesday", "செவ்வாய் கிழமை விற்பனை"),
    tagged(draft("cafe", "Café owners sell online", "Crème brûlée ships."), "amazon"),
]


async def keys(db: Storage, text: str, **filters: object) -> set[str]:
    request = SearchRequest(text=text, all_guilds=True, limit=100, **filters)  # type: ignore[arg-type]
    page = await db.items.search(request, parse_query(text))
    return {item.key for item in page.items}


@asynccontextmanager
async def version_12(url: str) -> AsyncIterator[PostgresStorage]:
    """The database as the release before migration 13 left it: its schema and its vectors."""
    with pytest.MonkeyPatch.context() as old:
        old.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:12])
        old.setattr(postgres_text, "TOKENIZE", OLD_TOKENIZE)
        storage = await open_postgres(url)
        try:
            yield storage
        finally:
            await storage.close()


async def _old_database(url: str, extra: Sequence[str] = ()) -> None:
    async with version_12(url) as old:
        feed = await add_feed(old, "Desi")
        bulk = [draft(f"bulk{n:02d}", f"पार्सल {n} सेवा", "नई सेवा") for n in range(len(extra))]
        await old.items.apply(poll(feed, [*NEWS, *bulk]))
        # What users met before: bare consonants found look-alikes.
        assert {"upi", "besides"} <= await keys(old, "सेवा")
        assert await keys(old, "বিক্রেতা") == {"seller", "night"}
        assert await current_version(old.pool) == 12


async def _pending(storage: PostgresStorage) -> str | None:
    value = await storage.pool.fetchval("SELECT value FROM meta WHERE key = $1", PENDING_KEY)
    return None if value is None else str(value)


async def _assert_whole_words(db: PostgresStorage) -> None:
    assert await keys(db, "सेवा") >= {"upi"}
    assert "besides" not in await keys(db, "सेवा")
    assert await keys(db, "सिवा") == {"besides"}
    assert await keys(db, "বিক্রেতা") == {"seller"}
    assert await keys(db, "சேவை") == {"tamil"}
    assert await keys(db, "cafe creme") == {"cafe"}


async def test_old_rows_are_rewritten_once_keeping_their_filters() -> None:
    async with fresh_postgres_url() as url:
        await _old_database(url)
        storage = await open_postgres(url)
        try:
            assert await current_version(storage.pool) == SCHEMA_VERSION
            assert await _pending(storage) is None
            await _assert_whole_words(storage)
            # Hidden lexemes kept: company, feed and month filters.
            assert await keys(storage, "सेवा OR सिवा", company="paytm") == {"upi"}
            assert await keys(storage, "सिवा OR cafe", company="amazon") == {"besides", "cafe"}
            assert await keys(storage, "சேவை", feed_id=1) == {"tamil"}
            assert await keys(storage, "சேவை", since=T0, until=T0.replace(day=2)) == {"tamil"}
            # Every row now holds what a fresh write would.
            rows = await storage.pool.fetch("SELECT title, summary, search FROM items")
            fresh = vectors([Document(r["title"], r["summary"]) for r in rows])
            for row, literal in zip(rows, fresh, strict=True):
                text = {e.split(":")[0] for e in row["search"].split() if "#" not in e}
                assert text == {e.split(":")[0] for e in literal.split()}, row["title"]
            # Idempotent: nothing owed; owed again, nothing changes.
            assert await retokenize(storage.pool) == 0
            await storage.pool.execute("INSERT INTO meta VALUES ($1, '0')", PENDING_KEY)
            assert await retokenize(storage.pool) == 0
            assert await _pending(storage) is None
        finally:
            await storage.close()


async def test_a_rewrite_stopped_in_the_middle_is_finished_by_the_next_start() -> None:
    async with fresh_postgres_url() as url:
        await _old_database(url, extra=[""] * 23)
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        try:
            await migrate(pool)
            calls = 0

            def stops_on_the_third_window(documents: Sequence[Document]) -> list[str]:
                nonlocal calls
                calls += 1
                if calls == 3:
                    raise RuntimeError("killed")
                return vectors(documents)

            with pytest.raises(RuntimeError, match="killed"):
                await retokenize(pool, window=5, tokenizer=stops_on_the_third_window)
            done = int(await pool.fetchval("SELECT value FROM meta WHERE key = $1", PENDING_KEY))
            tenth = await pool.fetchval("SELECT id FROM items ORDER BY id OFFSET 9 LIMIT 1")
            assert done == tenth  # two windows of five ids committed, the third rolled back
            # 29 items hold Indic words (cafe holds none: never read), 10 of them done.
            assert await retokenize(pool, window=5) == 29 - 10
            assert await pool.fetchval("SELECT count(*) FROM meta WHERE key = $1", PENDING_KEY) == 0
        finally:
            await pool.close()
        storage = await open_postgres(url)
        try:
            await _assert_whole_words(storage)
            assert len(await keys(storage, "पार्सल")) == 23
        finally:
            await storage.close()


async def test_processes_starting_together_rewrite_the_rows_once() -> None:
    async with fresh_postgres_url() as url:
        await _old_database(url, extra=[""] * 10)
        pools = [await asyncpg.create_pool(url, min_size=1, max_size=2) for _ in range(3)]

        async def start(pool: asyncpg.Pool[asyncpg.Record]) -> int:
            await migrate(pool)
            return await retokenize(pool, window=4)

        try:
            written = await asyncio.wait_for(asyncio.gather(*map(start, pools)), 60)
        finally:
            for pool in pools:
                await pool.close()
        assert sorted(written) == [0, 0, 16]  # six Indic items and ten more; one process wrote


async def test_an_item_changed_during_the_rewrite_keeps_its_new_words() -> None:
    async with fresh_postgres_url() as url:
        await _old_database(url)
        storage = await open_postgres(url)  # migrates and rewrites: owe it again, then race it
        try:
            await storage.pool.execute("INSERT INTO meta VALUES ($1, '0')", PENDING_KEY)
            loop = asyncio.get_running_loop()

            def poll_meanwhile(documents: Sequence[Document]) -> list[str]:
                old_vectors = [v.replace("सिवा", "सिव") for v in vectors(documents)]
                changed = poll(1, changed=[draft("besides", "अमेज़न की नई सेवा")], at=T0)
                asyncio.run_coroutine_threadsafe(storage.items.apply(changed), loop).result(30)
                return old_vectors

            await retokenize(storage.pool, tokenizer=poll_meanwhile)
            # The row read before the change was not overwritten with its old title's words.
            assert "besides" in await keys(storage, "अमेज़न")
            assert await keys(storage, "सिवा") == set()
            assert await keys(storage, "सिव") == set()
        finally:
            await storage.close()
