"""The SubscriptionRepository port on both backends: add, list, pause/resume, remove and guild
isolation."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import asyncpg
import pytest

from bot.news.model.vocabulary import (
    DISABLED_MARK,
    MessageStyle,
    NewSubscription,
    PlannedPost,
    PostFormat,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
)
from bot.news.ports import Storage
from storage import Database, subscriptions
from tests.storage.conftest import T0, add_feed, add_subscription, draft, poll

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222


async def test_add_and_get_round_trip(storage: Storage) -> None:
    created = await storage.subscriptions.add(
        NewSubscription(
            guild_id=GUILD_A,
            channel_id=9_000_000_000_000_001,
            filter=SubscriptionFilter(
                companies=("tiktok-shop", "temu"),
                keywords=("live shopping", "Résumé"),
                exclude=("rumour",),
            ),
            mode=SubscriptionMode.DAILY,
            created_by=7_000_000_000_000_007,
            post_hour=17,
        ),
        T0,
    )
    assert created.id > 0
    assert created.guild_id == GUILD_A
    assert created.channel_id == 9_000_000_000_000_001
    assert created.filter == SubscriptionFilter(
        ("tiktok-shop", "temu"), ("live shopping", "Résumé"), ("rumour",)
    )
    assert created.mode is SubscriptionMode.DAILY
    assert created.post_hour == 17
    assert created.created_at == T0
    assert created.created_by == 7_000_000_000_000_007
    assert (created.paused_reason, created.paused_at) == (None, None)
    assert await storage.subscriptions.get(created.id) == created


async def test_defaults_and_missing(storage: Storage) -> None:
    plain = await add_subscription(storage, GUILD_A)
    assert plain.filter == SubscriptionFilter()
    assert plain.mode is SubscriptionMode.REALTIME
    assert plain.post_hour == 9
    assert plain.created_by is None
    assert await storage.subscriptions.get(plain.id + 1000) is None


async def test_lists_by_id_and_guild_isolation(storage: Storage) -> None:
    a1 = await add_subscription(storage, GUILD_A, 1)
    b1 = await add_subscription(storage, GUILD_B, 2)
    a2 = await add_subscription(storage, GUILD_A, 3, keywords=("shein",))
    await storage.subscriptions.pause(a2.id, "403 Missing Access", T0)
    paused = await storage.subscriptions.get(a2.id)
    assert paused is not None
    a2 = paused

    assert await storage.subscriptions.list_for_guild(GUILD_A) == [a1, a2]
    assert await storage.subscriptions.list_for_guild(GUILD_B) == [b1]
    assert await storage.subscriptions.list_for_guild(333) == []
    assert await storage.subscriptions.list_all() == [a1, b1, a2]
    assert await storage.subscriptions.count_for_guild(GUILD_A) == 2  # paused ones count
    assert await storage.subscriptions.count_for_guild(GUILD_B) == 1
    assert await storage.subscriptions.count_for_guild(333) == 0


async def test_pause_and_resume(storage: Storage) -> None:
    sub = await add_subscription(storage)
    other = await add_subscription(storage, channel_id=2)
    await storage.subscriptions.pause(sub.id, "403 Missing Permissions", T0)
    paused = await storage.subscriptions.get(sub.id)
    assert paused is not None
    assert (paused.paused_reason, paused.paused_at) == ("403 Missing Permissions", T0)

    # Paused again later: the newer reason, but the time it first went silent.
    await storage.subscriptions.pause(sub.id, "404 Unknown Channel", T0 + timedelta(hours=1))
    again = await storage.subscriptions.get(sub.id)
    assert again is not None
    assert (again.paused_reason, again.paused_at) == ("404 Unknown Channel", T0)

    await storage.subscriptions.resume(sub.id)
    resumed = await storage.subscriptions.get(sub.id)
    assert resumed is not None
    assert (resumed.paused_reason, resumed.paused_at) == (None, None)
    await storage.subscriptions.resume(sub.id)  # resuming an unpaused one changes nothing
    assert await storage.subscriptions.get(sub.id) == resumed
    assert await storage.subscriptions.get(other.id) == other


async def test_disable_pauses_for_good_and_drops_pending_posts_only(storage: Storage) -> None:
    feed = await add_feed(storage)
    gone = await add_subscription(storage, channel_id=1)
    kept = await add_subscription(storage, channel_id=2)
    plans = [PlannedPost(s.id, k) for s in (gone, kept) for k in ("a", "b", "c")]
    await storage.items.apply(poll(feed, [draft(k) for k in "abc"], planned_posts=tuple(plans)))
    sent = (await storage.outbox.due(T0, 10))[0]
    assert sent.subscription_id == gone.id
    await storage.outbox.mark_sent(sent.id, 42, T0)  # the delivery log stays as it was

    reason = f"{DISABLED_MARK}the channel was not found"
    assert await storage.subscriptions.disable(gone.id, reason, T0) == 2
    disabled = await storage.subscriptions.get(gone.id)
    assert disabled is not None and disabled.disabled
    assert (disabled.paused_reason, disabled.paused_at) == (reason, T0)
    assert await storage.outbox.pending_count(gone.id) == 0
    assert await storage.outbox.pending_count(kept.id) == 3
    assert await storage.subscriptions.disable(gone.id, reason, T0) == 0

    await storage.subscriptions.resume(gone.id)  # what subscribing again does
    resumed = await storage.subscriptions.get(gone.id)
    assert resumed is not None and not resumed.disabled and resumed.paused_reason is None


async def test_operations_on_a_missing_id_do_nothing(storage: Storage) -> None:
    sub = await add_subscription(storage)
    await storage.subscriptions.pause(sub.id + 1, "gone", T0)
    await storage.subscriptions.resume(sub.id + 1)
    await storage.subscriptions.remove(sub.id + 1)
    assert await storage.subscriptions.list_all() == [sub]


async def test_remove_cascades_its_outbox_rows_only(storage: Storage) -> None:
    feed = await add_feed(storage)
    gone = await add_subscription(storage, channel_id=1)
    kept = await add_subscription(storage, channel_id=2)
    plans = [PlannedPost(s.id, k) for s in (gone, kept) for k in ("a", "b")]
    await storage.items.apply(poll(feed, [draft("a"), draft("b")], planned_posts=tuple(plans)))
    first = (await storage.outbox.due(T0, 10))[0]
    assert first.subscription_id == gone.id
    await storage.outbox.mark_sent(first.id, 42, T0)  # the delivery log goes too

    await storage.subscriptions.remove(gone.id)
    assert await storage.subscriptions.get(gone.id) is None
    assert await storage.subscriptions.list_all() == [kept]
    assert await storage.outbox.pending_count(gone.id) == 0
    assert {e.subscription_id for e in await storage.outbox.due(T0, 10)} == {kept.id}
    assert await storage.outbox.pending_count(kept.id) == 2
    assert await storage.items.count() == 2  # items are not the subscription's to delete


async def test_ids_are_never_reused(storage: Storage) -> None:
    first = await add_subscription(storage)
    await storage.subscriptions.remove(first.id)
    second = await add_subscription(storage)
    assert second.id > first.id


async def test_schema_refuses_an_impossible_post_hour(storage: Storage) -> None:
    with pytest.raises((sqlite3.IntegrityError, asyncpg.CheckViolationError), match=r"(?i)check"):
        await storage.subscriptions.add(
            NewSubscription(GUILD_A, 1, SubscriptionFilter(), post_hour=24), T0
        )
    assert await storage.subscriptions.list_all() == []


async def test_list_all_called_again_shows_every_change(storage: Storage) -> None:
    # SQLite reuses the decoded rows whose values did not change: the list must still follow
    # every change of a row, a new row and a removed one.
    sub = await add_subscription(storage)
    other = await add_subscription(storage, channel_id=2)
    assert await storage.subscriptions.list_all() == [sub, other]
    assert await storage.subscriptions.list_all() == [sub, other]

    await storage.subscriptions.pause(sub.id, "403 Missing Permissions", T0)
    paused = await storage.subscriptions.get(sub.id)
    assert await storage.subscriptions.list_all() == [paused, other]
    await storage.subscriptions.resume(sub.id)
    await storage.subscriptions.set_post_format(other.id, PostFormat(MessageStyle.COMPACT, 7))
    changed = await storage.subscriptions.get(other.id)
    assert changed is not None and changed.post_format.ping_role_id == 7
    assert await storage.subscriptions.list_all() == [sub, changed]

    await storage.subscriptions.remove(sub.id)
    third = await add_subscription(storage, channel_id=3, keywords=("temu",))
    assert await storage.subscriptions.list_all() == [changed, third]


async def test_sqlite_decodes_only_the_rows_that_changed(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    subs = [await add_subscription(sqlite_db, channel_id=n) for n in range(1, 4)]
    decoded: list[int] = []
    decode = subscriptions.subscription_from_row

    def counted(row: sqlite3.Row) -> Subscription:
        decoded.append(row["id"])
        return decode(row)

    monkeypatch.setattr(subscriptions, "subscription_from_row", counted)
    assert await sqlite_db.subscriptions.list_all() == subs
    assert decoded == [s.id for s in subs]
    decoded.clear()
    await sqlite_db.subscriptions.pause(subs[1].id, "403 Missing Permissions", T0)
    assert [s.paused_reason for s in await sqlite_db.subscriptions.list_all()] == [
        None,
        "403 Missing Permissions",
        None,
    ]
    assert decoded == [subs[1].id]


async def test_postgres_reads_the_subscriptions_again_only_when_one_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from storage import open_storage
    from storage.postgres import subscriptions as pg_subscriptions
    from tests.storage.conftest import fresh_postgres_url

    built: list[int] = []
    build = pg_subscriptions.subscription_from_row

    def counted(row: asyncpg.Record) -> Subscription:
        built.append(row["id"])
        return build(row)

    monkeypatch.setattr(pg_subscriptions, "subscription_from_row", counted)
    async with fresh_postgres_url() as url:
        poller, gateway = await open_storage(url), await open_storage(url)
        database = await asyncpg.connect(url)
        try:
            subs = [await add_subscription(gateway, channel_id=n) for n in (1, 2)]
            assert await poller.subscriptions.list_all() == subs
            built.clear()
            assert await poller.subscriptions.list_all() == subs
            # Delivery claims change the rows' leases, not what the list holds.
            await database.execute(
                "UPDATE subscriptions SET lease_owner = 'g', lease_until = now()"
            )
            assert await poller.subscriptions.list_all() == subs
            assert built == []

            # Another process's change is seen by the next fill, and so is an operator's SQL.
            await gateway.subscriptions.pause(subs[1].id, "403 Missing Permissions", T0)
            listed = await poller.subscriptions.list_all()
            assert [s.paused_reason for s in listed] == [None, "403 Missing Permissions"]
            await database.execute(
                "UPDATE subscriptions SET keywords = '{temu}' WHERE id = $1", subs[0].id
            )
            assert (await poller.subscriptions.list_all())[0].filter.keywords == ("temu",)
            await gateway.subscriptions.remove(subs[0].id)
            assert [s.id for s in await poller.subscriptions.list_all()] == [subs[1].id]
            assert await poller.subscriptions.list_all() == await gateway.subscriptions.list_all()
        finally:
            await database.close()
            await poller.close()
            await gateway.close()
