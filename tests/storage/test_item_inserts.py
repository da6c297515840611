"""A poll's new items written in several multi-row statements (storage/item_inserts.py): rows,
ids, month tags and the search index as one statement per item gave them."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.news.models import LatestRequest, SearchRequest
from bot.news.query import parse_query
from storage import Database
from storage.item_inserts import COLUMNS, ROWS_PER_STATEMENT, insert_statements
from tests.storage.conftest import T0, add_feed, draft, poll, tagged

COUNT = 2 * ROWS_PER_STATEMENT + 7  # three statements, the last one short


def test_rows_are_split_into_statements_of_at_most_the_limit() -> None:
    rows = [dict.fromkeys(COLUMNS, n) for n in range(COUNT)]
    statements = insert_statements(rows)
    assert [len(parameters) // len(COLUMNS) for _, parameters in statements] == [
        ROWS_PER_STATEMENT,
        ROWS_PER_STATEMENT,
        7,
    ]
    # Parameters in row order, each row's in column order.
    flat = [value for _, parameters in statements for value in parameters]
    assert flat == [n for n in range(COUNT) for _ in COLUMNS]
    assert insert_statements([]) == []


async def test_a_big_poll_stores_every_item_in_date_order_and_indexes_it(
    sqlite_db: Database, tmp_path: Path
) -> None:
    feed = await add_feed(sqlite_db)
    # Newest first, as feeds list them; every tenth undated (it takes the poll's time).
    drafts = [
        tagged(
            draft(
                f"k{n}",
                f"Headline number{n} about parcels",
                f"Summary word{n}.",
                published=None if n % 10 == 0 else T0 - timedelta(days=40 + n),
            ),
            *(("amazon",) if n % 2 else ()),
        )
        for n in range(COUNT)
    ]
    await sqlite_db.items.apply(poll(feed, drafts, backlog=True))

    page = await sqlite_db.items.latest(LatestRequest(limit=1000, all_guilds=True))
    items = {item.key: item for item in page.items}
    assert len(items) == COUNT == await sqlite_db.items.count()
    # Ids follow the published dates (search's recency order), undated ones being newest.
    by_id = sorted(items.values(), key=lambda item: item.id)
    assert [item.published for item in by_id] == sorted(item.published for item in by_id)
    assert items["k0"].published == T0
    assert [c.id for c in items["k3"].companies] == ["amazon"]
    assert items["k4"].companies == ()

    # Each statement's rows are in the index, with their company tags and month tags.
    for n in (1, ROWS_PER_STATEMENT + 1, COUNT - 2):
        assert await _keys(sqlite_db, f"number{n}") == [f"k{n}"]
        assert await _keys(sqlite_db, f"number{n}", company="amazon") == [f"k{n}"]
        month = items[f"k{n}"].published
        found = await _keys(sqlite_db, f"word{n}", since=month, until=month + timedelta(days=1))
        assert found == [f"k{n}"]
    assert len(await _keys(sqlite_db, "parcels", limit=1000)) == COUNT
    with sqlite3.connect(tmp_path / "shopwire.db") as raw:
        raw.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")


async def _keys(db: Database, text: str, **filters: object) -> list[str]:
    request = SearchRequest(text=text, all_guilds=True, **filters)  # type: ignore[arg-type]
    page = await db.items.search(request, parse_query(text))
    return [item.key for item in page.items]
