"""A digest subscription whose channel was deleted follows the per-item rule (the same code,
``services/refusals.py``): 3 answers of 404 at least 20 minutes apart disable it with the
reason, its waiting digest is dropped with that reason, `/subscriptions why` says so, nothing
more is planned, and subscribing again resumes it. Before, a digest's 404 only paused it: the
subscription was tried once after a restart's cool-off and then stayed paused for good."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.news.model.vocabulary import DigestState, PostOutcome
from bot.news.rules.explain import Outcome, explain
from bot.news.services.delivery import DeliveryOptions, DeliverySender
from bot.news.services.subscriptions import SubscriptionService
from bot.news.services.why import FoundBy, WhyReport
from bot.news.tagging.company_tagger import Tagger
from commands.why import outcome_text
from storage import Database
from tests.commands.test_embeds import make_item
from tests.fakes.clock import FakeClock
from tests.news.test_delivery import RecordingPublisher
from tests.news.test_digests import (
    DAY,
    HOUR,
    START,
    RecordingDigests,
    db,
    digest_rows,
    move_to,
    scheduler,
    shared_feeds,
    store_story,
    subscribe,
)

__all__ = ["db"]  # the fixture, imported for pytest

GONE = "the channel no longer exists or the bot cannot see it"


async def test_a_deleted_digest_channel_is_disabled_like_a_per_item_one(db: Database) -> None:
    clock = FakeClock(START)
    digests = RecordingDigests(outcomes=[PostOutcome.NOT_FOUND] * 50)
    items = RecordingPublisher()
    items.missing[1001] = GONE  # the gateway's cache no longer has the channel
    feeds = await shared_feeds(db)
    sub = await subscribe(db)
    await store_story(db, feeds, 1, "Shopee raises fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 09:01")
    delivery = DeliverySender(
        outbox=db.outbox,
        subscriptions=db.subscriptions,
        publisher=items,
        clock=clock,
        options=DeliveryOptions(),
    )
    disabled_at = None
    for minute in range(120):  # delivery (which resumes paused subscriptions), then digests
        await delivery.drain()
        await scheduler(db, clock, digests).run()
        stored = await db.subscriptions.get(sub.id)
        assert stored is not None
        if stored.disabled and disabled_at is None:
            disabled_at = minute
        clock.advance(timedelta(minutes=1))
    assert disabled_at is not None and disabled_at <= 40
    assert len(digests.outcomes) == 50 - 3  # three tries, then no more requests
    stored = await db.subscriptions.get(sub.id)
    assert stored is not None and stored.paused_reason is not None
    assert "the channel was not found 3 times over" in stored.paused_reason
    latest = await db.digests.latest(sub.id)
    assert latest is not None
    assert (latest.state, latest.last_error) == (DigestState.DROPPED, stored.paused_reason)

    # /subscriptions why, for an item of that period: the digest was dropped, and why.
    item = make_item("Shopee raises fees")
    told = explain(
        item,
        stored,
        feed_guild_id=None,
        post=None,
        digest=latest,
        max_age=timedelta(days=3),
        now=clock.now(),
    )
    assert told.outcome is Outcome.DIGEST_DROPPED
    text = outcome_text(told, WhyReport(item, FoundBy.LINK, "Feed", (told,), DAY), 1, str, str)
    assert "was dropped: disabled: the channel was not found 3 times" in text

    # Nothing more is planned while it is disabled, and why says so; subscribing again
    # resumes it.
    clock.advance(DAY)
    await scheduler(db, clock, digests).run()
    assert len(digest_rows(db)) == 1
    newer = replace(item, published=clock.now() - HOUR, first_seen=clock.now() - HOUR)
    told = explain(
        newer,
        stored,
        feed_guild_id=None,
        post=None,
        digest=None,
        max_age=timedelta(days=3),
        now=clock.now(),
        digest_due=clock.now() - HOUR,
    )
    assert told.outcome is Outcome.NOT_QUEUED
    text = outcome_text(told, WhyReport(newer, FoundBy.LINK, "Feed", (told,), DAY), 1, str, str)
    assert "not posted: the subscription is disabled: the channel was not found 3 times" in text
    service = SubscriptionService(
        subscriptions=db.subscriptions,
        outbox=db.outbox,
        companies=Tagger.default(),
        clock=clock,
    )
    result = await service.subscribe(
        guild_id=stored.guild_id,
        channel_id=1001,
        subscription_filter=stored.filter,
        created_by=None,
        mode=stored.mode,
        post_hour=stored.post_hour,
    )
    assert result.resumed and not result.subscription.disabled
    digests.outcomes.clear()
    await store_story(db, feeds, 2, "Temu opens a warehouse", seen=clock.now())
    clock.advance(DAY)
    report = await scheduler(db, clock, digests).run()
    assert report.sent == 1 and len(digests.posts) == 1


async def test_a_digest_sent_after_404s_forgets_them(db: Database) -> None:
    clock = FakeClock(START)
    digests = RecordingDigests(outcomes=[PostOutcome.NOT_FOUND])
    feeds = await shared_feeds(db)
    sub = await subscribe(db)
    await store_story(db, feeds, 1, "Walmart marketplace grows", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    await scheduler(db, clock, digests).run()
    struck = await db.subscriptions.get(sub.id)
    assert struck is not None and struck.not_found is not None and struck.not_found.count == 1
    clock.advance(2 * HOUR)
    await db.subscriptions.resume(sub.id)
    assert (await scheduler(db, clock, digests).run()).sent == 1
    sent = await db.subscriptions.get(sub.id)
    assert sent is not None and sent.not_found is None
