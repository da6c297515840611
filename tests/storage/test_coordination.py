"""Several processes over one PostgreSQL database (issue 10): one leader at a time through an
advisory lock, announcements of queued posts, and claims on subscriptions' delivery.

Each "process" is a Coordination of its own over its own pool, on a schema of its own in the
test server (so other tests' databases never share a leader or an announcement)."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.news.model.errors import ShardCountMismatch, StorageError, UnshardedGatewayConflict
from bot.news.model.vocabulary import Shards
from bot.news.ports import Coordination, Storage
from storage import open_storage
from storage.coordination import open_coordination, refusal
from storage.postgres import coordination as pg_coordination
from tests.ceiling import CEILING
from tests.fakes.stalling_proxy import StallingProxy
from tests.storage.conftest import T0, add_feed, add_subscription, draft, fresh_postgres_url

LEASE = timedelta(minutes=2)


@asynccontextmanager
async def process(
    url: str, coordination_url: str | None = None
) -> AsyncIterator[tuple[Storage, Coordination]]:
    """One process's storage and coordination over the database ``url`` names (the
    coordination's own connections from ``coordination_url``, when given)."""
    storage = await open_storage(url)
    coordination = open_coordination(storage, coordination_url or url)
    try:
        yield storage, coordination
    finally:
        await coordination.close()
        await storage.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with fresh_postgres_url() as url:
        yield url


async def test_one_process_leads_and_another_takes_over_when_it_stops(pg_url: str) -> None:
    async with process(pg_url) as (_, first), process(pg_url) as (_, second):
        assert await first.lead() is True
        assert await second.lead() is False
        assert await first.lead() is True  # still, while its session lasts
        await first.close()
        assert await second.lead() is True
        assert await first.lead() is False  # the lead is second's now


async def test_a_leader_whose_connection_is_ended_loses_the_lead(pg_url: str) -> None:
    name = f"leader_{uuid.uuid4().hex[:8]}"
    leader_url = f"{pg_url}&application_name={name}"
    async with process(pg_url, leader_url) as (_, leader), process(pg_url) as (_, other):
        assert await leader.lead() is True
        admin = await asyncpg.connect(pg_url)
        try:  # the server ends the leader's session (as when its machine dies): lock freed
            # With a timeout, pg_terminate_backend returns once the session is gone.
            ended = await admin.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, $2))"
                " FROM pg_stat_activity WHERE application_name = $1",
                name,
                int(CEILING * 1000),
            )
        finally:
            await admin.close()
        assert ended >= 1
        # The lock went with the session: the other process takes the lead at its next try,
        # and the old leader, reconnected, finds it taken.
        assert await other.lead() is True
        assert await leader.lead() is False
        assert await other.lead() is True


async def test_leaders_of_two_databases_on_one_server_do_not_meet(pg_url: str) -> None:
    async with (
        fresh_postgres_url() as other_url,
        process(pg_url) as (_, here),
        process(other_url) as (_, there),
    ):
        assert await here.lead() is True
        assert await there.lead() is True


async def test_an_announcement_wakes_the_listeners_of_its_database_only(pg_url: str) -> None:
    async with (
        fresh_postgres_url() as other_url,
        process(pg_url) as (_, gateway),
        process(pg_url) as (_, poller),
        process(other_url) as (_, stranger),
    ):
        woken = asyncio.Event()
        wrongly = asyncio.Event()
        gateway.on_posts(woken.set)
        stranger.on_posts(wrongly.set)

        async def keep_announcing() -> None:
            # The listener connects in the background; an announcement before that is lost
            # (the deliverer's tick is the fallback), so announce until one is heard.
            while True:
                await poller.announce_posts()
                await asyncio.sleep(0.1)

        announcing = asyncio.create_task(keep_announcing())
        try:
            await asyncio.wait_for(woken.wait(), CEILING)
        finally:
            announcing.cancel()
            await asyncio.gather(announcing, return_exceptions=True)
        assert not wrongly.is_set()


