"""The ItemRepository on both backends: apply(), known_hashes(), latest(), concurrent writers."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.news.model.vocabulary import Company, FeedStatus, Item, LatestRequest
from bot.news.ports import Storage
from storage import Database
from tests.storage.conftest import T0, add_feed, draft, poll, tagged

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222


@pytest.fixture
def db(storage: Storage) -> Storage:
    """Every test here runs on SQLite and PostgreSQL; SQLite's own ones take ``sqlite_db``."""
    return storage


async def _all(db: Storage) -> dict[str, Item]:
    page = await db.items.latest(LatestRequest(limit=1000, all_guilds=True))
    return {item.key: item for item in page.items}


async def test_apply_stores_new_items(db: Storage) -> None:
    await db.items.register_companies([Company("tiktok-shop", "TikTok Shop")])
    feed = await add_feed(db, "Retail Dive")
    published = T0 - timedelta(hours=2)
    full = draft(
        "guid-1",
        "TikTok Shop opens in Brazil",
        "Live shopping arrives.",
        published=published,
        publisher="Reuters",
        author="Jane Doe",
        image_url="https://img.example/1.jpg",
        categories=("Marketplaces", "LatAm"),
    )
    undated = draft("guid-2", "Undated item", published=None)
    future = draft("guid-3", "From the future", published=T0 + timedelta(days=3))
    await db.items.apply(
        poll(
            feed,
            [tagged(full, "tiktok-shop", "amazon"), undated, future],
            at=T0,
            backlog=True,
        )
    )

    items = await _all(db)
    first = items["guid-1"]
    assert first.feed_id == feed.id
    assert first.title == "TikTok Shop opens in Brazil"
    assert first.summary == "Live shopping arrives."
    assert first.link == "https://news.example/guid-1"
    assert first.source == "Reuters"  # the publisher wins over the feed's name
    assert first.author == "Jane Doe"
    assert first.image_url == "https://img.example/1.jpg"
    assert first.categories == ("Marketplaces", "LatAm")
    assert first.published == published
    assert first.first_seen == first.updated_at == T0
    assert first.content_hash == full.content_hash
    assert first.backlog is True
    # Registered names are used; unknown ids show as themselves.
    assert first.companies == (Company("tiktok-shop", "TikTok Shop"), Company("amazon", "amazon"))

    assert items["guid-2"].source == "Retail Dive"
    assert items["guid-2"].published == T0  # no date: when it was first seen
    assert items["guid-3"].published == T0  # a future date is clamped to the poll
    assert items["guid-2"].companies == ()


async def test_known_hashes_for_one_feed(db: Storage) -> None:
    feed = await add_feed(db, "One")
    other = await add_feed(db, "Other")
    a, b = draft("a", "A"), draft("b", "B")
    await db.items.apply(poll(feed, [a, b]))
    await db.items.apply(poll(other, [draft("c", "C")]))
    assert await db.items.known_hashes(feed.id, []) == {}
    hashes = await db.items.known_hashes(feed.id, ["a", "b", "c", "missing"])
    assert hashes == {"a": a.content_hash, "b": b.content_hash}
    keys = [f"k{i}" for i in range(50)]
    await db.items.apply(poll(other, [draft(k) for k in keys]))
    assert set(await db.items.known_hashes(other.id, keys)) == set(keys)


async def test_recent_hashes_are_the_feeds_newest_items(db: Storage) -> None:
    feed = await add_feed(db, "One")
    other = await add_feed(db, "Other")
    drafts = [draft(f"k{n}", published=T0 - timedelta(hours=n)) for n in range(5)]
    await db.items.apply(poll(feed, drafts))
    await db.items.apply(poll(other, [draft("c", "C")]))
    newest = await db.items.recent_hashes(feed.id, 3)
    assert newest == {d.key: d.content_hash for d in drafts[:3]}
    assert await db.items.recent_hashes(feed.id, 100) == {d.key: d.content_hash for d in drafts}
    assert await db.items.recent_hashes(12345, 10) == {}


