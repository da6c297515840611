"""What lets a digest take a late story, on both backends: ``top_stories(new_since=...)`` keeps
the stories none of whose items was first seen before it, and a digest records when its
summary was read (``covered_until``) and is found by the period after it (``before``)."""

from __future__ import annotations

from datetime import timedelta

from bot.news.model.vocabulary import DigestState, SubscriptionMode
from bot.news.ports import Storage
from tests.storage.conftest import T0, add_feed, add_subscription
from tests.storage.test_stories import _cluster, _store

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


async def test_top_stories_new_since_keeps_stories_that_did_not_exist_then(
    storage: Storage,
) -> None:
    feed = await add_feed(storage)
    old = await _store(storage, feed, "old", at=T0)
    joined = await _store(storage, feed, "joined", at=T0 + 5 * HOUR, published=T0 + HOUR)
    late = await _store(storage, feed, "late", at=T0 + 5 * HOUR, published=T0 + 2 * HOUR)
    await _cluster(storage, {1: [old, joined], 2: [late]}, at=T0 + 5 * HOUR)
    window = (T0 - HOUR, T0 + 3 * HOUR)
    assert {s.id for s in await storage.stories.top_stories(*window)} == {1, 2}
    new = await storage.stories.top_stories(*window, new_since=T0 + 4 * HOUR)
    assert [s.id for s in new] == [2]  # story 1 had an item before then
    assert await storage.stories.top_stories(*window, new_since=T0 + 6 * HOUR) == []


async def test_a_digest_keeps_when_its_summary_was_read(storage: Storage) -> None:
    sub = await add_subscription(storage, mode=SubscriptionMode.DAILY)
    digests = storage.digests
    assert await digests.plan(sub.id, T0 - DAY, T0, T0)
    assert await digests.plan(sub.id, T0, T0 + DAY, T0 + DAY)
    first = await digests.before(sub.id, T0)
    assert first is not None and first.period_end == T0 and first.covered_until is None
    await digests.mark_sent(first.id, 77, T0 + 2 * HOUR, T0 + HOUR)
    sent = await digests.before(sub.id, T0)
    assert sent is not None and (sent.state, sent.covered_until) == (DigestState.SENT, T0 + HOUR)
    second = await digests.before(sub.id, T0 + DAY)
    assert second is not None
    await digests.finish(second.id, DigestState.EMPTY, "no matching stories", T0 + DAY + HOUR)
    empty = await digests.latest(sub.id)
    assert empty is not None and empty.covered_until == T0 + DAY + HOUR
    assert await digests.before(sub.id, T0 - DAY) is None


async def test_the_delivery_history_reads_when_a_digest_was_read(storage: Storage) -> None:
    # What /subscriptions why tells a late item by (rules/explain.py's DIGEST_LATE).
    sub = await add_subscription(storage, guild_id=5, mode=SubscriptionMode.DAILY)
    assert await storage.digests.plan(sub.id, T0 - DAY, T0, T0)
    planned = await storage.digests.before(sub.id, T0)
    assert planned is not None
    await storage.digests.mark_sent(planned.id, 77, T0 + 2 * HOUR, T0 + HOUR)
    [covering] = await storage.history.digests_covering(5, T0 - HOUR)
    assert (covering.id, covering.covered_until) == (planned.id, T0 + HOUR)


async def test_the_last_digest_read_skips_those_never_posted(storage: Storage) -> None:
    # What a digest after a dropped one takes the missed periods from (digests.py).
    sub = await add_subscription(storage, mode=SubscriptionMode.DAILY)
    digests = storage.digests
    for day in range(4):
        assert await digests.plan(sub.id, T0 + (day - 1) * DAY, T0 + day * DAY, T0)
    first, second, third, _ = [await digests.before(sub.id, T0 + d * DAY) for d in range(4)]
    assert first is not None and second is not None and third is not None
    assert await digests.last_read(sub.id, T0 + 3 * DAY) is None
    await digests.mark_sent(first.id, 77, T0 + HOUR, T0 + HOUR)
    await digests.finish(second.id, DigestState.EMPTY, "no matching stories", T0 + DAY)
    await digests.finish(third.id, DigestState.DROPPED, "refused")
    read = await digests.last_read(sub.id, T0 + 3 * DAY)
    assert read is not None and (read.id, read.covered_until) == (second.id, T0 + DAY)
    earlier = await digests.last_read(sub.id, T0 + DAY - HOUR)
    assert earlier is not None and earlier.id == first.id


async def test_a_sent_digest_keeps_the_stories_it_showed(storage: Storage) -> None:
    sub = await add_subscription(storage, mode=SubscriptionMode.DAILY)
    digests = storage.digests
    assert await digests.plan(sub.id, T0 - DAY, T0, T0)
    planned = await digests.before(sub.id, T0)
    assert planned is not None and planned.shown == ()
    await digests.mark_sent(planned.id, 77, T0 + HOUR, T0, (12, 7, 40))
    sent = await digests.last_read(sub.id, T0)
    assert sent is not None and sent.shown == (12, 7, 40)


async def test_the_oldest_unplaced_item_of_a_period_by_first_seen(storage: Storage) -> None:
    # What bounds a digest's covered_until when its story wait ran out (digests.py).
    feed = await add_feed(storage)
    period = (T0, T0 + DAY)
    assert await storage.stories.oldest_unplaced(*period) is None
    await _store(storage, feed, "placed", at=T0 + HOUR)
    late = await _store(storage, feed, "late", at=T0 + DAY + HOUR, published=T0 + 2 * HOUR)
    await _store(storage, feed, "later", at=T0 + DAY + 3 * HOUR, published=T0 + 3 * HOUR)
    await _store(storage, feed, "next", at=T0 + DAY + 2 * HOUR)  # published after the period
    [placed] = [i.item_id for i in await storage.stories.unassigned(1)]
    await _cluster(storage, {1: [placed]})
    assert await storage.stories.oldest_unplaced(*period) == T0 + DAY + HOUR
    await _cluster(storage, {2: [late]})
    assert await storage.stories.oldest_unplaced(*period) == T0 + DAY + 3 * HOUR


async def test_a_pending_digest_keeps_its_reading_until_sent(storage: Storage) -> None:
    # What a retry answered with an earlier try's message reads back (digests.py).
    sub = await add_subscription(storage, mode=SubscriptionMode.DAILY)
    digests = storage.digests
    assert await digests.plan(sub.id, T0 - DAY, T0, T0)
    planned = await digests.before(sub.id, T0)
    assert planned is not None
    await digests.record_reading(planned.id, T0 + HOUR, (3, 1))
    [due] = await digests.due(T0 + 2 * HOUR, 10)
    assert (due.state, due.covered_until, due.shown) == (DigestState.PENDING, T0 + HOUR, (3, 1))
    await digests.mark_sent(due.id, 77, T0 + 2 * HOUR, T0 + HOUR, (3,))
    await digests.record_reading(due.id, T0 + 3 * HOUR, (9,))  # sent: final, nothing changes
    sent = await digests.last_read(sub.id, T0)
    assert sent is not None and (sent.covered_until, sent.shown) == (T0 + HOUR, (3,))
