"""The DigestRepository and GuildSettingsRepository ports on both backends (the digest log and
per-server settings); a SQLite file of release 4 gains them."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.news.model.vocabulary import DigestState, SubscriptionMode
from bot.news.ports import DigestRepository, GuildSettingsRepository, Storage
from storage import Database
from storage._sql import to_db_time
from storage.migrations import SCHEMA_VERSION
from tests.storage.conftest import T0, add_subscription, database_at

DAY = timedelta(days=1)


async def test_the_repositories_implement_their_ports(storage: Storage) -> None:
    digests: DigestRepository = storage.digests
    settings: GuildSettingsRepository = storage.guild_settings
    assert digests is not None and settings is not None


async def test_a_period_is_planned_once_ever(storage: Storage) -> None:
    sub = await add_subscription(storage, mode=SubscriptionMode.DAILY)
    assert await storage.digests.plan(sub.id, T0, T0 + DAY, T0 + DAY)
    assert not await storage.digests.plan(sub.id, T0, T0 + DAY, T0 + DAY)
    assert await storage.digests.plan(sub.id, T0 + DAY, T0 + 2 * DAY, T0 + 2 * DAY)
    assert not await storage.digests.plan(999, T0, T0 + DAY, T0 + DAY)  # no such subscription
    due = await storage.digests.due(T0 + 2 * DAY, 10)
    assert [(d.period_start, d.period_end) for d in due] == [
        (T0, T0 + DAY),
        (T0 + DAY, T0 + 2 * DAY),
    ]
    assert due[0].subscription == sub
    assert due[0].state is DigestState.PENDING


async def test_due_skips_paused_subscriptions_and_digests_waiting_for_a_retry(
    storage: Storage,
) -> None:
    a = await add_subscription(storage, channel_id=1, mode=SubscriptionMode.DAILY)
    b = await add_subscription(storage, channel_id=2, mode=SubscriptionMode.DAILY)
    await storage.digests.plan(a.id, T0, T0 + DAY, T0 + DAY)
    await storage.digests.plan(b.id, T0, T0 + DAY, T0 + DAY)
    [for_a, for_b] = await storage.digests.due(T0 + DAY, 10)
    await storage.subscriptions.pause(a.id, "missing Send Messages", T0 + DAY)
    await storage.digests.mark_retry(for_b.id, "HTTP 500", T0 + DAY + timedelta(minutes=1))
    assert await storage.digests.due(T0 + DAY, 10) == []
    [again] = await storage.digests.due(T0 + DAY + timedelta(minutes=1), 10)
    assert (again.id, again.attempts, again.last_error) == (for_b.id, 1, "HTTP 500")
    await storage.subscriptions.resume(a.id)
    assert len(await storage.digests.due(T0 + DAY + timedelta(minutes=1), 10)) == 2
    assert await storage.digests.due(T0 + DAY, 0) == []
    assert for_a.subscription.id == a.id


async def test_a_finished_digest_never_becomes_due_again(storage: Storage) -> None:
    sub = await add_subscription(storage, mode=SubscriptionMode.DAILY)
    await storage.digests.plan(sub.id, T0, T0 + DAY, T0 + DAY)
    [entry] = await storage.digests.due(T0 + DAY, 10)
    await storage.digests.mark_sent(entry.id, 4242, T0 + DAY)
    # Late or repeated marks change nothing.
    await storage.digests.mark_retry(entry.id, "late", T0 + 2 * DAY)
    await storage.digests.finish(entry.id, DigestState.DROPPED, "late")
    await storage.digests.mark_sent(entry.id, 1, T0 + 2 * DAY)
    latest = await storage.digests.latest(sub.id)
    assert latest is not None
    assert (latest.state, latest.message_id, latest.sent_at) == (DigestState.SENT, 4242, T0 + DAY)
    assert await storage.digests.due(T0 + 3 * DAY, 10) == []
    with pytest.raises(ValueError):
        await storage.digests.finish(entry.id, DigestState.SENT, None)


async def test_latest_is_the_most_recent_period(storage: Storage) -> None:
    sub = await add_subscription(storage, mode=SubscriptionMode.DAILY)
    assert await storage.digests.latest(sub.id) is None
    await storage.digests.plan(sub.id, T0 + DAY, T0 + 2 * DAY, T0 + 2 * DAY)
    await storage.digests.plan(sub.id, T0, T0 + DAY, T0 + 2 * DAY)
    [_, newest] = await storage.digests.due(T0 + 2 * DAY, 10)  # oldest period first
    await storage.digests.finish(newest.id, DigestState.EMPTY, "no matching stories")
    latest = await storage.digests.latest(sub.id)
    assert latest is not None and latest.period_start == T0 + DAY
    assert (latest.state, latest.last_error) == (DigestState.EMPTY, "no matching stories")


async def test_removing_a_subscription_removes_its_digests(storage: Storage) -> None:
    sub = await add_subscription(storage, mode=SubscriptionMode.DAILY)
    await storage.digests.plan(sub.id, T0, T0 + DAY, T0 + DAY)
    await storage.subscriptions.remove(sub.id)
    assert await storage.digests.due(T0 + DAY, 10) == []
    assert await storage.digests.latest(sub.id) is None


async def test_guild_time_zones(storage: Storage) -> None:
    assert await storage.guild_settings.timezone(1) is None
    await storage.guild_settings.set_timezone(1, "Europe/Paris", T0)
    await storage.guild_settings.set_timezone(2, "Asia/Singapore", T0)
    await storage.guild_settings.set_timezone(1, "America/New_York", T0 + DAY)
    assert await storage.guild_settings.timezone(1) == "America/New_York"
    assert await storage.guild_settings.timezones() == [
        (1, "America/New_York"),
        (2, "Asia/Singapore"),
    ]


async def test_a_version_4_database_gains_digests_and_keeps_its_subscriptions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shopwire.db"
    async with database_at(path, 4):
        pass
    with sqlite3.connect(path) as raw:
        # Written as release 4 wrote it: today's repository knows later columns.
        raw.execute(
            "INSERT INTO subscriptions (guild_id, channel_id, mode, created_at)"
            " VALUES (1, 10, 'weekly', ?)",
            (to_db_time(T0),),
        )
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert "digests" not in tables and "guild_settings" not in tables
    async with await Database.open(path) as db:
        [kept] = await db.subscriptions.list_all()
        assert kept.mode is SubscriptionMode.WEEKLY and kept.post_hour == 9
        assert await db.digests.plan(kept.id, T0, T0 + 7 * DAY, T0 + 7 * DAY)
        await db.guild_settings.set_timezone(1, "UTC", T0)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = {row[1] for row in raw.execute("PRAGMA table_info(outbox)")}
    assert "roundup" in columns
