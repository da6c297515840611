"""A deleted channel's 404 strikes live in its subscription's row, on both backends: a bot
restarted more often than the rule's 20 minutes (which forgot them at every start) still
disables a deleted channel, after the same 3 tries 10 minutes apart; disabling drops the
subscription's pending digests too."""

from __future__ import annotations

from datetime import timedelta

from bot.news.model.vocabulary import (
    DISABLED_MARK,
    DigestState,
    NotFoundStrikes,
    PlannedPost,
    PostOutcome,
    SubscriptionMode,
)
from bot.news.ports import Storage
from bot.news.services.delivery import DeliveryOptions, DeliverySender
from storage import open_storage
from tests.fakes.clock import FakeClock
from tests.news.test_delivery import RecordingPublisher
from tests.storage.conftest import T0, add_feed, add_subscription, draft, poll

MINUTE = timedelta(minutes=1)


async def test_strikes_are_counted_kept_across_a_reopen_and_cleared(storage_url: str) -> None:
    storage = await open_storage(storage_url)
    try:
        sub = await add_subscription(storage)
        assert sub.not_found is None
        repo = storage.subscriptions
        assert await repo.strike_not_found(sub.id, T0) == NotFoundStrikes(1, T0, T0)
        later = T0 + 10 * MINUTE
        assert await repo.strike_not_found(sub.id, later) == NotFoundStrikes(2, T0, later)
        assert await repo.strike_not_found(sub.id + 1, later) is None  # no such subscription
    finally:
        await storage.close()
    storage = await open_storage(storage_url)  # a restart
    try:
        kept = await storage.subscriptions.get(sub.id)
        assert kept is not None and kept.not_found == NotFoundStrikes(2, T0, later)
        assert [s.not_found for s in await storage.subscriptions.list_all()] == [kept.not_found]
        await storage.subscriptions.clear_not_found(sub.id)
        cleared = await storage.subscriptions.get(sub.id)
        assert cleared is not None and cleared.not_found is None
    finally:
        await storage.close()


async def test_disabling_drops_pending_digests_and_forgets_the_strikes(storage: Storage) -> None:
    sub = await add_subscription(storage, mode=SubscriptionMode.DAILY)
    assert await storage.digests.plan(sub.id, T0 - timedelta(days=1), T0, T0)
    await storage.subscriptions.strike_not_found(sub.id, T0)
    reason = f"{DISABLED_MARK}the channel was not found 3 times over 20 min"
    assert await storage.subscriptions.disable(sub.id, reason, T0) == 1
    latest = await storage.digests.latest(sub.id)
    assert latest is not None
    assert (latest.state, latest.last_error) == (DigestState.DROPPED, reason)
    disabled = await storage.subscriptions.get(sub.id)
    assert disabled is not None and disabled.disabled and disabled.not_found is None


async def test_a_bot_restarted_every_five_minutes_still_disables_a_deleted_channel(
    storage_url: str,
) -> None:
    clock = FakeClock(T0)
    publisher = RecordingPublisher(outcomes={10: [PostOutcome.NOT_FOUND] * 100})
    publisher.missing[10] = "the channel no longer exists or the bot cannot see it"
    storage = await open_storage(storage_url)
    try:
        feed = await add_feed(storage)
        sub = await add_subscription(storage, guild_id=1, channel_id=10)
        planned = (PlannedPost(sub.id, "a"),)
        await storage.items.apply(poll(feed, [draft("a")], at=T0, planned_posts=planned))
    finally:
        await storage.close()
    disabled_at = None
    for minute in range(120):
        if minute % 5 == 0:  # a restart: a new process, a new sender, only the database kept
            storage = await open_storage(storage_url)
            running = DeliverySender(
                outbox=storage.outbox,
                subscriptions=storage.subscriptions,
                publisher=publisher,
                clock=clock,
                options=DeliveryOptions(max_age=timedelta(days=3)),
            )
        await running.drain()
        stored = await storage.subscriptions.get(sub.id)
        assert stored is not None
        if stored.disabled and disabled_at is None:
            disabled_at = minute
        clock.advance(MINUTE)
        if minute % 5 == 4:
            await storage.close()
    assert disabled_at is not None and disabled_at <= 30  # 3 tries, 10 minutes apart
    assert len(publisher.outcomes[10]) == 100 - 3  # one try per cool-off, restarts or not
    storage = await open_storage(storage_url)
    try:
        stored = await storage.subscriptions.get(sub.id)
        assert stored is not None and stored.paused_reason is not None
        assert "not found 3 times over 20 min" in stored.paused_reason
        assert await storage.outbox.pending_count(sub.id) == 0
    finally:
        await storage.close()