async def test_two_gateways_never_claim_one_subscription_at_once(pg_url: str) -> None:
    async with process(pg_url) as (storage, a), process(pg_url) as (_, b):
        feed = await add_feed(storage)
        subscription = await add_subscription(storage)
        first = a.delivery_claims("gateway-a", LEASE)
        second = b.delivery_claims("gateway-b", LEASE)
        claims = await asyncio.gather(
            *(claim.claim(subscription.id, [], T0) for claim in (first, second) * 5)
        )
        winners = {n % 2 for n, got in enumerate(claims) if got is not None}
        assert len(winners) == 1
        holder, other = (first, second) if winners == {0} else (second, first)
        assert await other.claim(subscription.id, [], T0 + LEASE / 2) is None
        await holder.release(subscription.id)
        assert await other.claim(subscription.id, [], T0 + LEASE / 2) == set()
        # A claim that ran out (a killed gateway) is taken over.
        assert await holder.claim(subscription.id, [], T0 + LEASE) is None
        assert await holder.claim(subscription.id, [], T0 + LEASE / 2 + LEASE) == set()
        assert feed.id > 0


async def test_a_claim_returns_only_the_posts_still_pending(pg_url: str) -> None:
    from tests.storage.conftest import poll

    async with process(pg_url) as (storage, coordination):
        feed = await add_feed(storage)
        subscription = await add_subscription(storage)
        await storage.items.apply(
            poll(feed, [draft("a"), draft("b")], planned_posts=_posts(subscription.id, "a", "b"))
        )
        entries = await storage.outbox.due(T0, 10)
        assert len(entries) == 2
        await storage.outbox.mark_sent(entries[0].id, 42, T0)  # another gateway sent it
        claims = coordination.delivery_claims("gateway", LEASE)
        pending = await claims.claim(subscription.id, [e.id for e in entries], T0)
        assert pending == {entries[1].id}


async def test_a_shard_is_served_by_one_live_process_and_taken_back_after_it_ends(
    pg_url: str,
) -> None:
    async with process(pg_url) as (_, first), process(pg_url) as (_, second):
        assert await first.hold_shards(Shards((0, 1), 4)) == ()
        assert await second.hold_shards(Shards((1, 2, 3), 4)) == (1,)
        # A refused process takes none of them: shards 2 and 3 are still free.
        async with process(pg_url) as (_, third):
            assert await third.hold_shards(Shards((2, 3), 4)) == ()
        await first.close()  # its session ends (as a killed process's does)
        assert await second.hold_shards(Shards((0, 1), 4)) == ()


async def test_a_gateway_with_another_shard_count_is_refused_while_one_runs(
    pg_url: str,
) -> None:
    async with process(pg_url) as (_, first), process(pg_url) as (_, second):
        assert await first.hold_shards(Shards((0, 1), 4)) == ()
        # Shard 2 is free, but of 8 it names other guilds than shard 2 of 4.
        with pytest.raises(ShardCountMismatch) as refused:
            await second.hold_shards(Shards((2,), 8))
        assert (refused.value.running, refused.value.asked) == (4, 8)
        assert "--shard-count 8" in str(refused.value) and "\n" not in str(refused.value)
        async with process(pg_url) as (_, third):
            assert await third.hold_shards(Shards((2, 3), 4)) == ()  # the same count: served
            await first.close()
            with pytest.raises(ShardCountMismatch):  # one gateway of 4 still runs
                await second.hold_shards(Shards((0,), 8))
        # No gateway runs any more (a killed one's session ends the same way): the count may
        # change, and the new one is what the next gateways must use.
        assert await second.hold_shards(Shards((0, 1), 8)) == ()
        async with process(pg_url) as (_, fourth):
            with pytest.raises(ShardCountMismatch) as again:
                await fourth.hold_shards(Shards((2, 3), 4))
            assert again.value.running == 8


