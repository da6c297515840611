"""Opening the database: migrations, version checks, pragmas and table definitions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import storage.migrations as migrations
from bot.news.model.errors import StorageError
from bot.news.model.vocabulary import (
    Company,
    Feed,
    ItemDraft,
    LatestRequest,
    NewFeed,
    NewSubscription,
    PlannedPost,
    SearchRequest,
    SubscriptionFilter,
    TaggedDraft,
)
from bot.news.ports import (
    FeedRepository,
    ItemRepository,
    MetaStore,
    OutboxRepository,
    SubscriptionRepository,
)
from bot.news.rules.search_query import parse_query
from bot.news.stories import summarize_story
from storage import Database
from storage._sql import to_db_time
from storage.items import company_tag, feed_tag, month_tag
from storage.migrations import SCHEMA_VERSION, split_statements
from tests.storage.conftest import T0, add_feed, add_subscription, database_at, draft, poll


def _raw(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


async def test_migrates_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "new.db"  # missing folders are created
    async with await Database.open(path):
        pass
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {
            row[0]: row[1]
            for row in raw.execute("SELECT name, strict FROM pragma_table_list WHERE schema='main'")
        }
    for table in (
        "meta",
        "feeds",
        "companies",
        "items",
        "item_companies",
        "subscriptions",
        "outbox",
        "stories",
        "item_topics",
    ):
        assert tables[table] == 1, f"{table} is not STRICT"
    assert "items_fts" in tables


async def test_reopening_keeps_data_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    async with await Database.open(path) as db:
        feed = await add_feed(db, "Retail Dive")
        await db.items.apply(poll(feed, [draft("a", "Temu tariffs")]))
        await db.meta.set("catalogue_seeded", "yes")
    schema_before = _schema(path)
    async with await Database.open(path) as db:
        assert await db.feeds.get(feed.id) is not None
        assert await db.items.count() == 1
        assert await db.meta.get("catalogue_seeded") == "yes"
    assert _schema(path) == schema_before


def _schema(path: Path) -> list[tuple[str, str]]:
    with _raw(path) as raw:
        rows = raw.execute("SELECT name, sql FROM sqlite_schema ORDER BY name").fetchall()
        return [*rows, ("user_version", str(raw.execute("PRAGMA user_version").fetchone()[0]))]


async def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    async with await Database.open(path):
        pass
    with _raw(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError, match=r"schema version \d+, newer than"):
        await Database.open(path)
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


async def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the pages you are looking for" * 100)
    with pytest.raises(StorageError, match="Cannot open the database"):
        await Database.open(path)


async def test_a_failing_migration_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shopwire.db"
    async with await Database.open(path):
        pass
    broken = "CREATE TABLE guilds (id INTEGER PRIMARY KEY) STRICT; INSERT INTO nowhere VALUES (1);"
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, broken))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StorageError, match="no such table: nowhere"):
        await Database.open(path)
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = {row[0] for row in raw.execute("SELECT name FROM sqlite_schema")}
    assert "guilds" not in names


async def test_a_later_migration_applies_on_top(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shopwire.db"
    async with await Database.open(path) as db:
        await add_feed(db, "Kept")
    later = """
        CREATE TABLE guilds (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT;
        CREATE TRIGGER guilds_noop AFTER INSERT ON guilds BEGIN SELECT 1; END;
    """
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, later))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    async with await Database.open(path) as db:
        assert await db.feeds.count() == 1
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    script = """
        -- a comment; with a semicolon
        CREATE TABLE t (x INTEGER);
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN
            INSERT INTO t VALUES (1);
            DELETE FROM t WHERE x = ';';
        END;
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].rstrip().endswith("END;")


def test_split_statements_rejects_an_unfinished_statement() -> None:
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TABLE t (x INTEGER); CREATE TRIGGER tr AFTER INSERT ON t BEGIN")


async def test_strict_tables_refuse_wrong_types(db: Database) -> None:
    feed = await add_feed(db)
    with _raw(Path(db.path)) as raw, pytest.raises(sqlite3.IntegrityError, match="cannot store"):
        raw.execute(
            "INSERT INTO feeds (url, name, created_at) VALUES ('https://x.example', 'x', 'soon')"
        )
    with _raw(Path(db.path)) as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO items (feed_id, key, title, source, published, first_seen, updated_at,"
            " summary, content_hash) VALUES (?, 'k', 't', 's', 1.5, 1, 1, '', 'h')",
            (feed.id,),
        )


