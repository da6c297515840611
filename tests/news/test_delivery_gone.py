"""A deleted channel (Discord answers 404 Unknown Channel): after a bounded number of 404s over
a bounded time its subscription is disabled with a reason, its queued posts are dropped with
that reason, nothing more is queued for it, and subscribing again resumes it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta

from bot.news.model.vocabulary import (
    DISABLED_MARK,
    OutboxState,
    PostOutcome,
    Shards,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
    shard_of,
)
from bot.news.rules.planning import ItemFacts, Skip, plan_verdict
from bot.news.rules.subscription_matching import recipients
from bot.news.services.delivery import DeliveryOptions, DeliverySender
from bot.news.services.subscriptions import SubscriptionService
from bot.news.tagging.company_tagger import Tagger
from storage.db import Database
from tests.fakes.clock import FakeClock
from tests.news.test_delivery import RecordingPublisher, db, queue, sender, subscribe

__all__ = ["db"]  # the fixture, imported for pytest

GONE = "the channel no longer exists or the bot cannot see it"


async def test_a_deleted_channel_is_disabled_after_bounded_404s_and_its_queue_dropped(
    db: Database,
) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher(outcomes={10: [PostOutcome.NOT_FOUND] * 100})
    sub = await subscribe(db, clock, channel_id=10)
    await subscribe(db, clock, channel_id=20)  # another channel, never held back
    await queue(db, clock, sub, ["a", "b"])
    running = sender(db, publisher, clock)
    publisher.missing[10] = GONE  # the gateway told the cache the channel was deleted
    disabled_at = None
    # One drain a minute for two hours, the poller queueing a new item every ten minutes.
    for minute in range(120):
        if minute % 10 == 0:
            await poll(db, clock, f"news {minute}")
        await running.drain()
        stored = await db.subscriptions.get(sub.id)
        assert stored is not None
        if stored.disabled and disabled_at is None:
            disabled_at = minute
        clock.advance(timedelta(minutes=1))
    assert disabled_at is not None and disabled_at <= 45  # bounded: 3 tries, 10 min apart
    assert len(publisher.outcomes[10]) == 100 - 3  # three 404s, then no more requests
    stored = await db.subscriptions.get(sub.id)
    assert stored is not None and stored.paused_reason is not None
    assert stored.paused_reason.startswith(DISABLED_MARK)
    assert "not found 3 times" in stored.paused_reason
    # Nothing is lost silently: every queued post is dropped with the reason.
    assert await db.outbox.pending_count(sub.id) == 0
    with closing(sqlite3.connect(db.path)) as raw:
        rows = raw.execute(
            "SELECT state, last_error FROM outbox WHERE subscription_id = ?", (sub.id,)
        ).fetchall()
    assert len(rows) == 2 + 3  # queued before it was disabled; nothing after
    reason = stored.paused_reason
    assert rows == [(OutboxState.DROPPED.value, reason)] * len(rows)
    assert len(publisher.titles(20)) == 12  # the other channel never waited


async def poll(db: Database, clock: FakeClock, title: str) -> None:
    """Queue a new item as the updater's planner does, for every subscription it picks."""
    for subscription in recipients(
        await db.subscriptions.list_all(),
        feed_guild_id=None,
        title=title,
        summary="",
        companies=(),
        published=clock.now(),
        now=clock.now(),
        max_age=timedelta(days=3),
    ):
        await queue(db, clock, subscription, [title], age=timedelta(0))


def test_nothing_is_queued_for_a_disabled_subscription() -> None:
    clock = FakeClock()
    base = Subscription(1, 1, 10, SubscriptionFilter(), SubscriptionMode.REALTIME, clock.now())
    item = ItemFacts("Temu news", "", (), (), clock.now(), clock.now(), None, first_poll=False)
    assert plan_verdict(base, item, timedelta(days=3)).queued
    off = Subscription(
        1,
        1,
        10,
        SubscriptionFilter(),
        SubscriptionMode.REALTIME,
        clock.now(),
        paused_reason=f"{DISABLED_MARK}the channel was not found",
        paused_at=clock.now(),
    )
    assert plan_verdict(off, item, timedelta(days=3)).skips == (Skip.DISABLED,)
    paused = Subscription(
        1,
        1,
        10,
        SubscriptionFilter(),
        SubscriptionMode.REALTIME,
        clock.now(),
        paused_reason="missing Send Messages",
        paused_at=clock.now(),
    )
    assert plan_verdict(paused, item, timedelta(days=3)).queued  # a pause keeps queueing


