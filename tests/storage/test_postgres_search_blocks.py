"""PostgreSQL's search by id block (storage/postgres/item_search.py, migration 11): the GIN
index holds each item's vector with its id block's lexeme, and a search that reads the index
within the newest ids names their blocks. Pages are the ones the whole table gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

import storage.postgres.item_search as postgres_search
from bot.news.model.vocabulary import SearchRequest
from bot.news.rules.search_query import parse_query
from storage.postgres import PostgresStorage, open_postgres
from storage.postgres.search import BLOCK_BITS, BLOCKED_SEARCH, blocked_search
from tests.storage.conftest import T0, add_feed, draft, fresh_postgres_url, poll, tagged


@pytest.fixture
async def storage() -> AsyncIterator[PostgresStorage]:
    async with fresh_postgres_url() as url:
        opened = await open_postgres(url)
        try:
            yield opened
        finally:
            await opened.close()


async def _keys(storage: PostgresStorage, text: str, **filters: object) -> list[str]:
    request = SearchRequest(text=text, **filters)  # type: ignore[arg-type]
    page = await storage.items.search(request, parse_query(text))
    return [item.key for item in page.items]


async def test_a_search_of_the_newest_blocks_reads_the_block_index(
    storage: PostgresStorage,
) -> None:
    # The expression searches use is the one migration 11 indexed: else every read of the
    # index would be a walk of the whole table.
    feed = await add_feed(storage)
    await storage.items.apply(poll(feed, [draft("a", "Temu tariffs")]))
    async with storage.pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL enable_seqscan = off")
        plan = await connection.fetch(
            f"EXPLAIN SELECT id FROM items AS i WHERE {BLOCKED_SEARCH} @@ $1::tsquery",
            "'temu' & '#b0'",
        )
        found = await connection.fetch(
            f"SELECT id FROM items AS i WHERE {BLOCKED_SEARCH} @@ $1::tsquery", "'temu' & '#b0'"
        )
    assert "items_search_blocks" in "\n".join(row[0] for row in plan)
    assert len(found) == 1


async def test_pages_across_id_blocks_are_the_ones_the_whole_table_gives(
    storage: PostgresStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ids from just below a block's end: the newest ranges are whole blocks, the widening
    # reaches the block below, then every id.
    monkeypatch.setattr(postgres_search, "SEARCH_WINDOW", 5)
    await storage.pool.execute(
        f"ALTER TABLE items ALTER COLUMN id RESTART WITH {(1 << BLOCK_BITS) - 40}"
    )
    feeds = [await add_feed(storage, f"Feed {n}") for n in range(3)]
    words = ["amazon tariffs", "temu parcels", "amazon parcels", "shein tariffs"]
    for n in range(60):
        item = draft(f"k{n:02}", f"{words[n % 4]} {n}", published=T0 - timedelta(hours=60 - n))
        company = "temu" if n % 5 else "etsy"
        await storage.items.apply(poll(feeds[n % 3], [tagged(item, company)]))
    requests: list[dict[str, object]] = [
        {"text": "amazon"},
        {"text": "tariffs", "limit": 3, "offset": 4},
        {"text": "parcels", "company": "etsy"},
        {"text": "shein", "company": "etsy"},  # few matches: every range falls short
        {"text": "temu", "feed_id": feeds[1].id, "limit": 20},
        {"text": "amazon", "collapse": True, "limit": 4},
    ]
    whole = [await _keys(storage, **request) for request in requests]  # type: ignore[arg-type]
    monkeypatch.setattr(postgres_search, "ID_SPAN", 3)
    monkeypatch.setattr(postgres_search, "ID_SPAN_FACTOR", 2)
    monkeypatch.setattr(postgres_search, "SPAN_MARGIN", 0)  # the smallest ranges first
    # Then blocks of two ids (which the index does not hold: the same pages, read slowly).
    for bits in (BLOCK_BITS, 1):
        monkeypatch.setattr(postgres_search, "BLOCK_BITS", bits)
        monkeypatch.setattr(postgres_search, "BLOCKED_SEARCH", blocked_search(bits))
        for walk_rows in (0, 10**9):
            monkeypatch.setattr(postgres_search, "WALK_ROWS", walk_rows)
            pages = [await _keys(storage, **r) for r in requests]  # type: ignore[arg-type]
            assert pages == whole, (bits, walk_rows)
    assert all(whole[:3]) and all(whole[4:])