async def test_foreign_keys_are_enforced_and_cascade(db: Database) -> None:
    feed = await add_feed(db)
    await db.items.apply(poll(feed, [draft("a", "Shein")]))
    with _raw(Path(db.path)) as raw, pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        raw.execute(
            "INSERT INTO items (feed_id, key, title, source, published, first_seen, updated_at,"
            " summary, content_hash) VALUES (999, 'k', 't', 's', 1, 1, 1, '', 'h')"
        )
    await db.feeds.remove(feed.id)
    with _raw(Path(db.path)) as raw:
        assert raw.execute("SELECT count(*) FROM items").fetchone()[0] == 0
        assert raw.execute("SELECT count(*) FROM item_companies").fetchone()[0] == 0


async def test_meta_set_get_replace_delete(db: Database) -> None:
    assert await db.meta.get("command_sync_hash") is None
    await db.meta.set("command_sync_hash", "abc")
    await db.meta.set("command_sync_hash", "def")
    assert await db.meta.get("command_sync_hash") == "def"
    await db.meta.delete("command_sync_hash")
    assert await db.meta.get("command_sync_hash") is None


async def test_in_memory_database_works_without_a_read_connection() -> None:
    async with await Database.open(":memory:") as db:
        feed = await db.feeds.add(NewFeed("https://a.example/rss", "A"), T0)
        await db.items.apply(poll(feed, [draft("a", "Amazon")]))
        assert await db.items.count() == 1


async def test_repositories_implement_the_ports(db: Database) -> None:
    # Checked by mypy (structural typing) and, for the method names, at run time.
    feeds: FeedRepository = db.feeds
    items: ItemRepository = db.items
    meta: MetaStore = db.meta
    subscriptions: SubscriptionRepository = db.subscriptions
    outbox: OutboxRepository = db.outbox
    for port, implementation in (
        (FeedRepository, feeds),
        (ItemRepository, items),
        (MetaStore, meta),
        (SubscriptionRepository, subscriptions),
        (OutboxRepository, outbox),
    ):
        for name in vars(port):
            if not name.startswith("_"):
                assert callable(getattr(implementation, name)), name


async def test_a_version_1_database_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    # A database as the first release left it: migration 1 only, with data in it.
    async with database_at(path, 1) as db:
        await db.items.register_companies([Company("temu", "Temu")])
        feed = await add_feed(db, "Retail Dive")
        private = await add_feed(db, "Private", guild_id=111)
        await db.meta.set("catalogue_seeded", "yes")
    with _raw(path) as raw:
        # Items as that release's apply() stored them (today's apply needs today's tables).
        _old_item(raw, feed, draft("a", "Temu tariffs"), "temu")
        _old_item(raw, private, draft("p", "Private news"))
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        names = {row[0] for row in raw.execute("SELECT name FROM sqlite_schema")}
    assert "subscriptions" not in names and "outbox" not in names

    async with await Database.open(path) as db:
        assert await db.feeds.count() == 2
        assert await db.items.count() == 2
        assert await db.meta.get("catalogue_seeded") == "yes"
        [found] = (await db.items.search(SearchRequest("tariffs"), parse_query("tariffs"))).items
        assert found.companies == (Company("temu", "Temu"),)
        latest = await db.items.latest(LatestRequest(all_guilds=True))
        assert {i.key for i in latest.items} == {"a", "p"}
        # The new tables work with the old rows: a post for an item stored before the upgrade.
        sub = await add_subscription(db)
        await db.items.apply(
            poll(feed, [draft("a", "Temu tariffs")], planned_posts=(PlannedPost(sub.id, "a"),))
        )
        [entry] = await db.outbox.due(T0, 10)
        assert entry.item.id == found.id
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _old_item(raw: sqlite3.Connection, feed: Feed, item: ItemDraft, *companies: str) -> int:
    """Store an item with raw SQL as the releases before stories and topics did (v1, v2)."""
    assert item.published is not None
    published = to_db_time(item.published)
    tags = " ".join(
        [feed_tag(feed.id), *(company_tag(c) for c in companies), month_tag(item.published)]
    )
    [item_id] = raw.execute(
        "INSERT INTO items (feed_id, key, title, link, source, published, first_seen,"
        " updated_at, summary, content_hash, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        (
            feed.id,
            item.key,
            item.title,
            item.link,
            item.publisher or feed.name,
            published,
            to_db_time(T0),
            to_db_time(T0),
            item.summary,
            item.content_hash,
            tags,
        ),
    ).fetchone()
    for position, company in enumerate(companies):
        raw.execute("INSERT OR IGNORE INTO companies (id, name) VALUES (?, ?)", (company, company))
        raw.execute(
            "INSERT INTO item_companies (item_id, company_id, position, published)"
            " VALUES (?, ?, ?, ?)",
            (item_id, company, position, published),
        )
    return int(item_id)


