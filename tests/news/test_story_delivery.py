"""Delivery by story (forum posts, threads), edits of corrected items and publishing, over real
SQLite with a publisher that keeps threads and messages as Discord does."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.news.model.vocabulary import (
    DEFAULT_POST_FORMAT,
    FeedPollResult,
    FeedStatus,
    Item,
    ItemDraft,
    NewFeed,
    NewSubscription,
    PlannedPost,
    PostFormat,
    PostLayout,
    PostOutcome,
    PostResult,
    Subscription,
    SubscriptionFilter,
    TaggedDraft,
)
from bot.news.services.delivery import DeliveryOptions, DeliverySender
from bot.news.services.followups import FollowUpSender
from bot.news.services.story_posts import StoryPoster
from storage.db import Database
from tests.fakes.clock import FakeClock

CHANNEL = 1001


@dataclass
class Message:
    id: int
    channel_id: int
    text: str
    note: str = ""
    edits: int = 0


@dataclass
class ThreadPublisher:
    """Messages, forum posts and threads kept as Discord keeps them: a nonce returns the first
    message; a forum post is created again if asked again; one thread per message."""

    messages: dict[int, Message] = field(default_factory=dict)
    threads: dict[int, str] = field(default_factory=dict)  # thread id -> title
    forum_posts: int = 0
    lose_forum_answer: bool = False
    crosspost_limit: int = 100
    published: list[int] = field(default_factory=list)
    renames: list[tuple[int, str]] = field(default_factory=list)
    may_rename: bool = True  # False: Discord answers 403 (no Manage Threads)
    renames_left: int = 100  # then 429: Discord renames a thread twice in ten minutes
    _nonces: dict[str, int] = field(default_factory=dict)
    _ids: int = 5000

    def _new(self, channel_id: int, text: str, note: str = "") -> Message:
        self._ids += 1
        message = Message(self._ids, channel_id, text, note)
        self.messages[message.id] = message
        return message

    async def post_item(
        self,
        channel_id: int,
        item: Item,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        if nonce not in self._nonces:
            self._nonces[nonce] = self._new(channel_id, item.title).id
        return PostResult(PostOutcome.SENT, message_id=self._nonces[nonce])

    async def post_notice(self, channel_id: int, text: str, nonce: str) -> PostResult:
        raise AssertionError("no notices here")

    async def post_roundup(
        self,
        channel_id: int,
        items: Sequence[Item],
        waiting: int,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        if nonce not in self._nonces:
            self._nonces[nonce] = self._new(channel_id, f"roundup of {len(items)}").id
        return PostResult(PostOutcome.SENT, message_id=self._nonces[nonce])

    def missing_permissions(self, channel_id: int) -> str | None:
        return None

    async def post_forum(
        self, channel_id: int, title: str, item: Item, post_format: PostFormat
    ) -> PostResult:
        self.forum_posts += 1
        message = self._new(channel_id, item.title)
        message.channel_id = message.id  # a forum post's first message is in its thread
        self.threads[message.id] = title
        if self.lose_forum_answer:  # created, but the answer never arrives
            return PostResult(PostOutcome.RETRY, error="connection reset")
        return PostResult(PostOutcome.SENT, message_id=message.id, thread_id=message.id)

    async def find_forum_post(
        self, channel_id: int, title: str, since: datetime, known: set[int]
    ) -> PostResult:
        for thread_id, name in self.threads.items():
            if name == title and thread_id not in known:
                return PostResult(PostOutcome.SENT, message_id=thread_id, thread_id=thread_id)
        return PostResult(PostOutcome.NOT_FOUND)

    async def open_thread(self, channel_id: int, message_id: int, title: str) -> PostResult:
        if message_id not in self.messages:
            return PostResult(PostOutcome.NOT_FOUND)
        self.threads.setdefault(message_id, title)
        return PostResult(PostOutcome.SENT, thread_id=message_id)

    async def post_in_thread(
        self, thread_id: int, item: Item, note: str, nonce: str, post_format: PostFormat
    ) -> PostResult:
        if thread_id not in self.threads:
            return PostResult(PostOutcome.NOT_FOUND)
        if nonce not in self._nonces:
            self._nonces[nonce] = self._new(thread_id, item.title, note).id
        return PostResult(PostOutcome.SENT, message_id=self._nonces[nonce])

    async def edit_item(
        self, channel_id: int, message_id: int, item: Item, note: str, post_format: PostFormat
    ) -> PostResult:
        message = self.messages.get(message_id)
        if message is None:
            return PostResult(PostOutcome.NOT_FOUND)
        assert message.channel_id == channel_id and message.note == note
        message.text = item.title
        message.edits += 1
        return PostResult(PostOutcome.SENT, message_id=message_id)

    async def rename_thread(self, thread_id: int, title: str) -> PostResult:
        if thread_id not in self.threads:
            return PostResult(PostOutcome.NOT_FOUND)
        if not self.may_rename:
            return PostResult(PostOutcome.FORBIDDEN, error="Missing Permissions")
        if self.renames_left <= 0:
            return PostResult(
                PostOutcome.RETRY, error="rate limited", retry_after=timedelta(minutes=9)
            )
        self.renames_left -= 1
        assert 1 <= len(title) <= 100
        self.threads[thread_id] = title
        self.renames.append((thread_id, title))
        return PostResult(PostOutcome.SENT, thread_id=thread_id)

    async def crosspost(self, channel_id: int, message_id: int) -> PostResult:
        if len(self.published) >= self.crosspost_limit:
            return PostResult(
                PostOutcome.RETRY, error="rate limited", retry_after=timedelta(minutes=50)
            )
        self.published.append(message_id)
        return PostResult(PostOutcome.SENT, message_id=message_id)

    def in_channel(self, channel_id: int) -> list[Message]:
        return [m for m in self.messages.values() if m.channel_id == channel_id]


@dataclass
class Desk:
    db: Database
    clock: FakeClock
    publisher: ThreadPublisher
    sender: DeliverySender
    feed_id: int
    keys: int = 0

    async def subscribe(self, layout: PostLayout, *, publish: bool = False) -> Subscription:
        return await self.db.subscriptions.add(
            NewSubscription(
                guild_id=111,
                channel_id=CHANNEL,
                filter=SubscriptionFilter(),
                layout=layout,
                publish=publish,
            ),
            self.clock.now(),
        )

    async def arrive(
        self, subscription: Subscription, title: str, story: int | None, source: str = "Wire"
    ) -> str:
        """A new item for the subscription, placed in ``story`` (None: in no story)."""
        self.keys += 1
        key = f"k{self.keys}"
        await self.db.items.apply(self._poll([self._draft(key, title, source)], [], subscription))
        if story is not None:
            async with self.db._connections.transaction() as raw:
                await raw.execute(
                    "INSERT OR IGNORE INTO stories (id, headline, first_seen, last_seen,"
                    " item_count, source_count, updated_at) VALUES (?, 'h', 0, 0, 1, 1, 0)",
                    (story,),
                )
                await raw.execute("UPDATE items SET story_id = ? WHERE key = ?", (story, key))
        return key

    async def correct(self, key: str, title: str, source: str = "Wire") -> None:
        await self.db.items.apply(self._poll([], [self._draft(key, title, source)], None))

    def _draft(self, key: str, title: str, source: str) -> TaggedDraft:
        return TaggedDraft(
            ItemDraft(
                key=key,
                title=title,
                link=f"https://news.example/{key}",
                author=None,
                published=self.clock.now(),
                summary="",
                image_url=None,
                categories=(),
                publisher=source,
                content_hash=hashlib.sha256(title.encode()).hexdigest(),
            ),
            (),
        )

    def _poll(
        self,
        new: list[TaggedDraft],
        changed: list[TaggedDraft],
        subscription: Subscription | None,
    ) -> FeedPollResult:
        planned = tuple(
            PlannedPost(subscription.id, t.draft.key) for t in new if subscription is not None
        )
        return FeedPollResult(
            feed_id=self.feed_id,
            polled_at=self.clock.now(),
            status=FeedStatus.OK,
            next_due=self.clock.now() + timedelta(minutes=30),
            new_items=tuple(new),
            changed_items=tuple(changed),
            planned_posts=planned,
        )


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    db = await Database.open(tmp_path / "d.db")
    clock = FakeClock()
    publisher = ThreadPublisher()
    feed = await db.feeds.add(NewFeed(url="https://wire.example/rss", name="Wire"), clock.now())
    sender = DeliverySender(
        outbox=db.outbox,
        subscriptions=db.subscriptions,
        publisher=publisher,
        clock=clock,
        options=DeliveryOptions(),
        stories=StoryPoster(
            threads=db.story_threads, outbox=db.outbox, publisher=publisher, clock=clock
        ),
        followups=FollowUpSender(
            followups=db.followups,
            publisher=publisher,
            clock=clock,
            digests=db.digests,
            threads=db.story_threads,
        ),
    )
    try:
        yield Desk(db, clock, publisher, sender, feed.id)
    finally:
        await db.close()


async def test_a_forum_gets_one_post_per_story_and_later_sources_as_replies(desk: Desk) -> None:
    forum = await desk.subscribe(PostLayout.FORUM)
    await desk.arrive(forum, "Temu fined €200m by the EU", story=1, source="Reuters")
    await desk.sender.drain()
    await desk.arrive(forum, "EU fines Temu €200 million", story=1, source="Le Monde")
    await desk.arrive(forum, "Shein opens a warehouse", story=2)
    await desk.sender.drain()
    assert desk.publisher.forum_posts == 2
    [(first, title)] = [(t, n) for t, n in desk.publisher.threads.items() if "Temu" in n]
    assert title == "Temu fined €200m by the EU"
    [reply] = desk.publisher.in_channel(first)[1:]
    assert (reply.text, reply.note) == ("EU fines Temu €200 million", "+1 source: Le Monde")


async def test_a_forum_post_created_but_not_recorded_is_found_not_created_again(
    desk: Desk,
) -> None:
    forum = await desk.subscribe(PostLayout.FORUM)
    await desk.arrive(forum, "Temu fined €200m by the EU", story=1)
    desk.publisher.lose_forum_answer = True
    report = await desk.sender.drain()
    assert (report.sent, report.retried, desk.publisher.forum_posts) == (0, 1, 1)
    desk.publisher.lose_forum_answer = False
    desk.clock.advance(timedelta(hours=1))
    await desk.arrive(forum, "EU fines Temu", story=1, source="Le Monde")
    report = await desk.sender.drain()
    assert report.sent == 2 and desk.publisher.forum_posts == 1
    [thread] = desk.publisher.threads
    assert [m.note for m in desk.publisher.in_channel(thread)] == ["", "+1 source: Le Monde"]


async def test_threads_per_story_open_on_the_first_message_once(desk: Desk) -> None:
    threads = await desk.subscribe(PostLayout.THREAD)
    await desk.arrive(threads, "Temu fined", story=4)
    await desk.arrive(threads, "Temu to appeal", story=4, source="AP")
    await desk.arrive(threads, "Temu appeal filed", story=4, source="BBC")
    await desk.arrive(threads, "In no story", story=None)
    await desk.sender.drain()
    assert len(desk.publisher.in_channel(CHANNEL)) == 1  # waits to be placed in a story
    desk.clock.advance(timedelta(minutes=3))  # never placed: posted as a story of its own
    await desk.sender.drain()
    [first, alone] = desk.publisher.in_channel(CHANNEL)
    assert (first.text, alone.text) == ("Temu fined", "In no story")
    assert list(desk.publisher.threads) == [first.id]
    notes = [m.note for m in desk.publisher.in_channel(first.id)]
    assert notes == ["+1 source: AP", "+1 source: BBC"]
    # The thread deleted: the story starts again with its next report.
    del desk.publisher.threads[first.id]
    await desk.arrive(threads, "Temu wins appeal", story=4, source="FT")
    await desk.sender.drain()
    assert desk.publisher.in_channel(CHANNEL)[-1].text == "Temu wins appeal"


async def test_a_corrected_item_edits_its_message_and_a_deleted_one_stays_deleted(
    desk: Desk,
) -> None:
    plain = await desk.subscribe(PostLayout.MESSAGE)
    forum = await desk.subscribe(PostLayout.FORUM)
    typo = await desk.arrive(plain, "Temu fnied", story=None)
    await desk.sender.drain()
    await desk.arrive(forum, "Shein fined", story=9)
    reply = await desk.arrive(forum, "Shein fnied again", story=9, source="AP")
    await desk.sender.drain()
    desk.clock.advance(timedelta(hours=3))
    await desk.correct(typo, "Temu fined")
    await desk.correct(reply, "Shein fined again", "AP")
    await desk.sender.drain()
    texts = {m.text: m.edits for m in desk.publisher.messages.values()}
    assert texts == {"Temu fined": 1, "Shein fined": 0, "Shein fined again": 1}
    count = len(desk.publisher.messages)
    [edited] = [m for m in desk.publisher.messages.values() if m.text == "Temu fined"]
    del desk.publisher.messages[edited.id]
    await desk.correct(typo, "Temu fined, again")
    await desk.sender.drain()
    await desk.sender.drain()
    assert len(desk.publisher.messages) == count - 1  # not reposted
    # A day after the post, corrections are left alone.
    desk.clock.advance(timedelta(hours=30))
    await desk.correct(reply, "Shein fined once more", "AP")
    await desk.sender.drain()
    assert all(m.edits <= 1 for m in desk.publisher.messages.values())


async def test_publishing_past_the_limit_waits_and_is_never_dropped_or_reposted(
    desk: Desk,
) -> None:
    announcements = await desk.subscribe(PostLayout.MESSAGE, publish=True)
    desk.publisher.crosspost_limit = 2
    for n in range(4):
        await desk.arrive(announcements, f"Item {n}", story=None)
    await desk.sender.drain()
    assert len(desk.publisher.published) == 2
    assert await desk.db.followups.waiting_to_publish(announcements.id) == 2
    await desk.sender.drain()  # still within the wait Discord asked for: nothing tried
    assert len(desk.publisher.published) == 2
    desk.publisher.crosspost_limit = 10
    desk.clock.advance(timedelta(minutes=51))
    await desk.sender.drain()
    posted = sorted(m.id for m in desk.publisher.in_channel(CHANNEL))
    assert sorted(desk.publisher.published) == posted and len(posted) == 4
    assert await desk.db.followups.waiting_to_publish(announcements.id) == 0


async def test_roundups_and_digests_are_published_in_the_posts_queue_never_thread_replies(
    desk: Desk,
) -> None:
    announcements = await desk.subscribe(PostLayout.MESSAGE, publish=True)
    # A flood: 5 posts and a roundup of the other 3, each published once.
    for n in range(8):
        await desk.arrive(announcements, f"Item {n}", story=None)
    await desk.sender.drain()
    messages = desk.publisher.in_channel(CHANNEL)
    assert [m.text for m in messages][-1] == "roundup of 3" and len(messages) == 6
    assert sorted(desk.publisher.published) == sorted(m.id for m in messages)
    # The channel is now over Discord's limit: a digest posted there waits with the posts.
    desk.publisher.crosspost_limit = 6
    await desk.arrive(announcements, "Item 8", story=None)
    now = desk.clock.now()
    await desk.db.digests.plan(announcements.id, now - timedelta(days=1), now, now)
    [digest] = await desk.db.digests.due(now, 10)
    await desk.db.digests.mark_sent(digest.id, 99_999, now)
    await desk.sender.drain()
    assert len(desk.publisher.published) == 6
    assert await desk.db.followups.waiting_to_publish(announcements.id) == 2
    desk.publisher.crosspost_limit = 100
    desk.clock.advance(timedelta(minutes=51))
    await desk.sender.drain()
    assert desk.publisher.published[-2:] == [desk.publisher.in_channel(CHANNEL)[-1].id, 99_999]
    assert await desk.db.followups.waiting_to_publish(announcements.id) == 0


async def test_a_story_thread_publishes_its_first_message_not_its_replies(desk: Desk) -> None:
    threads = await desk.subscribe(PostLayout.THREAD, publish=True)
    await desk.arrive(threads, "Temu fined", story=1)
    await desk.sender.drain()
    await desk.arrive(threads, "Temu fined, AP says", story=1, source="AP")
    await desk.sender.drain()
    [first] = desk.publisher.in_channel(CHANNEL)
    assert [m.channel_id for m in desk.publisher.messages.values()] == [CHANNEL, first.id]
    # Discord publishes an announcement channel's own messages; a thread's are not published.
    assert desk.publisher.published == [first.id]
    assert await desk.db.followups.waiting_to_publish(threads.id) == 0


async def test_a_corrected_forum_post_takes_the_corrected_title_and_a_reply_changes_none(
    desk: Desk,
) -> None:
    forum = await desk.subscribe(PostLayout.FORUM)
    first = await desk.arrive(forum, "Shein fnied in France " + "x" * 120, story=9)
    reply = await desk.arrive(forum, "Shein fnied, AP says", story=9, source="AP")
    await desk.sender.drain()
    [thread] = desk.publisher.threads
    desk.clock.advance(timedelta(hours=1))
    await desk.correct(first, "Shein fined in France " + "x" * 120)
    await desk.correct(reply, "Shein fined, AP says", "AP")
    await desk.sender.drain()
    # Only the post the corrected item opened is retitled, within Discord's 100 characters.
    [(renamed, title)] = desk.publisher.renames
    assert renamed == thread and title.startswith("Shein fined in France x") and len(title) == 100
    # Without Manage Threads the message is still corrected; the title stays as it was.
    desk.publisher.may_rename = False
    await desk.correct(first, "Shein fined €40m in France")
    await desk.sender.drain()
    assert desk.publisher.messages[thread].text == "Shein fined €40m in France"
    assert desk.publisher.threads[thread] == title and len(desk.publisher.renames) == 1


async def test_a_corrected_story_in_a_text_channel_retitles_its_thread(desk: Desk) -> None:
    threads = await desk.subscribe(PostLayout.THREAD)
    first = await desk.arrive(threads, "Temu fnied by the EU", story=3)
    await desk.arrive(threads, "Temu fined, AP says", story=3, source="AP")
    await desk.sender.drain()
    [thread] = desk.publisher.threads
    assert desk.publisher.threads[thread] == "Temu fnied by the EU"
    desk.clock.advance(timedelta(hours=1))
    await desk.correct(first, "Temu fined by the EU")
    await desk.sender.drain()
    assert desk.publisher.renames == [(thread, "Temu fined by the EU")]
    assert desk.publisher.messages[thread].text == "Temu fined by the EU"


async def test_a_story_thread_not_opened_yet_opens_with_the_corrected_title(desk: Desk) -> None:
    threads = await desk.subscribe(PostLayout.THREAD)
    first = await desk.arrive(threads, "Shein fnied in France", story=4)
    await desk.sender.drain()
    desk.clock.advance(timedelta(hours=1))
    await desk.correct(first, "Shein fined in France")
    await desk.sender.drain()
    assert desk.publisher.threads == {} and desk.publisher.renames == []
    await desk.arrive(threads, "Shein fined, AP says", story=4, source="AP")
    await desk.sender.drain()
    assert list(desk.publisher.threads.values()) == ["Shein fined in France"]


async def test_a_rate_limited_rename_is_tried_again_when_discord_allows(desk: Desk) -> None:
    forum = await desk.subscribe(PostLayout.FORUM)
    first = await desk.arrive(forum, "Amazon fnied in Italy", story=5)
    await desk.sender.drain()
    [thread] = desk.publisher.threads
    desk.publisher.renames_left = 0
    desk.clock.advance(timedelta(hours=1))
    await desk.correct(first, "Amazon fined in Italy")
    await desk.sender.drain()
    # The message is corrected at once; the title waits for Discord's rate limit.
    assert desk.publisher.messages[thread].text == "Amazon fined in Italy"
    assert desk.publisher.threads[thread] == "Amazon fnied in Italy"
    desk.publisher.renames_left = 100
    desk.clock.advance(timedelta(minutes=5))
    await desk.sender.drain()
    assert desk.publisher.renames == []  # not before the wait Discord asked for
    desk.clock.advance(timedelta(minutes=5))
    await desk.sender.drain()
    assert desk.publisher.renames == [(thread, "Amazon fined in Italy")]
    desk.clock.advance(timedelta(minutes=30))
    await desk.sender.drain()
    assert len(desk.publisher.renames) == 1  # done: never renamed again
