"""A poll's new items written in several multi-row statements (storage/item_inserts.py): rows,
ids, month tags and the search index as one statement per item gave them."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.news.model.vocabulary import LatestRequest, SearchRequest, TaggedDraft
from bot.news.rules.search_query import parse_query
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


async def test_a_polls_company_and_topic_tags_go_in_together_and_are_replaced_on_change(
    sqlite_db: Database, tmp_path: Path
) -> None:
    # One statement per poll for each kind of tag: every item's tags, in their order, keys
    # with quotes and non-ASCII text included; an item without tags has none.
    feed = await add_feed(sqlite_db)
    keys = [f'k"{n}é' for n in range(COUNT)]
    companies = [("amazon", "temu")[: n % 3] for n in range(COUNT)]
    drafts = [
        TaggedDraft(
            draft(key, f"Headline {n}", published=T0 - timedelta(minutes=n)),
            companies[n],
            topics=("fees",) if n % 2 else (),
        )
        for n, key in enumerate(keys)
    ]
    await sqlite_db.items.apply(poll(feed, drafts))
    assert _tags(tmp_path) == {
        key: (tuple(companies[n]), ("fees",) if n % 2 else ()) for n, key in enumerate(keys)
    }

    changed = [
        TaggedDraft(draft(keys[1], "Headline 1 changed"), ("temu",), topics=("tariffs",)),
        TaggedDraft(draft(keys[2], "Headline 2 changed"), (), topics=()),
    ]
    await sqlite_db.items.apply(poll(feed, changed=changed, at=T0 + timedelta(minutes=5)))
    tags = _tags(tmp_path)
    assert tags[keys[1]] == (("temu",), ("tariffs",))
    assert tags[keys[2]] == ((), ())
    assert tags[keys[4]] == (tuple(companies[4]), ())  # untouched items keep theirs


def _tags(path: Path) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each item key's company ids (by position) and topics (sorted), read from the file."""
    with sqlite3.connect(path / "shopwire.db") as raw:
        keys = dict(raw.execute("SELECT id, key FROM items"))
        found: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        for item_id, key in keys.items():
            companies = raw.execute(
                "SELECT company_id FROM item_companies WHERE item_id = ? ORDER BY position",
                (item_id,),
            )
            topics = raw.execute(
                "SELECT topic FROM item_topics WHERE item_id = ? ORDER BY topic", (item_id,)
            )
            found[key] = (tuple(c for (c,) in companies), tuple(t for (t,) in topics))
        return found