async def test_apply_updates_changed_items(db: Storage) -> None:
    feed = await add_feed(db)
    old_published = T0 - timedelta(days=1)
    await db.items.apply(
        poll(feed, [tagged(draft("a", "Old title", "old", published=old_published), "temu")])
    )
    later = T0 + timedelta(hours=1)
    changed = draft("a", "New title", "new text", published=None, link="https://x.example/a")
    await db.items.apply(poll(feed, changed=[tagged(changed, "shein", "temu")], at=later))

    item = (await _all(db))["a"]
    assert item.title == "New title"
    assert item.summary == "new text"
    assert item.link == "https://x.example/a"
    assert item.content_hash == changed.content_hash
    assert item.first_seen == T0  # kept
    assert item.updated_at == later
    assert item.published == old_published  # the feed gave no new date
    assert [c.id for c in item.companies] == ["shein", "temu"]
    assert await db.items.count() == 1


async def test_a_stale_new_item_updates_instead_of_failing(db: Storage) -> None:
    feed = await add_feed(db)
    await db.items.apply(poll(feed, [draft("a", "First")], backlog=True))
    # The updater decided "new" from an old snapshot: the item exists already.
    await db.items.apply(
        poll(feed, [tagged(draft("a", "Second"), "amazon")], at=T0 + timedelta(hours=1))
    )
    item = (await _all(db))["a"]
    assert item.title == "Second"
    assert item.first_seen == T0
    assert item.backlog is True
    assert [c.id for c in item.companies] == ["amazon"]


async def test_ids_follow_publication_order_within_a_poll(db: Storage) -> None:
    feed = await add_feed(db)
    # Feeds list the newest first.
    drafts = [draft(f"k{n}", published=T0 - timedelta(hours=n)) for n in range(5)]
    await db.items.apply(poll(feed, drafts))
    items = await _all(db)
    ids = [items[f"k{n}"].id for n in range(5)]
    assert ids == sorted(ids, reverse=True)


async def test_feed_state_after_success_error_and_disable(db: Storage) -> None:
    feed = await add_feed(db)
    t1 = T0 + timedelta(minutes=1)
    await db.items.apply(
        poll(feed, [draft("a")], at=t1, etag='"v1"', last_modified="Sun, 01 Nov 2026 12:00:00 GMT")
    )
    ok = await db.feeds.get(feed.id)
    assert ok is not None
    assert ok.status is FeedStatus.OK
    assert ok.last_polled == ok.last_success == t1
    assert ok.next_due == t1 + timedelta(minutes=30)
    assert (ok.etag, ok.last_modified) == ('"v1"', "Sun, 01 Nov 2026 12:00:00 GMT")
    assert (ok.last_error, ok.error_count) == (None, 0)

    t2 = t1 + timedelta(hours=1)
    await db.items.apply(
        poll(feed, at=t2, status=FeedStatus.ERROR, error="HTTP 500", error_count=1)
    )
    failed = await db.feeds.get(feed.id)
    assert failed is not None
    assert failed.status is FeedStatus.ERROR
    assert failed.last_polled == t2
    assert failed.last_success == t1  # unchanged by a failure
    assert (failed.last_error, failed.error_count) == ("HTTP 500", 1)
    assert failed.etag == '"v1"'  # not given: kept

    t3 = t2 + timedelta(hours=1)
    await db.items.apply(poll(feed, at=t3, status=FeedStatus.NOT_MODIFIED, etag='"v2"'))
    same = await db.feeds.get(feed.id)
    assert same is not None
    assert same.last_success == t3
    assert (same.last_error, same.error_count, same.etag) == (None, 0, '"v2"')

    t4 = t3 + timedelta(hours=1)
    await db.items.apply(
        poll(
            feed,
            at=t4,
            status=FeedStatus.DISABLED,
            error="HTTP 410",
            error_count=1,
            disable_reason="the feed is gone (HTTP 410)",
        )
    )
    gone = await db.feeds.get(feed.id)
    assert gone is not None
    assert gone.enabled is False
    assert gone.status is FeedStatus.DISABLED
    assert gone.disabled_reason == "the feed is gone (HTTP 410)"
    assert await db.feeds.due(t4 + timedelta(days=1)) == []


