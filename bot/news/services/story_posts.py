"""Posting by story: one forum post per story, or a thread on a story's first message.

::

    entry of a 'thread' or 'forum' subscription (its item placed in a story, or in none)
    | the story already has a post here?    reply in its thread: "+1 source: <outlet>" + item
    |   thread layout, no thread yet         open it on the first message (one per message)
    |   the message or thread is gone        forget it; this report opens the story again
    | else: the story's first report
    |   row written first (with its title)   story_threads, before anything is posted
    |   forum: a post exists since the row?  (a crash or a lost answer) recorded, not re-created
    |   forum: create the post               its id and first message recorded with the send
    |   thread: post the message (nonce)     recorded with the send; the thread opens later

Discord de-duplicates messages by nonce but not thread creation: a forum post created and not
recorded (kill -9, a dropped answer) would be created again. The row written before the call
and the search after (the bot's active post in that forum with that title, opened since the
row, not already some story's) make the second attempt find the first post instead.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.news.model.vocabulary import OutboxEntry, PostLayout, PostOutcome, PostResult, StoryThread
from bot.news.ports import Clock, OutboxRepository, StoryPublisher, StoryThreadRepository
from bot.news.rules.story_posts import source_note, story_title

log = logging.getLogger("shopwire.delivery")

# Our clock and Discord's ids may disagree a little: a post opened this much before its row
# was written still counts as that row's.
CLOCK_SLACK = timedelta(minutes=1)


class StoryPoster:
    """Posts one queued item of a 'thread' or 'forum' subscription, and records it."""

    def __init__(
        self,
        *,
        threads: StoryThreadRepository,
        outbox: OutboxRepository,
        publisher: StoryPublisher,
        clock: Clock,
    ) -> None:
        self._threads = threads
        self._outbox = outbox
        self._publisher = publisher
        self._clock = clock

    async def post(self, entry: OutboxEntry, nonce: str) -> PostResult:
        """Post the entry where its story goes (``nonce``: the post's fixed nonce, for its
        messages); a SENT result is already recorded."""
        story_id = entry.item.story_id
        own = await self._threads.for_entry(entry.id)
        if own is None and story_id is not None:
            thread = await self._threads.for_story(entry.subscription_id, story_id)
            if thread is not None:
                replied = await self._reply(entry, thread, nonce)
                if replied is not None:
                    return replied
        return await self._first(entry, story_id, own, nonce)

    async def _reply(
        self, entry: OutboxEntry, thread: StoryThread, nonce: str
    ) -> PostResult | None:
        """Post a later report in the story's thread; None when the story's message or thread
        is gone (the report then opens the story again)."""
        thread_id = thread.thread_id
        if thread_id is None:
            assert thread.message_id is not None  # for_story returns posted rows only
            opened = await self._publisher.open_thread(
                entry.channel_id, thread.message_id, thread.title
            )
            if opened.outcome is PostOutcome.NOT_FOUND:
                await self._forget(thread, "the story's first message was deleted")
                return None
            if opened.outcome is not PostOutcome.SENT or opened.thread_id is None:
                return opened
            thread_id = opened.thread_id
            await self._threads.record_thread(thread.id, thread_id)
        result = await self._publisher.post_in_thread(
            thread_id,
            entry.item,
            source_note(entry.item),
            nonce,
            entry.post_format,
        )
        if result.outcome is PostOutcome.NOT_FOUND:
            await self._forget(thread, "the story's thread was deleted")
            return None
        if result.outcome is PostOutcome.SENT:
            await self._outbox.mark_sent(
                entry.id, result.message_id or 0, self._clock.now(), thread_id=thread_id
            )
        return result

    async def _first(
        self, entry: OutboxEntry, story_id: int | None, own: StoryThread | None, nonce: str
    ) -> PostResult:
        row = own or await self._threads.start(
            entry, story_id, story_title(entry.item), self._clock.now()
        )
        if entry.layout is PostLayout.FORUM:
            if own is not None:
                found = await self._publisher.find_forum_post(
                    entry.channel_id,
                    row.title,
                    row.created_at - CLOCK_SLACK,
                    await self._threads.thread_ids(entry.subscription_id),
                )
                if found.outcome is PostOutcome.SENT and found.thread_id is not None:
                    log.info(
                        "forum post found, not created again subscription_id=%s thread_id=%s",
                        entry.subscription_id,
                        found.thread_id,
                    )
                    await self._threads.record_first(
                        row.id, entry.id, found.thread_id, found.thread_id, self._clock.now()
                    )
                    return found
                if found.outcome is not PostOutcome.NOT_FOUND:
                    return found  # cannot tell whether it exists: creating it could double it
            result = await self._publisher.post_forum(
                entry.channel_id, row.title, entry.item, entry.post_format
            )
        else:
            result = await self._publisher.post_item(
                entry.channel_id, entry.item, nonce, entry.post_format
            )
        if result.outcome is PostOutcome.SENT:
            await self._threads.record_first(
                row.id, entry.id, result.message_id or 0, result.thread_id, self._clock.now()
            )
        return result

    async def _forget(self, thread: StoryThread, why: str) -> None:
        await self._threads.forget(thread.id)
        log.info(
            "story thread forgotten subscription_id=%s story_id=%s: %s",
            thread.subscription_id,
            thread.story_id,
            why,
        )