async def test_subscribing_again_resumes_a_disabled_subscription(db: Database) -> None:
    clock = FakeClock()
    sub = await subscribe(db, clock, channel_id=10)
    await db.subscriptions.disable(sub.id, f"{DISABLED_MARK}gone", clock.now())
    service = SubscriptionService(
        subscriptions=db.subscriptions,
        outbox=db.outbox,
        companies=Tagger.default(),
        clock=clock,
    )
    result = await service.subscribe(
        guild_id=1, channel_id=10, subscription_filter=sub.filter, created_by=None
    )
    assert result.resumed and not result.subscription.disabled
    assert result.subscription.paused_reason is None


async def test_a_channel_paused_before_a_restart_is_tried_once_and_then_disabled(
    db: Database,
) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher(outcomes={10: [PostOutcome.NOT_FOUND] * 100})
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, ["a"])
    await db.subscriptions.pause(sub.id, "Unknown Channel (HTTP 404, code 10003)", clock.now())
    publisher.missing[10] = GONE
    running = sender(db, publisher, clock)  # a new process: it knows nothing of the pause
    for _ in range(60):
        await running.drain()
        clock.advance(timedelta(minutes=1))
    stored = await db.subscriptions.get(sub.id)
    assert stored is not None and stored.disabled
    assert len(publisher.outcomes[10]) == 100 - 3


async def test_a_404_then_a_success_forgets_the_strikes(db: Database) -> None:
    clock = FakeClock()
    outcomes = [PostOutcome.NOT_FOUND, PostOutcome.NOT_FOUND, PostOutcome.SENT]
    publisher = RecordingPublisher(outcomes={10: outcomes + [PostOutcome.NOT_FOUND] * 2})
    sub = await subscribe(db, clock, channel_id=10)
    running = sender(db, publisher, clock)
    for minute in range(60):
        await queue(db, clock, sub, [f"n{minute}"], age=timedelta(minutes=1))
        await running.drain()
        clock.advance(timedelta(minutes=1))
    stored = await db.subscriptions.get(sub.id)
    assert stored is not None and not stored.disabled and stored.paused_reason is None


def test_why_says_an_item_was_not_queued_because_the_subscription_is_disabled() -> None:
    from bot.news.rules.explain import Outcome, explain
    from commands.why import reasons_text
    from tests.commands.test_embeds import make_item

    clock = FakeClock()
    reason = f"{DISABLED_MARK}the channel was not found 3 times over 20 min"
    off = Subscription(
        1,
        1,
        10,
        SubscriptionFilter(),
        SubscriptionMode.REALTIME,
        clock.now() - timedelta(days=30),
        paused_reason=reason,
        paused_at=clock.now(),
    )
    item = make_item("Temu news")
    told = explain(
        item,
        off,
        feed_guild_id=None,
        post=None,
        digest=None,
        max_age=timedelta(days=3),
        now=item.first_seen,
    )
    assert told.outcome is Outcome.NOT_QUEUED
    text = reasons_text(told, item, timedelta(days=3), str, str)
    assert "the subscription is disabled: the channel was not found 3 times" in text


async def test_another_shards_paused_subscription_is_never_tried_from_here(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    sub = await subscribe(db, clock, channel_id=10)  # guild 1
    await queue(db, clock, sub, ["a"])
    await db.subscriptions.pause(sub.id, "missing Send Messages", clock.now())
    publisher.missing[10] = GONE  # not in this gateway's cache: not its server
    elsewhere = Shards((1 - shard_of(1, 2),), 2)
    assert not elsewhere.owns(1)
    running = DeliverySender(
        outbox=db.outbox,
        subscriptions=db.subscriptions,
        publisher=publisher,
        clock=clock,
        options=DeliveryOptions(),
        shards=elsewhere,
    )
    for _ in range(30):
        assert (await running.drain()).resumed == ()
        clock.advance(timedelta(minutes=1))
    stored = await db.subscriptions.get(sub.id)
    assert stored is not None and stored.paused_reason == "missing Send Messages"