async def test_gateways_starting_together_with_two_counts_are_not_both_served(
    pg_url: str,
) -> None:
    async with process(pg_url) as (_, first), process(pg_url) as (_, second):
        results = await asyncio.gather(
            first.hold_shards(Shards((0,), 2)),
            second.hold_shards(Shards((1,), 3)),
            return_exceptions=True,
        )
        assert sorted(type(result).__name__ for result in results) == [
            "ShardCountMismatch",
            "tuple",
        ]


async def test_the_end_of_the_connection_holding_the_shards_is_noticed(pg_url: str) -> None:
    async with process(pg_url) as (_, first), process(pg_url) as (_, second):
        assert await first.hold_shards(Shards((0, 1), 4)) == ()
        watching = asyncio.create_task(first.shards_lost())
        database = await asyncpg.connect(pg_url)
        try:
            # The server ends the session (as a restart does): its locks go with it.
            ended = await database.fetchval(TERMINATE_SHARD_HOLDERS)
            assert ended == 1
            reason = await asyncio.wait_for(watching, CEILING)
        finally:
            await database.close()
        assert reason == "the connection to the database ended"
        assert await second.hold_shards(Shards((0, 1), 4)) == ()  # free for another gateway


async def test_a_connection_holding_the_shards_that_stops_answering_is_a_lost_hold(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() != 0:
        # test_a_hold_whose_connection_stops_answering_is_lost_without_root covers the same
        # path for everyone, through a proxy; this one stops the real backend.
        pytest.skip("stopping the server's backend process needs root")
    monkeypatch.setattr(pg_coordination, "SHARDS_CHECK", 0.2)
    async with process(pg_url) as (_, coordination):
        assert await coordination.hold_shards(Shards((0,), 2)) == ()
        database = await asyncpg.connect(pg_url)
        try:
            [backend] = [row[0] for row in await database.fetch(_SHARD_HOLDERS)]
        finally:
            await database.close()
        os.kill(backend, signal.SIGSTOP)  # a hung server or a cut network: no answer at all
        try:
            reason = await asyncio.wait_for(coordination.shards_lost(), CEILING)
        finally:
            os.kill(backend, signal.SIGCONT)
        assert reason == "the database did not answer within 0.2 seconds"


@pytest.mark.parametrize("unsharded", [False, True], ids=["shards", "unsharded"])
async def test_a_hold_whose_connection_stops_answering_is_lost_without_root(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, unsharded: bool
) -> None:
    # The coordination's own connections go through a proxy that stops forwarding: the server
    # still runs and the session still holds its locks, but nothing answers any more.
    monkeypatch.setattr(pg_coordination, "SHARDS_CHECK", 0.2)
    proxy = await StallingProxy.to(pg_url).start()
    try:
        async with process(pg_url, proxy.url(pg_url)) as (_, coordination):
            if unsharded:
                await coordination.hold_unsharded()
            else:
                assert await coordination.hold_shards(Shards((0,), 2)) == ()
            proxy.stall()
            reason = await asyncio.wait_for(coordination.shards_lost(), CEILING)
            await proxy.stop()  # the session ends with its client: closing is quick
    finally:
        await proxy.stop()
    assert reason == "the database did not answer within 0.2 seconds"


async def test_closing_the_coordination_is_no_lost_hold(pg_url: str) -> None:
    async with process(pg_url) as (_, coordination):
        assert await coordination.shards_lost() is None  # nothing held
        assert await coordination.hold_shards(Shards((0,), 2)) == ()
        watching = asyncio.create_task(coordination.shards_lost())
        await asyncio.sleep(0)
        await coordination.close()
        assert await asyncio.wait_for(watching, CEILING) is None


# The shard locks are the only one-key (bigint) advisory locks (objsubid 1); this schema's
# have its hash in their high half (classid).
_SHARD_HOLDERS = """
SELECT DISTINCT pid FROM pg_locks
WHERE locktype = 'advisory' AND objsubid = 1 AND granted
AND classid = (hashtext(current_schema())::bigint & 4294967295)::oid
"""

TERMINATE_SHARD_HOLDERS = """
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM (
    SELECT DISTINCT pid FROM pg_locks
    WHERE locktype = 'advisory' AND objsubid = 1 AND granted
    AND classid = (hashtext(current_schema())::bigint & 4294967295)::oid
) AS holders
"""


async def test_an_unsharded_process_serves_alone_until_it_ends(pg_url: str) -> None:
    async with process(pg_url) as (_, first), process(pg_url) as (_, second):
        await first.hold_unsharded()
        with pytest.raises(UnshardedGatewayConflict) as refused:
            await second.hold_unsharded()
        assert refused.value.unsharded
        line = str(refused.value)
        assert "--shards" in line and "--shard-count" in line and "\n" not in line
        await first.close()  # its session ends (as a killed process's does)
        await second.hold_unsharded()


async def test_an_unsharded_process_and_a_sharded_one_never_serve_together(pg_url: str) -> None:
    async with process(pg_url) as (_, unsharded), process(pg_url) as (_, sharded):
        await unsharded.hold_unsharded()
        with pytest.raises(UnshardedGatewayConflict) as refused:
            await sharded.hold_shards(Shards((0,), 2))
        assert not refused.value.unsharded
        assert "without --shard-count" in str(refused.value)
        await unsharded.close()
        # Refused, it took nothing, and recorded no shard count: any count may start now.
        assert await sharded.hold_shards(Shards((0,), 4)) == ()
        async with process(pg_url) as (_, late):
            with pytest.raises(UnshardedGatewayConflict) as again:
                await late.hold_unsharded()  # a sharded process serves shard 0 of 4
            assert again.value.unsharded
            assert await late.hold_shards(Shards((1, 2, 3), 4)) == ()


async def test_an_unsharded_hold_ending_is_noticed_and_frees_every_server(pg_url: str) -> None:
    async with process(pg_url) as (_, first), process(pg_url) as (_, second):
        await first.hold_unsharded()
        watching = asyncio.create_task(first.shards_lost())
        database = await asyncpg.connect(pg_url)
        try:
            assert await database.fetchval(TERMINATE_EVERY_GUILD_HOLDERS) == 1
            reason = await asyncio.wait_for(watching, CEILING)
        finally:
            await database.close()
        assert reason == "the connection to the database ended"
        await second.hold_unsharded()


async def test_holding_every_server_gives_up_a_dead_holders_claims(pg_url: str) -> None:
    async with process(pg_url) as (storage, coordination):
        subscriptions = [
            await add_subscription(storage, guild_id=guild << 22, channel_id=guild)
            for guild in (1, 2)
        ]
        dead = coordination.delivery_claims("killed gateway", LEASE)
        for subscription in subscriptions:
            assert await dead.claim(subscription.id, [], T0) == set()
        await coordination.hold_unsharded()
        claims = coordination.delivery_claims("restarted gateway", LEASE)
        for subscription in subscriptions:
            assert await claims.claim(subscription.id, [], T0) == set()


# The unsharded hold is a two-key advisory lock (objsubid 2): EVERY_GUILD_LOCK and this
# schema's hash.
TERMINATE_EVERY_GUILD_HOLDERS = f"""
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM (
    SELECT DISTINCT pid FROM pg_locks
    WHERE locktype = 'advisory' AND objsubid = 2 AND granted
    AND classid = {pg_coordination.EVERY_GUILD_LOCK}::oid
    AND objid = hashtext(current_schema())::oid
) AS holders
"""


async def test_shards_of_another_database_are_not_this_ones(pg_url: str) -> None:
    async with (
        fresh_postgres_url() as other_url,
        process(pg_url) as (_, here),
        process(other_url) as (_, there),
    ):
        assert await here.hold_shards(Shards((0,), 2)) == ()
        assert await there.hold_shards(Shards((0,), 2)) == ()


async def test_taking_shards_gives_up_a_dead_holders_claims_on_their_subscriptions(
    pg_url: str,
) -> None:
    shard_0, shard_1 = 2 << 22, 1 << 22  # (id >> 22) % 2: 0 and 1
    async with process(pg_url) as (storage, coordination):
        on_0 = await add_subscription(storage, guild_id=shard_0, channel_id=1)
        on_1 = await add_subscription(storage, guild_id=shard_1, channel_id=2)
        dead = coordination.delivery_claims("killed gateway", LEASE)
        for subscription in (on_0, on_1):
            assert await dead.claim(subscription.id, [], T0) == set()
        assert await coordination.hold_shards(Shards((0,), 2)) == ()
        claims = coordination.delivery_claims("restarted gateway", LEASE)
        assert await claims.claim(on_0.id, [], T0) == set()
        assert await claims.claim(on_1.id, [], T0) is None  # another shard's: still held


def _posts(subscription_id: int, *keys: str) -> tuple[object, ...]:
    from bot.news.model.vocabulary import PlannedPost

    return tuple(PlannedPost(subscription_id, key) for key in keys)


def test_roles_other_than_all_are_refused_on_sqlite_in_one_line(tmp_path: Path) -> None:
    for db in ("shopwire.db", f"sqlite:///{tmp_path}/x.db"):
        assert refusal(db, "all") is None
        for role in ("poller", "gateway"):
            line = refusal(db, role)
            assert line is not None and "\n" not in line
            assert f"--role {role} needs a PostgreSQL database" in line
            assert "one writer" in line
    assert refusal("postgresql://u@h/db", "poller") is None
    assert not (tmp_path / "x.db").exists()


async def test_a_sqlite_database_has_no_coordination(tmp_path: Path) -> None:
    storage = await open_storage(str(tmp_path / "s.db"))
    try:
        with pytest.raises(StorageError, match="PostgreSQL"):
            open_coordination(storage, str(tmp_path / "s.db"))
    finally:
        await storage.close()


@asynccontextmanager
async def frozen_capable(
    url: str, idle_limit: float
) -> AsyncIterator[pg_coordination.PostgresCoordination]:
    """A process whose lock-holding sessions the server ends after ``idle_limit`` s of silence."""
    from storage.postgres.storage import PostgresStorage

    storage = await open_storage(url)
    assert isinstance(storage, PostgresStorage)
    coordination = pg_coordination.PostgresCoordination(
        url, storage.pool, held_idle_limit=idle_limit
    )
    try:
        yield coordination
    finally:
        await coordination.close()
        await storage.close()


async def test_a_frozen_leader_loses_the_lead_once_its_session_falls_silent(pg_url: str) -> None:
    # Probe: a leader stopped with SIGSTOP kept its session, so the advisory lock, for as long
    # as it lived: no other gateway assigned stories or posted digests meanwhile.
    async with frozen_capable(pg_url, 1.0) as first, process(pg_url) as (_, second):
        assert await first.lead() is True
        assert await second.lead() is False
        # Frozen: nothing more is sent on its sessions (its heartbeat is what a live one runs).
        assert first._heartbeat is not None
        first._heartbeat.cancel()
        async with asyncio.timeout(CEILING):
            while True:
                if await second.lead():
                    break
                await asyncio.sleep(0.2)
        assert await first.lead() is False  # woken, it finds its session ended


async def test_a_live_leader_keeps_the_lead_past_the_idle_limit(pg_url: str) -> None:
    async with frozen_capable(pg_url, 1.0) as first, process(pg_url) as (_, second):
        assert await first.lead() is True
        await asyncio.sleep(3.0)  # three idle limits without a step: the heartbeat speaks
        assert await second.lead() is False
        assert await first.lead() is True
