"""Story threads, owed edits and publishing (migration 11's tables and columns); owed edits and
publishing on both backends (the ``storage`` fixture)."""

from __future__ import annotations

from datetime import timedelta

from bot.news.model.vocabulary import (
    EditState,
    NewSubscription,
    PlannedPost,
    PostLayout,
    PublishState,
    Subscription,
    SubscriptionFilter,
)
from bot.news.ports import Storage
from storage import Database
from tests.storage.conftest import T0, add_feed, draft, poll


async def subscribe(
    db: Storage, layout: PostLayout = PostLayout.MESSAGE, *, publish: bool = False
) -> Subscription:
    return await db.subscriptions.add(
        NewSubscription(
            guild_id=111,
            channel_id=1001,
            filter=SubscriptionFilter(),
            layout=layout,
            publish=publish,
        ),
        T0,
    )


async def place(db: Database, story_id: int, *item_ids: int) -> None:
    """Put items in a story as the stories stage would (the row and items.story_id)."""
    async with db._connections.transaction() as raw:
        await raw.execute(
            "INSERT OR IGNORE INTO stories (id, headline, first_seen, last_seen, item_count,"
            " source_count, updated_at) VALUES (?, 'h', 0, 0, 1, 1, 0)",
            (story_id,),
        )
        for item_id in item_ids:
            await raw.execute("UPDATE items SET story_id = ? WHERE id = ?", (story_id, item_id))


async def test_a_story_thread_row_comes_before_its_post_and_is_completed_with_it(
    db: Database,
) -> None:
    feed = await add_feed(db)
    sub = await subscribe(db, PostLayout.FORUM)
    await db.items.apply(
        poll(feed, [draft("a", "Temu fined")], planned_posts=(PlannedPost(sub.id, "a"),))
    )
    assert await db.outbox.due(T0, 10) == []  # waits to be placed in a story
    [entry] = await db.outbox.due(T0 + timedelta(minutes=3), 10)
    await place(db, 7, entry.item.id)
    [entry] = await db.outbox.due(T0, 10)
    assert entry.layout is PostLayout.FORUM and entry.item.story_id == 7

    row = await db.story_threads.start(entry, 7, "Temu fined", T0)
    assert row.thread_id is None and row.title == "Temu fined"
    # Written but not posted: no later report may go into it yet.
    assert await db.story_threads.for_story(sub.id, 7) is None
    assert await db.story_threads.for_entry(entry.id) == row
    again = await db.story_threads.start(entry, 7, "another title", T0)
    assert again.id == row.id and again.title == "Temu fined"

    await db.story_threads.record_first(row.id, entry.id, 900, 900, T0)
    posted = await db.story_threads.for_story(sub.id, 7)
    assert posted is not None and (posted.thread_id, posted.message_id) == (900, 900)
    assert await db.outbox.due(T0, 10) == []
    assert await db.story_threads.thread_ids(sub.id) == {900}
    # The story merged into another: its later reports still find the older thread.
    async with db._connections.transaction() as raw:
        await raw.execute(
            "INSERT INTO story_merges (story_id, into_id, merged_at) VALUES (7, 3, 0)"
        )
    merged = await db.story_threads.for_story(sub.id, 3)
    assert merged is not None and merged.id == row.id
    await db.story_threads.forget(row.id)
    assert await db.story_threads.for_story(sub.id, 7) is None


async def test_a_post_by_story_waits_a_little_for_its_item_to_be_placed(db: Database) -> None:
    feed = await add_feed(db)  # shared: its items are placed in stories
    private = await add_feed(db, "Own", guild_id=111)
    threads = await subscribe(db, PostLayout.THREAD)
    await db.items.apply(
        poll(feed, [draft("a", "Temu fined")], planned_posts=(PlannedPost(threads.id, "a"),))
    )
    await db.items.apply(
        poll(private, [draft("p", "Our news")], planned_posts=(PlannedPost(threads.id, "p"),))
    )
    # The private item is in no story, ever: it does not wait.
    assert [e.item.key for e in await db.outbox.due(T0, 10)] == ["p"]
    later = T0 + timedelta(minutes=3)  # waited long enough: posted as a story of its own
    assert {e.item.key for e in await db.outbox.due(later, 10)} == {"a", "p"}
    [shared] = [e for e in await db.outbox.due(later, 10) if e.item.key == "a"]
    await place(db, 1, shared.item.id)
    assert {e.item.key for e in await db.outbox.due(T0, 10)} == {"a", "p"}