async def test_a_permanent_redirect_moves_the_url_unless_taken(db: Storage) -> None:
    feed = await add_feed(db, "Moving", url="https://old.example/rss")
    taken = await add_feed(db, "Taken", url="https://taken.example/rss")
    await db.items.apply(poll(feed, new_url="https://new.example/rss"))
    moved = await db.feeds.get(feed.id)
    assert moved is not None and moved.url == "https://new.example/rss"
    # Another feed of the same scope has the target: keep the URL, store the poll anyway.
    await db.items.apply(poll(feed, [draft("a")], new_url=taken.url))
    kept = await db.feeds.get(feed.id)
    assert kept is not None and kept.url == "https://new.example/rss"
    assert kept.item_count == 1


async def test_apply_for_a_removed_feed_is_ignored(db: Storage) -> None:
    feed = await add_feed(db)
    await db.feeds.remove(feed.id)
    await db.items.apply(poll(feed, [tagged(draft("a"), "amazon")]))
    assert await db.items.count() == 0


async def test_latest_newest_first_with_paging(db: Storage) -> None:
    feed = await add_feed(db)
    await db.items.apply(
        poll(feed, [draft(f"k{n}", published=T0 - timedelta(hours=n)) for n in range(5)])
    )
    page = await db.items.latest(LatestRequest(limit=3))
    assert [i.key for i in page.items] == ["k0", "k1", "k2"]
    assert page.has_more is True
    rest = await db.items.latest(LatestRequest(limit=5))
    assert len(rest.items) == 5 and rest.has_more is False
    assert (await db.items.latest(LatestRequest(limit=0))).items == ()
    assert (await db.items.latest(LatestRequest(limit=-5))).items == ()


async def test_latest_filters_by_company_and_feed(db: Storage) -> None:
    one = await add_feed(db, "One")
    two = await add_feed(db, "Two")
    await db.items.apply(
        poll(one, [tagged(draft("a", published=T0), "temu"), tagged(draft("b"), "shein")])
    )
    await db.items.apply(poll(two, [tagged(draft("c"), "temu", "shein")]))
    temu = await db.items.latest(LatestRequest(company="temu"))
    assert {i.key for i in temu.items} == {"a", "c"}
    feed_two = await db.items.latest(LatestRequest(feed_id=two.id))
    assert [i.key for i in feed_two.items] == ["c"]
    both = await db.items.latest(LatestRequest(company="shein", feed_id=one.id))
    assert [i.key for i in both.items] == ["b"]
    assert (await db.items.latest(LatestRequest(company="nobody"))).items == ()


async def test_latest_scope_isolation(db: Storage) -> None:
    shared = await add_feed(db, "Shared")
    mine = await add_feed(db, "Mine", guild_id=GUILD_A)
    theirs = await add_feed(db, "Theirs", guild_id=GUILD_B)
    await db.items.apply(poll(shared, [draft("shared")]))
    await db.items.apply(poll(mine, [draft("a-private")]))
    await db.items.apply(poll(theirs, [draft("b-private")]))

    async def keys(request: LatestRequest) -> set[str]:
        return {i.key for i in (await db.items.latest(request)).items}

    assert await keys(LatestRequest()) == {"shared"}
    assert await keys(LatestRequest(guild_id=GUILD_A)) == {"shared", "a-private"}
    assert await keys(LatestRequest(guild_id=GUILD_B)) == {"shared", "b-private"}
    assert await keys(LatestRequest(all_guilds=True)) == {"shared", "a-private", "b-private"}
    # Asking for another guild's feed by id shows nothing.
    assert await keys(LatestRequest(guild_id=GUILD_B, feed_id=mine.id)) == set()


async def test_items_of_disabled_feeds_stay_visible(db: Storage) -> None:
    feed = await add_feed(db)
    await db.items.apply(poll(feed, [draft("a")]))
    await db.feeds.set_enabled(feed.id, False, "paused")
    assert [i.key for i in (await db.items.latest(LatestRequest())).items] == ["a"]


async def test_concurrent_writers_never_see_database_is_locked(db: Storage) -> None:
    feeds = [await add_feed(db, f"Feed {n}") for n in range(20)]

    async def writer(n: int) -> None:
        feed = feeds[n % len(feeds)]
        drafts = [tagged(draft(f"{n}-{k}", f"Temu item {n} {k}"), "temu") for k in range(10)]
        await db.items.apply(poll(feed, drafts, at=T0 + timedelta(seconds=n)))
        await db.meta.set(f"writer-{n}", "done")

    async def reader() -> None:
        for _ in range(20):
            await db.items.latest(LatestRequest(company="temu"))
            await db.feeds.list_feeds()

    await asyncio.gather(*(writer(n) for n in range(100)), *(reader() for _ in range(5)))
    assert await db.items.count() == 1000
    assert sum(f.item_count for f in await db.feeds.list_feeds()) == 1000