async def test_a_version_2_database_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    # A database as the second release left it (subscriptions and outbox), with data in it.
    async with database_at(path, 2) as db:
        await db.items.register_companies([Company("temu", "Temu")])
        feed = await add_feed(db, "Retail Dive")
        private = await add_feed(db, "Private", guild_id=111)
        await db.meta.set("catalogue_seeded", "yes")
    with _raw(path) as raw:
        # As that release stored it (today's add() writes columns of later migrations).
        sub_id = _old_subscription(raw)
        shared_id = _old_item(raw, feed, draft("a", "Temu tariffs", "Fees rise."), "temu")
        sent_id = _old_item(raw, feed, draft("b", "Temu earnings"), "temu")
        private_id = _old_item(raw, private, draft("p", "Private news"))
        raw.execute(
            "INSERT INTO outbox (subscription_id, item_id, state, created_at) VALUES (?, ?, ?, ?)",
            (sub_id, shared_id, "pending", to_db_time(T0)),
        )
        raw.execute(
            "INSERT INTO outbox (subscription_id, item_id, state, created_at, message_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (sub_id, sent_id, "sent", to_db_time(T0), 555),
        )
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
        names = {row[0] for row in raw.execute("SELECT name FROM sqlite_schema")}
        columns = {row[1] for row in raw.execute("PRAGMA table_info(items)")}
    assert "stories" not in names and "item_topics" not in names
    assert "story_id" not in columns

    async with await Database.open(path) as db:
        assert await db.feeds.count() == 2
        assert await db.items.count() == 3
        assert await db.meta.get("catalogue_seeded") == "yes"
        assert [s.id for s in await db.subscriptions.list_all()] == [sub_id]
        [entry] = await db.outbox.due(T0, 10)
        assert (entry.item.id, entry.item.story_id) == (shared_id, None)
        found = await db.items.search(SearchRequest("temu", company="temu"), parse_query("temu"))
        assert {i.id for i in found.items} == {shared_id, sent_id}
        assert all(i.topics == () and i.story_id is None for i in found.items)
        # Old items wait for the clusterer (the private one never will), and take topics and
        # stories like new ones.
        waiting = await db.stories.unassigned(10)
        assert [i.item_id for i in waiting] == [shared_id, sent_id]
        assert waiting[0].companies == ("temu",)
        changed = TaggedDraft(draft("a", "Temu tariffs", "Fees rise again."), ("temu",), ("fees",))
        await db.items.apply(poll(feed, changed=[changed]))
        await db.stories.save([(shared_id, 1)], [summarize_story(1, waiting[:1])], T0)
        [item] = (await db.items.latest(LatestRequest(company="temu"), topic="fees")).items
        assert (item.id, item.topics, item.story_id) == (shared_id, ("fees",), 1)
        assert await db.stories.max_story_id() == 1
        assert [i.item_id for i in await db.stories.unassigned(10)] == [sent_id]
        await db.feeds.remove(private.id)
        assert await db.items.count() == 2
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("SELECT count(*) FROM outbox").fetchone()[0] == 2
        sent = raw.execute("SELECT item_id, message_id FROM outbox WHERE state = 'sent'")
        assert sent.fetchall() == [(sent_id, 555)]
        remaining = {row[0] for row in raw.execute("SELECT id FROM items")}
        assert remaining == {shared_id, sent_id} and private_id not in remaining
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Raises if the search index disagrees with the items.
        raw.execute("INSERT INTO items_fts (items_fts) VALUES ('integrity-check')")


def _old_subscription(raw: sqlite3.Connection, companies: str = '["temu"]') -> int:
    """A realtime subscription row as migrations 2 and 3 defined the table."""
    row = raw.execute(
        "INSERT INTO subscriptions (guild_id, channel_id, companies, keywords, exclude, mode,"
        " post_hour, created_at) VALUES (111, 1001, ?, '[\"tariffs\"]', '[]', 'realtime', 9, ?)"
        " RETURNING id",
        (companies, to_db_time(T0)),
    ).fetchone()
    return int(row[0])


