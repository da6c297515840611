"""What delivery owes to posts already sent: edits of corrected items, and publishing.

::

    edits_due                      posts whose item the publisher corrected within a day
    | publisher.edit_item          the message rewritten where it is (channel, thread, forum)
    |   sent                       done; a message that opened a thread (a forum post, a
    |                              story's thread in a text channel): the thread retitled
    |                              too; rate limited: edit and rename again later
    |   not found                  gone: the message was deleted in Discord; never reposted
    |   forbidden                  failed (logged)
    |   retry                      tried again later
    publishing_due                 a publishing subscription's messages in an announcement
    |                              channel: posts, roundups and digests (never a thread's
    |                              replies: Discord publishes only the channel's own messages)
    | publisher.crosspost          one channel at a time, oldest first
    |   sent                       published
    |   not found                  gone (deleted, or no announcement channel any more)
    |   rate limited / retry       the channel's waiting posts wait as long as Discord asked:
    |                              queued, never dropped, and the post itself is not repeated

An edit or a crosspost changes a message that exists; neither ever makes a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from bot.news.model.vocabulary import (
    ALL_SHARDS,
    DigestEntry,
    EditState,
    OutboxEntry,
    PostLayout,
    PostOutcome,
    PostResult,
    PublishState,
    Shards,
)
from bot.news.ports import (
    Clock,
    DeliveryClaims,
    DigestRepository,
    FollowUpRepository,
    StoryPublisher,
    StoryThreadRepository,
)
from bot.news.rules.story_posts import source_note, story_title

log = logging.getLogger("shopwire.delivery")


@dataclass(frozen=True, slots=True)
class FollowUpReport:
    """What one run of follow-ups did."""

    edited: int = 0
    gone: int = 0
    published: int = 0
    held: int = 0


class FollowUpSender:
    """Edits corrected posts and publishes announcement posts and digests, subscription by
    subscription: only for guilds on ``shards``, and with ``claims`` (several gateways) only
    while this process holds the subscription's claim, as for its new posts. An edit or
    crosspost read just before another process finished it is repeated harmlessly: the same
    text again, and Discord's "already crossposted" counts as published."""

    def __init__(
        self,
        *,
        followups: FollowUpRepository,
        publisher: StoryPublisher,
        clock: Clock,
        digests: DigestRepository | None = None,
        claims: DeliveryClaims | None = None,
        threads: StoryThreadRepository | None = None,
        shards: Shards = ALL_SHARDS,
        batch: int = 50,
        retry: timedelta = timedelta(minutes=1),
        forbidden_wait: timedelta = timedelta(minutes=10),
    ) -> None:
        self._followups = followups
        # Posted digests wait in the same per-channel queue (absent: posts only).
        self._digests = digests
        self._claims = claims
        # Story threads in text channels (absent: only forum posts are retitled).
        self._threads = threads
        self._shards = shards
        self._publisher = publisher
        self._clock = clock
        self._batch = batch
        self._retry = retry
        self._forbidden_wait = forbidden_wait

    async def run(self) -> FollowUpReport:
        """Edit what is owed an edit, then publish what waits (each up to a batch)."""
        now = self._clock.now()
        edits = await self._followups.edits_due(now, self._batch, self._shards)
        owed: dict[int, tuple[list[OutboxEntry], list[_Waiting]]] = {}
        for entry in edits:
            owed.setdefault(entry.subscription_id, ([], []))[0].append(entry)
        for waiting in await self._waiting(now):
            owed.setdefault(waiting.subscription_id, ([], []))[1].append(waiting)
        edited = gone = published = held = 0
        for subscription_id, (its_edits, its_waiting) in owed.items():
            if not await self._claim(subscription_id):
                continue  # another process serves this subscription right now
            try:
                done, lost = await self._edit(its_edits)
                sent, queued, vanished = await self._publish(its_waiting)
            finally:
                if self._claims is not None:
                    await self._claims.release(subscription_id)
            edited, gone = edited + done, gone + lost + vanished
            published, held = published + sent, held + queued
        report = FollowUpReport(edited, gone, published, held)
        if report != FollowUpReport():
            log.info(
                "follow-ups edited=%d gone=%d published=%d held=%d",
                report.edited,
                report.gone,
                report.published,
                report.held,
            )
        return report

    async def _claim(self, subscription_id: int) -> bool:
        if self._claims is None:
            return True
        claimed = await self._claims.claim(subscription_id, (), self._clock.now())
        return claimed is not None

    async def _edit(self, entries: Sequence[OutboxEntry]) -> tuple[int, int]:
        edited = gone = 0
        for entry in entries:
            assert entry.message_id is not None  # only sent posts with a message owe edits
            where = entry.thread_id if entry.thread_id is not None else entry.channel_id
            # A later report in a story's thread has the source line above it; a story's
            # first message (a forum post's has the thread's id) has none.
            reply = entry.thread_id is not None and entry.message_id != entry.thread_id
            note = source_note(entry.item) if reply else ""
            result = await self._publisher.edit_item(
                where, entry.message_id, entry.item, note, entry.post_format
            )
            if result.outcome is PostOutcome.SENT:
                renamed = await self._retitle(entry)
                if renamed is not None and renamed.outcome is PostOutcome.RETRY:
                    # Discord renames a thread at most twice in ten minutes: the edit (the
                    # same text again) and the rename are both tried when it allows.
                    wait = renamed.retry_after or self._retry
                    await self._followups.edit_later(entry.id, self._clock.now() + wait)
                    continue
                await self._followups.finish_edit(entry.id, EditState.DONE)
                edited += 1
            elif result.outcome is PostOutcome.NOT_FOUND:
                await self._followups.finish_edit(entry.id, EditState.GONE)
                gone += 1
                log.info("edit skipped: message deleted entry_id=%s", entry.id)
            elif result.outcome is PostOutcome.FORBIDDEN:
                await self._followups.finish_edit(entry.id, EditState.FAILED)
                log.warning("edit refused entry_id=%s: %s", entry.id, result.error)
            else:
                wait = result.retry_after or self._retry
                await self._followups.edit_later(entry.id, self._clock.now() + wait)
        return edited, gone

    async def _retitle(self, entry: OutboxEntry) -> PostResult | None:
        """The thread a corrected item opened takes its corrected headline: a forum post, or a
        text channel's thread on a story's first message (one not opened yet will open with
        it). None when there is no thread to rename. A refusal (no Manage Threads, an archived
        post) leaves the old title, logged; a rate limit is the caller's to retry."""
        title = story_title(entry.item)
        thread_id = await self._own_thread(entry, title)
        if thread_id is None:
            return None
        renamed = await self._publisher.rename_thread(thread_id, title)
        if renamed.outcome not in (PostOutcome.SENT, PostOutcome.RETRY):
            log.info(
                "thread title kept entry_id=%s thread_id=%s: %s",
                entry.id,
                thread_id,
                renamed.error or renamed.outcome.value,
            )
        return renamed

    async def _own_thread(self, entry: OutboxEntry, title: str) -> int | None:
        """The thread ``entry``'s message opened, if it opened one that exists."""
        if entry.layout is PostLayout.FORUM:
            return entry.thread_id if entry.thread_id == entry.message_id else None
        if entry.layout is not PostLayout.THREAD or self._threads is None:
            return None
        own = await self._threads.for_entry(entry.id)
        if own is None or own.message_id != entry.message_id:
            return None  # a later report, or a row of another post
        if own.thread_id is None:
            await self._threads.retitle(own.id, title)
        return own.thread_id

    async def _publish(self, due: Sequence[_Waiting]) -> tuple[int, int, int]:
        published = held = gone = 0
        by_channel: dict[int, list[_Waiting]] = {}
        for waiting in sorted(due, key=lambda w: w.message_id):
            by_channel.setdefault(waiting.channel_id, []).append(waiting)
        for channel_id, queue in by_channel.items():
            for index, waiting in enumerate(queue):
                result = await self._publisher.crosspost(channel_id, waiting.message_id)
                if result.outcome is PostOutcome.SENT:
                    await waiting.finish(PublishState.PUBLISHED)
                    published += 1
                    continue
                if result.outcome is PostOutcome.NOT_FOUND:
                    await waiting.finish(PublishState.GONE)
                    gone += 1
                    log.info("publishing skipped %s: %s", waiting.label, result.error)
                    continue
                # Over the publish limit (or refused, or failing): this channel's messages all
                # wait, in order, and are published later; none is dropped or posted again.
                if result.outcome is PostOutcome.FORBIDDEN:
                    wait = self._forbidden_wait
                    log.warning("publishing refused channel_id=%s: %s", channel_id, result.error)
                else:
                    wait = result.retry_after or self._retry
                held += await self._hold(queue[index:], wait)
                break
        return published, held, gone

    async def _waiting(self, now: datetime) -> list[_Waiting]:
        """Posts, roundups and digests of this process's shards whose publishing is due: one
        queue per channel, since Discord's publish limit is the channel's whatever the
        message."""
        waiting = [
            _post_waiting(self._followups, entry)
            for entry in await self._followups.publishing_due(now, self._batch, self._shards)
        ]
        if self._digests is not None:
            waiting += [
                _digest_waiting(self._digests, digest)
                for digest in await self._digests.publishing_due(now, self._batch)
                if self._shards.owns(digest.subscription.guild_id)
            ]
        return waiting

    async def _hold(self, queue: Sequence[_Waiting], wait: timedelta) -> int:
        until = self._clock.now() + wait
        for waiting in queue:
            await waiting.later(until)
        return len(queue)


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A message waiting to be published, and how its row records what became of it."""

    subscription_id: int
    channel_id: int
    message_id: int  # a snowflake: their order is the order the channel showed them in
    label: str
    finish: Callable[[PublishState], Awaitable[None]]
    later: Callable[[datetime], Awaitable[None]]


def _post_waiting(followups: FollowUpRepository, entry: OutboxEntry) -> _Waiting:
    assert entry.message_id is not None  # only posts with a message wait to be published
    return _Waiting(
        subscription_id=entry.subscription_id,
        channel_id=entry.channel_id,
        message_id=entry.message_id,
        label=f"entry_id={entry.id}",
        finish=partial(followups.finish_publishing, entry.id),
        later=partial(followups.publish_later, entry.id),
    )


def _digest_waiting(digests: DigestRepository, digest: DigestEntry) -> _Waiting:
    assert digest.message_id is not None  # only posted digests wait to be published
    return _Waiting(
        subscription_id=digest.subscription.id,
        channel_id=digest.subscription.channel_id,
        message_id=digest.message_id,
        label=f"digest_id={digest.id}",
        finish=partial(digests.finish_publishing, digest.id),
        later=partial(digests.publish_later, digest.id),
    )
