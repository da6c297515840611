"""The DeliveryHistory port on both backends: what ``/subscriptions why`` and previews read,
always as one server sees it."""

from __future__ import annotations

from datetime import timedelta

from bot.news.model.vocabulary import OutboxState, PlannedPost, SubscriptionMode, TaggedDraft
from bot.news.ports import Storage
from tests.storage.conftest import T0, add_feed, add_subscription, draft, poll

GUILD, OTHER = 111, 222


def topical(key: str, *companies: str, topics: tuple[str, ...] = ()) -> TaggedDraft:
    return TaggedDraft(draft(key, published=T0 - timedelta(minutes=5)), companies, topics)


async def test_history_sees_one_servers_items_posts_and_digests(storage: Storage) -> None:
    await storage.items.register_companies([])
    shared = await add_feed(storage, "Shared")
    ours = await add_feed(storage, "Ours", guild_id=GUILD)
    theirs = await add_feed(storage, "Theirs", guild_id=OTHER)
    mine = await add_subscription(storage, GUILD, 1)
    daily = await add_subscription(storage, GUILD, 2, mode=SubscriptionMode.DAILY)
    other = await add_subscription(storage, OTHER, 3)
    await storage.items.apply(
        poll(
            shared,
            [topical("s-1", topics=("fees",))],
            planned_posts=(PlannedPost(mine.id, "s-1"), PlannedPost(other.id, "s-1")),
        )
    )
    await storage.items.apply(poll(ours, [topical("o-1")]))
    await storage.items.apply(poll(theirs, [topical("t-1")], at=T0 + timedelta(hours=1)))
    history = storage.history

    [item] = await history.items_by_link(GUILD, ["https://news.example/s-1", "nope"])
    assert (item.key, item.topics) == ("s-1", ("fees",))
    assert await history.items_by_link(GUILD, ["https://news.example/t-1"]) == []
    assert len(await history.items_by_link(OTHER, ["https://news.example/t-1"])) == 1
    assert await history.item(GUILD, item.id) == item

    # Only this server's subscriptions' rows, whatever their state.
    [row] = await history.posts_of_item(GUILD, item.id)
    assert (row.subscription_id, row.state, row.item.id) == (mine.id, OutboxState.PENDING, item.id)
    await storage.outbox.mark_sent(row.id, 777, T0)
    [sent] = await history.posts_of_item(GUILD, item.id)
    assert (sent.state, sent.message_id) == (OutboxState.SENT, 777)

    # Newest first, this server's view only, from ``since`` on.
    recent = await history.recent_items(GUILD, T0 - timedelta(minutes=1), 10)
    assert [i.key for i in recent] == ["o-1", "s-1"]  # the same poll time: the later stored
    assert [i.key for i in await history.recent_items(OTHER, T0, 10)] == ["t-1", "s-1"]
    assert len(await history.recent_items(GUILD, T0, 1)) == 1
    assert await history.recent_items(GUILD, T0 + timedelta(minutes=1), 10) == []

    await storage.digests.plan(daily.id, T0 - timedelta(days=1), T0, T0)
    await storage.digests.plan(daily.id, T0, T0 + timedelta(days=1), T0)
    [digest] = await history.digests_covering(GUILD, T0 - timedelta(hours=1))
    assert (digest.subscription.id, digest.period_end) == (daily.id, T0)
    assert await history.digests_covering(OTHER, T0 - timedelta(hours=1)) == []


async def test_items_found_by_link_come_first_stored_first(storage: Storage) -> None:
    one = await add_feed(storage, "One")
    two = await add_feed(storage, "Two")
    link = "https://news.example/same"
    await storage.items.apply(poll(two, [draft("b", link=link)], at=T0 - timedelta(hours=1)))
    await storage.items.apply(poll(one, [draft("a", link=link)]))
    found = await storage.history.items_by_link(GUILD, [link])
    assert [i.key for i in found] == ["b", "a"]


async def test_an_item_with_a_very_long_link_is_stored_and_found_by_it(storage: Storage) -> None:
    # PostgreSQL indexes links (a hash index: a btree refuses entries over about 2,700 bytes).
    feed = await add_feed(storage, "One")
    link = "https://news.example/long?" + "q=%E2%82%AC&" * 2_000
    await storage.items.apply(poll(feed, [draft("long", link=link), draft("short")]))
    [found] = await storage.history.items_by_link(GUILD, [link, "https://nowhere.example/"])
    assert (found.key, found.link) == ("long", link)