async def test_a_version_3_database_keeps_its_subscriptions_and_gains_topics(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shopwire.db"
    async with database_at(path, 3):
        pass
    with _raw(path) as raw:
        old_id = _old_subscription(raw)
        columns = {row[1] for row in raw.execute("PRAGMA table_info(subscriptions)")}
    assert "topics" not in columns

    async with await Database.open(path) as db:
        [old] = await db.subscriptions.list_all()
        # The old filter is intact and has no topic filter, so it keeps getting what it got.
        assert old.id == old_id
        assert old.filter == SubscriptionFilter(companies=("temu",), keywords=("tariffs",))
        new = await db.subscriptions.add(
            NewSubscription(
                guild_id=111,
                channel_id=1002,
                filter=SubscriptionFilter(topics=("fees", "policy")),
            ),
            T0,
        )
        assert (await db.subscriptions.get(new.id)) == new
        assert new.filter.topics == ("fees", "policy")
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_a_version_5_database_that_already_has_outbox_roundup_upgrades(
    tmp_path: Path,
) -> None:
    # Migration 5 once held outbox.roundup (it is migration 6 now): a database it migrated
    # stopped opening, "duplicate column name: roundup".
    path = tmp_path / "shopwire.db"
    v5_with_roundup = (
        *migrations.MIGRATIONS[:4],
        migrations.MIGRATIONS[4] + migrations.MIGRATIONS[5],
    )
    async with database_at(path, 5, v5_with_roundup) as db:
        feed = await add_feed(db)
        await db.items.apply(poll(feed, [draft("a", "Temu floods")]))
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 5
        # A post put in a roundup, written as that release wrote it (today's repositories
        # know columns added later).
        sub_id = _old_subscription(raw)
        [(item_id,)] = raw.execute("SELECT id FROM items").fetchall()
        [(entry_id,)] = raw.execute(
            "INSERT INTO outbox (subscription_id, item_id, created_at, roundup)"
            " VALUES (?, ?, ?, 'roundup-nonce') RETURNING id",
            (sub_id, item_id, to_db_time(T0)),
        ).fetchall()

    async with await Database.open(path) as db:
        [after] = await db.outbox.due(T0, 10)
        assert after.id == entry_id
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("SELECT roundup FROM outbox").fetchall() == [("roundup-nonce",)]


async def test_a_version_8_database_gains_the_feeds_document_hashes(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    async with database_at(path, 8) as db:
        feed = await add_feed(db)
    with _raw(path) as raw:
        names = {row[0] for row in raw.execute("SELECT name FROM sqlite_schema")}
    assert "feed_documents" not in names

    async with await Database.open(path) as db:
        # No hash yet: the feed's next document is parsed, and remembered.
        assert await db.feeds.body_hash(feed.id) is None
        await db.items.apply(poll(feed, [draft("a", "Temu floods")], body_hash="abc"))
        assert await db.feeds.body_hash(feed.id) == "abc"
        stored = await db.feeds.get(feed.id)
        assert stored is not None and (stored.name, stored.item_count) == (feed.name, 1)


async def test_a_version_9_database_gains_pings_styles_and_follow_roles(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    async with database_at(path, 9):
        pass
    with _raw(path) as raw:
        old_id = _old_subscription(raw)
    async with await Database.open(path):
        pass
    with _raw(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] >= 10
        # An existing subscription keeps posting embeds and pings nobody.
        assert raw.execute(
            "SELECT ping_role_id, style FROM subscriptions WHERE id = ?", (old_id,)
        ).fetchall() == [(None, "embed")]
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute("UPDATE subscriptions SET style = 'loud' WHERE id = ?", (old_id,))
        raw.execute(
            "INSERT INTO follow_roles (guild_id, kind, subject, role_id, created_at)"
            " VALUES (111, 'company', 'temu', 5, 0)"
        )
        with pytest.raises(sqlite3.IntegrityError):  # one role per company per server
            raw.execute(
                "INSERT INTO follow_roles (guild_id, kind, subject, role_id, created_at)"
                " VALUES (111, 'company', 'temu', 6, 0)"
            )
