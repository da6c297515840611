"""``shopwire db copy``'s storage side: a SQLite database copied whole into PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.news.model.errors import StorageError
from bot.news.model.vocabulary import (
    DigestState,
    LatestRequest,
    NewFeed,
    PlannedPost,
    SearchRequest,
    SubscriptionMode,
)
from bot.news.ports import Storage
from bot.news.rules.search_query import parse_query
from bot.news.stories import StoryMerge, StorySummary
from storage import Database, open_storage
from storage import copy as copy_module
from storage.copy import copy_database
from tests.storage.conftest import (
    T0,
    add_feed,
    add_subscription,
    draft,
    fresh_postgres_url,
    poll,
    tagged,
)

HOUR = timedelta(hours=1)
GUILD = 111_111_111_111_111_111


async def _newsroom(path: Path) -> None:
    """A SQLite database with a little of everything, posts sent and pending among it."""
    async with await Database.open(path) as db:
        gone = await add_feed(db, "Gone")  # its ids are never handed out again
        shared = await add_feed(db, "Retail")
        private = await add_feed(db, "Private", guild_id=GUILD)
        await db.items.apply(poll(gone, [draft("gone", "Removed before the move")]))
        await db.feeds.remove(gone.id)
        channel = await add_subscription(db, GUILD, 1001)
        digest = await add_subscription(db, GUILD, 1002, mode=SubscriptionMode.DAILY)
        items = [
            tagged(
                draft("a", "Temu fined in France", "Regulators act.", publisher="Reuters"), "temu"
            ),
            tagged(draft("b", "Temu penalised by the EU", published=T0 - HOUR), "temu", "shein"),
            tagged(draft("c", "Shein opens a warehouse", categories=("Logistics",))),
        ]
        await db.items.apply(
            poll(
                shared,
                items,
                body_hash="document-hash",
                etag='"v1"',
                planned_posts=tuple(PlannedPost(channel.id, key) for key in ("a", "b", "c")),
            )
        )
        await db.items.apply(poll(private, [draft("p", "Temu private memo")]))
        due = await db.outbox.due(T0, 10)
        await db.outbox.mark_sent(due[0].id, 9001, T0)
        await db.outbox.mark_dropped([due[1].id], "too old")
        ids = {i.key: i.id for i in (await db.items.latest(LatestRequest(all_guilds=True))).items}
        summary = StorySummary(1, (ids["a"],), ("Reuters",), T0, T0, ("temu",), "Temu fined", "")
        merged = StorySummary(
            2, (ids["a"], ids["b"]), ("Reuters", "Retail"), T0 - HOUR, T0, ("temu",), "Temu", ""
        )
        await db.stories.save([(ids["a"], 1)], [summary], T0, prepared={ids["a"]: "features"})
        await db.stories.save([(ids["b"], 2)], [merged], T0 + HOUR, merges=[StoryMerge(1, 2)])
        await db.digests.plan(digest.id, T0 - 24 * HOUR, T0, T0)
        await db.digests.plan(digest.id, T0, T0 + 24 * HOUR, T0 + 24 * HOUR)
        [first, _] = await db.digests.due(T0 + 24 * HOUR, 10)
        await db.digests.mark_sent(first.id, 9002, T0 + 24 * HOUR)
        await db.guild_settings.set_timezone(GUILD, "Europe/Berlin", T0)
        await db.meta.set("catalogue_seeded", "1")


async def _view(db: Storage) -> dict[str, object]:
    """Everything a user or the bot can read, through the ports."""
    latest = await db.items.latest(LatestRequest(limit=100, all_guilds=True))
    hits = await db.items.search(SearchRequest("temu", all_guilds=True), parse_query("temu"))
    filtered = await db.items.search(
        SearchRequest("temu", company="shein", guild_id=GUILD), parse_query("temu")
    )
    feeds = await db.feeds.list_feeds(all_guilds=True)
    subscriptions = await db.subscriptions.list_all()
    return {
        "feeds": feeds,
        "bodies": [await db.feeds.body_hash(f.id) for f in feeds],
        "items": latest.items,
        "search": [i.key for i in hits.items],
        "filtered": [i.key for i in filtered.items],
        "stories": await db.stories.top_stories(T0 - 24 * HOUR, T0 + 24 * HOUR, None, None, 10),
        "resolve": [await db.stories.resolve(n) for n in (1, 2)],
        "max_story": await db.stories.max_story_id(),
        "held": await db.stories.held(T0 - 24 * HOUR),
        "subscriptions": subscriptions,
        "outbox": await db.outbox.due(T0 + 48 * HOUR, 100),
        "pending": [await db.outbox.pending_count(s.id) for s in subscriptions],
        "digests": await db.digests.due(T0 + 48 * HOUR, 100),
        "latest_digest": [await db.digests.latest(s.id) for s in subscriptions],
        "timezones": await db.guild_settings.timezones(),
        "meta": await db.meta.get("catalogue_seeded"),
        "count": await db.items.count(),
    }


async def test_a_copy_reads_exactly_as_the_original(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    await _newsroom(path)
    async with await Database.open(path) as original:
        before = await _view(original)
    async with fresh_postgres_url() as url:
        report = await copy_database(str(path), url)
        counts = dict(report.counts)
        assert counts["feeds"] == 2 and counts["items"] == 4 and counts["outbox"] == 3
        assert counts["digests"] == 2 and counts["story_merges"] == 1
        copy = await open_storage(url)
        try:
            assert await _view(copy) == before
            # Nothing already sent or dropped is planned again: only the pending post is due,
            # and a poll that plans the same posts again queues nothing.
            # (read from the copy, typed: it was just shown to read as `before`)
            [due] = await copy.outbox.due(T0 + 48 * HOUR, 100)
            assert due.item.key == "c"
            retail = await copy.feeds.by_url("https://retail.example/rss", None)
            assert retail is not None
            [subscription, _] = await copy.subscriptions.list_all()
            again = poll(
                retail,
                changed=[],
                at=T0 + 2 * HOUR,
                planned_posts=tuple(PlannedPost(subscription.id, k) for k in ("a", "b", "c")),
            )
            await copy.items.apply(again)
            assert [e.id for e in await copy.outbox.due(T0 + 48 * HOUR, 100)] == [due.id]
            # The digest already sent is not due again; the next period's is.
            [digest] = await copy.digests.due(T0 + 48 * HOUR, 100)
            assert (digest.period_start, digest.state) == (T0, DigestState.PENDING)
            # New rows get ids after every id SQLite gave out, the removed feed's included.
            added = await copy.feeds.add(NewFeed(url="https://new.example/rss", name="New"), T0)
            assert added.id == 4
        finally:
            await copy.close()


async def test_a_copy_writes_each_feed_row_once_with_its_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shopwire.db"
    await _newsroom(path)
    with sqlite3.connect(path) as raw:  # a counter SQLite got wrong is put right
        raw.execute("UPDATE feeds SET item_count = 7 WHERE name = 'Private'")
    monkeypatch.setattr(copy_module, "BATCH", 1)  # one item per batch: four item batches
    async with fresh_postgres_url() as url:
        await copy_database(str(path), url)
        database = await asyncpg.connect(url)
        try:
            rows = await database.fetch("SELECT name, item_count, ctid FROM feeds ORDER BY id")
        finally:
            await database.close()
        assert [(r["name"], r["item_count"]) for r in rows] == [("Retail", 3), ("Private", 1)]
        # Retail was copied first, into the table's first place, and never written again (an
        # UPDATE leaves a new row version in another place); Private once, by the recount.
        assert rows[0]["ctid"] == (0, 1) and rows[1]["ctid"] != (0, 2)
        copy = await open_storage(url)
        try:  # items stored after the copy are counted
            retail = await copy.feeds.by_url("https://retail.example/rss", None)
            assert retail is not None
            await copy.items.apply(poll(retail, [draft("d", "Temu after the move")], at=T0))
            assert (await copy.feeds.get(retail.id)).item_count == 4  # type: ignore[union-attr]
        finally:
            await copy.close()


async def test_a_target_with_data_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    await _newsroom(path)
    async with fresh_postgres_url() as url:
        target = await open_storage(url)
        try:
            await add_feed(target, "Already here")
        finally:
            await target.close()
        with pytest.raises(StorageError, match="already holds data"):
            await copy_database(str(path), url)
        target = await open_storage(url)
        try:
            assert [f.name for f in await target.feeds.list_feeds(all_guilds=True)] == [
                "Already here"
            ]
        finally:
            await target.close()


async def test_wrong_sources_and_targets_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no SQLite database at"):
        await copy_database(str(tmp_path / "missing.db"), "postgresql://nobody@127.0.0.1:1/x")
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(StorageError, match="--from must name a SQLite database"):
        await copy_database("postgresql://a@127.0.0.1:1/x", "postgresql://b@127.0.0.1:1/y")
    path = tmp_path / "shopwire.db"
    await (await Database.open(path)).close()
    with pytest.raises(StorageError, match="--to must be a PostgreSQL URL"):
        await copy_database(str(path), str(tmp_path / "other.db"))
