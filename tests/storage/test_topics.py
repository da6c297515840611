"""Topic tags: stored by apply() with their items, replaced on change, filtering latest/search."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from bot.news.model.vocabulary import Item, ItemDraft, LatestRequest, SearchRequest, TaggedDraft
from bot.news.ports import Storage
from bot.news.rules.search_query import parse_query
from storage import Database
from storage.postgres import PostgresStorage
from tests.storage.conftest import T0, add_feed, draft, poll

GUILD = 111_111_111_111_111_111


def about(item: ItemDraft, *topics: str, companies: tuple[str, ...] = ()) -> TaggedDraft:
    return TaggedDraft(item, companies, tuple(topics))


@pytest.fixture
def db(storage: Storage) -> Storage:
    """Every test here runs on SQLite and PostgreSQL."""
    return storage


async def _count(db: Storage, sql: str) -> int:
    if isinstance(db, Database):
        with sqlite3.connect(Path(db.path)) as raw:
            return int(raw.execute(sql).fetchone()[0])
    assert isinstance(db, PostgresStorage)
    return int(await db.pool.fetchval(sql))


async def _items(db: Storage, *, topic: str | None = None) -> dict[str, Item]:
    page = await db.items.latest(LatestRequest(limit=100, all_guilds=True, topic=topic))
    return {item.key: item for item in page.items}


async def _search(
    db: Storage,
    text: str,
    topic: str | None,
    *,
    guild_id: int | None = None,
    company: str | None = None,
    since: datetime | None = None,
) -> set[str]:
    # The topic goes in the request, as the port (bot.news.ports.ItemRepository) takes it.
    request = SearchRequest(
        text, limit=100, guild_id=guild_id, company=company, since=since, topic=topic
    )
    page = await db.items.search(request, parse_query(text))
    return {item.key for item in page.items}


async def test_new_items_carry_their_topics(db: Storage) -> None:
    feed = await add_feed(db)
    await db.items.apply(
        poll(
            feed,
            [
                about(draft("a", "Amazon raises FBA fees in the EU"), "policy", "fees"),
                draft("b", "Temu opens a pop-up"),
            ],
            backlog=True,  # a first poll's items are tagged too
        )
    )
    items = await _items(db)
    assert items["a"].topics == ("fees", "policy")  # sorted
    assert items["b"].topics == ()
    assert items["a"].story_id is None and items["b"].story_id is None


async def test_a_changed_item_has_its_topics_replaced(db: Storage) -> None:
    feed = await add_feed(db)
    await db.items.apply(
        poll(feed, [about(draft("a", "Shein fined in France"), "legal", "policy")])
    )
    await db.items.apply(
        poll(feed, changed=[about(draft("a", "Shein fined over fees"), "fees", "legal")])
    )
    assert (await _items(db))["a"].topics == ("fees", "legal")
    assert await _search(db, "shein", "fees") == {"a"}
    assert await _search(db, "shein", "policy") == set()  # the old token left the index

    await db.items.apply(poll(feed, changed=[draft("a", "Shein, no topic now")]))
    assert (await _items(db))["a"].topics == ()
    assert await _search(db, "shein", "fees") == set()
    assert await _count(db, "SELECT count(*) FROM item_topics") == 0


async def test_new_topics_on_unchanged_text_are_stored(db: Storage) -> None:
    feed = await add_feed(db)
    item = draft("a", "Walmart earnings beat")
    await db.items.apply(poll(feed, [about(item, "earnings")]))
    # Same content hash, a tagger that now finds more: the tags still follow.
    await db.items.apply(poll(feed, changed=[about(item, "earnings", "launches")]))
    assert (await _items(db))["a"].topics == ("earnings", "launches")
    # A poll applied twice (an item decided "new" twice) stores each topic once.
    await db.items.apply(poll(feed, [about(item, "earnings", "launches")]))
    await db.items.apply(poll(feed, [about(item, "earnings", "launches")]))
    assert await _count(db, "SELECT count(*) FROM item_topics") == 2


async def test_topics_are_removed_with_the_feed(db: Storage) -> None:
    feed = await add_feed(db, "Gone")
    kept = await add_feed(db, "Kept")
    await db.items.apply(poll(feed, [about(draft("a"), "fees"), about(draft("b"), "legal")]))
    await db.items.apply(poll(kept, [about(draft("c"), "fees")]))
    await db.feeds.remove(feed.id)
    assert await _count(db, "SELECT count(*) FROM item_topics") == 1
    assert set(await _items(db, topic="fees")) == {"c"}


async def test_latest_filters_by_topic_with_the_other_filters(db: Storage) -> None:
    shared = await add_feed(db, "Shared")
    other = await add_feed(db, "Other")
    private = await add_feed(db, "Private", guild_id=GUILD)
    await db.items.apply(
        poll(
            shared,
            [
                about(draft("fees-temu", "Temu fees"), "fees", companies=("temu",)),
                about(draft("fees-amazon", "Amazon fees"), "fees", companies=("amazon",)),
                about(draft("legal-temu", "Temu sued"), "legal", companies=("temu",)),
            ],
        )
    )
    await db.items.apply(poll(other, [about(draft("fees-other", "Other fees"), "fees")]))
    await db.items.apply(poll(private, [about(draft("fees-private", "Private fees"), "fees")]))

    async def keys(
        topic: str,
        *,
        guild_id: int | None = None,
        company: str | None = None,
        feed_id: int | None = None,
    ) -> set[str]:
        request = LatestRequest(company=company, feed_id=feed_id, guild_id=guild_id, topic=topic)
        page = await db.items.latest(request)
        return {item.key for item in page.items}

    assert await keys("fees") == {"fees-temu", "fees-amazon", "fees-other"}
    assert await keys("fees", guild_id=GUILD) == {
        "fees-temu",
        "fees-amazon",
        "fees-other",
        "fees-private",
    }
    assert await keys("fees", company="temu") == {"fees-temu"}
    assert await keys("fees", feed_id=other.id) == {"fees-other"}
    assert await keys("fees", company="temu", feed_id=shared.id) == {"fees-temu"}
    assert await keys("legal") == {"legal-temu"}
    assert await keys("earnings") == set()
    page = await db.items.latest(LatestRequest(limit=1, topic="fees"))
    assert len(page.items) == 1 and page.has_more


async def test_search_filters_by_topic_inside_the_index(db: Storage) -> None:
    feed = await add_feed(db)
    private = await add_feed(db, "Private", guild_id=GUILD)
    await db.items.apply(
        poll(
            feed,
            [
                about(draft("a", "Shein tariffs bite"), "policy", companies=("shein",)),
                about(draft("b", "Shein tariffs and fees"), "fees", "policy"),
                draft("c", "Shein tariffs, untagged"),
            ],
        )
    )
    await db.items.apply(poll(private, [about(draft("p", "Shein tariffs too"), "policy")]))
    assert await _search(db, "tariffs", None) == {"a", "b", "c"}
    assert await _search(db, "tariffs", "policy") == {"a", "b"}
    assert await _search(db, "tariffs", "policy", guild_id=GUILD) == {"a", "b", "p"}
    assert await _search(db, "tariffs", "policy", company="shein") == {"a"}
    assert await _search(db, "tariffs", "fees", since=T0) == {"b"}
    assert await _search(db, "tariffs", "launches") == set()
    # Topic tokens are hidden: the word "policy" is found in no item's text.
    assert await _search(db, "policy", None) == set()


async def test_a_topic_and_a_company_with_the_same_id_stay_apart(db: Storage) -> None:
    feed = await add_feed(db)
    await db.items.apply(
        poll(
            feed,
            [
                about(draft("topic", "Same word one"), "legal"),
                about(draft("company", "Same word two"), companies=("legal",)),
            ],
        )
    )
    assert await _search(db, "same", "legal") == {"topic"}
    assert await _search(db, "same", None, company="legal") == {"company"}