async def test_two_database_objects_on_one_file_share_the_write_lock(sqlite_db: Database) -> None:
    # A second process (here: a second Database on the same file) waits via busy_timeout.
    db = sqlite_db
    other = await Database.open(db.path)
    try:
        feed = await add_feed(db)

        async def apply_many(target: Database, prefix: str) -> None:
            for n in range(20):
                await target.items.apply(poll(feed, [draft(f"{prefix}{n}")]))

        await asyncio.gather(apply_many(db, "a"), apply_many(other, "b"))
    finally:
        await other.close()
    assert await db.items.count() == 40


async def test_latest_by_company_follows_published_dates_after_changes(db: Storage) -> None:
    feed = await add_feed(db)
    other = await add_feed(db, "Other", guild_id=GUILD_A)
    await db.items.apply(
        poll(
            feed,
            [tagged(draft(f"k{n}", published=T0 - timedelta(hours=n)), "temu") for n in range(5)],
        )
    )
    await db.items.apply(poll(other, [tagged(draft("private"), "temu")]))
    page = await db.items.latest(LatestRequest(company="temu", limit=3))
    assert [i.key for i in page.items] == ["k0", "k1", "k2"]
    assert page.has_more is True
    # k4 gets a newer date: it moves to the top of the company's list too.
    moved = tagged(draft("k4", "Updated", published=T0 + timedelta(minutes=5)), "temu")
    await db.items.apply(poll(feed, changed=[moved], at=T0 + timedelta(minutes=10)))
    page = await db.items.latest(LatestRequest(company="temu", limit=2))
    assert [i.key for i in page.items] == ["k4", "k0"]
    mine = await db.items.latest(LatestRequest(company="temu", guild_id=GUILD_A, limit=10))
    assert [i.key for i in mine.items][:2] == ["k4", "private"]
    assert len(mine.items) == 6


async def test_a_failing_apply_changes_nothing(db: Storage) -> None:
    feed = await add_feed(db)
    broken = draft("b")
    # NOT NULL, and read by no step before the statements (a title is: search folds it first),
    # so the apply fails mid-transaction.
    object.__setattr__(broken, "content_hash", None)
    with pytest.raises((sqlite3.IntegrityError, asyncpg.NotNullViolationError)):
        await db.items.apply(poll(feed, [draft("a"), broken], etag='"x"'))
    stored = await db.feeds.get(feed.id)
    assert stored is not None
    assert (stored.status, stored.etag, stored.item_count) == (FeedStatus.NEW, None, 0)
    assert await db.items.count() == 0
    await db.items.apply(poll(feed, [draft("a")]))  # the connection is usable again
    assert await db.items.count() == 1


async def test_duplicate_keys_in_one_poll_are_stored_once(db: Storage) -> None:
    feed = await add_feed(db)
    await db.items.apply(
        poll(feed, [tagged(draft("a", "First"), "temu"), tagged(draft("a", "Second"), "shein")])
    )
    items = await _all(db)
    assert len(items) == 1
    assert await db.items.count() == 1


async def test_cancelled_writers_leave_no_open_transaction(db: Storage) -> None:
    feed = await add_feed(db)
    for steps in range(12):
        task = asyncio.create_task(
            db.items.apply(poll(feed, [draft(f"c{steps}-{n}") for n in range(20)]))
        )
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # Whatever point the cancellation hit, the next transaction starts cleanly.
        await db.meta.set("after-cancel", str(steps))
    count = await db.items.count()
    assert count % 20 == 0  # each poll is all or nothing
    assert count == sum(f.item_count for f in await db.feeds.list_feeds())


async def test_close_waits_for_the_write_in_progress(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "shopwire.db")
    feed = await add_feed(db)
    writing = asyncio.create_task(db.items.apply(poll(feed, [draft(f"k{n}") for n in range(200)])))
    await asyncio.sleep(0)
    await db.close()
    await writing
    async with await Database.open(tmp_path / "shopwire.db") as again:
        assert await again.items.count() == 200