async def test_a_corrected_item_owes_its_post_an_edit_within_a_day_only(storage: Storage) -> None:
    db = storage
    feed = await add_feed(db)
    sub = await subscribe(db)
    await db.items.apply(
        poll(
            feed,
            [draft("a", "Temu fnied"), draft("b", "Shein fined")],
            planned_posts=(PlannedPost(sub.id, "a"), PlannedPost(sub.id, "b")),
        )
    )
    first, second = await db.outbox.due(T0, 10)
    await db.outbox.mark_sent(first.id, 501, T0)
    await db.outbox.mark_sent(second.id, 502, T0 - timedelta(hours=30))
    fixed = T0 + timedelta(hours=2)
    await db.items.apply(
        poll(feed, changed=[draft("a", "Temu fined"), draft("b", "SHEIN fined")], at=fixed)
    )
    [owed] = await db.followups.edits_due(fixed, 10)
    assert (owed.id, owed.message_id, owed.item.title) == (first.id, 501, "Temu fined")
    await db.followups.edit_later(owed.id, fixed + timedelta(minutes=1))
    assert await db.followups.edits_due(fixed, 10) == []
    assert len(await db.followups.edits_due(fixed + timedelta(minutes=1), 10)) == 1
    # Deleted in Discord: never edited again, even when the item changes once more.
    await db.followups.finish_edit(owed.id, EditState.GONE)
    await db.items.apply(poll(feed, changed=[draft("a", "Temu fined again")], at=fixed))
    assert await db.followups.edits_due(fixed + timedelta(hours=1), 10) == []


async def test_publishing_waits_from_the_send_and_is_held_never_dropped(
    storage: Storage,
) -> None:
    db = storage
    feed = await add_feed(db)
    publishing = await subscribe(db, publish=True)
    plain = await db.subscriptions.add(
        NewSubscription(guild_id=111, channel_id=1002, filter=SubscriptionFilter()), T0
    )
    await db.items.apply(
        poll(
            feed,
            [draft("a"), draft("b")],
            planned_posts=(
                PlannedPost(publishing.id, "a"),
                PlannedPost(publishing.id, "b"),
                PlannedPost(plain.id, "a"),
            ),
        )
    )
    for number, entry in enumerate(await db.outbox.due(T0, 10)):
        await db.outbox.mark_sent(entry.id, 600 + number, T0)
    waiting = await db.followups.publishing_due(T0, 10)
    assert [e.subscription_id for e in waiting] == [publishing.id, publishing.id]
    assert await db.followups.waiting_to_publish(publishing.id) == 2
    hour = T0 + timedelta(hours=1)
    for entry in waiting:
        await db.followups.publish_later(entry.id, hour)
    assert await db.followups.publishing_due(T0, 10) == []
    assert await db.followups.waiting_to_publish(publishing.id) == 2
    await db.followups.finish_publishing(waiting[0].id, PublishState.PUBLISHED)
    assert [e.id for e in await db.followups.publishing_due(hour, 10)] == [waiting[1].id]
    assert await db.followups.waiting_to_publish(publishing.id) == 1


async def test_a_roundup_and_a_digest_wait_to_be_published_once_each(storage: Storage) -> None:
    db = storage
    feed = await add_feed(db)
    publishing = await subscribe(db, publish=True)
    await db.items.apply(
        poll(
            feed,
            [draft("a"), draft("b"), draft("c")],
            planned_posts=tuple(PlannedPost(publishing.id, k) for k in "abc"),
        )
    )
    first, second, third = await db.outbox.due(T0, 10)
    await db.outbox.mark_overflow([second.id, first.id], 700)
    await db.outbox.mark_overflow([third.id])  # no message known: nothing to publish
    [roundup] = await db.followups.publishing_due(T0, 10)
    assert (roundup.id, roundup.message_id) == (first.id, 700)
    await db.digests.plan(publishing.id, T0 - timedelta(days=1), T0, T0)
    [digest] = await db.digests.due(T0, 10)
    assert await db.digests.publishing_due(T0, 10) == []
    await db.digests.mark_sent(digest.id, 800, T0)
    assert await db.followups.waiting_to_publish(publishing.id) == 2
    hour = T0 + timedelta(hours=1)
    await db.digests.publish_later(digest.id, hour)
    assert await db.digests.publishing_due(T0, 10) == []
    [waiting] = await db.digests.publishing_due(hour, 10)
    assert (waiting.id, waiting.message_id) == (digest.id, 800)
    await db.digests.finish_publishing(digest.id, PublishState.PUBLISHED)
    await db.followups.finish_publishing(roundup.id, PublishState.PUBLISHED)
    assert await db.followups.waiting_to_publish(publishing.id) == 0
    assert await db.digests.publishing_due(hour, 10) == []


async def test_a_digest_of_a_subscription_that_does_not_publish_never_waits(
    storage: Storage,
) -> None:
    plain = await subscribe(storage)
    await storage.digests.plan(plain.id, T0 - timedelta(days=1), T0, T0)
    [digest] = await storage.digests.due(T0, 10)
    await storage.digests.mark_sent(digest.id, 800, T0)
    assert await storage.digests.publishing_due(T0, 10) == []
    assert await storage.followups.waiting_to_publish(plain.id) == 0


async def test_a_thread_not_opened_yet_takes_a_corrected_title(storage: Storage) -> None:
    private = await add_feed(storage, "Own", guild_id=111)  # in no story: never waits
    threads = await subscribe(storage, PostLayout.THREAD)
    await storage.items.apply(
        poll(private, [draft("p", "Temu fnied")], planned_posts=(PlannedPost(threads.id, "p"),))
    )
    [entry] = await storage.outbox.due(T0, 10)
    row = await storage.story_threads.start(entry, None, "Temu fnied", T0)
    await storage.story_threads.retitle(row.id, "Temu fined")
    again = await storage.story_threads.for_entry(entry.id)
    assert again is not None and (again.id, again.title) == (row.id, "Temu fined")
