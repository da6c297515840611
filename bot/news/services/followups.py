"""What delivery owes to posts already sent: edits of corrected items, and publishing.

::

    edits_due                      posts whose item the publisher corrected within a day
    | publisher.edit_item          the message rewritten where it is (channel, thread, forum)
    |   sent                       done
    |   not found                  gone: the message was deleted in Discord; never reposted
    |   forbidden                  failed (logged)
    |   retry                      tried again later
    publishing_due                 a publishing subscription's posts in an announcement channel
    | publisher.crosspost          one channel at a time, oldest first
    |   sent                       published
    |   not found                  gone (deleted, or no announcement channel any more)
    |   rate limited / retry       the channel's waiting posts wait as long as Discord asked:
    |                              queued, never dropped, and the post itself is not repeated

An edit or a crosspost changes a message that exists; neither ever makes a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.news.models import (
    ALL_SHARDS,
    EditState,
    OutboxEntry,
    PostOutcome,
    PublishState,
    Shards,
)
from bot.news.ports import Clock, DeliveryClaims, FollowUpRepository, StoryPublisher
from bot.news.rules.story_posts import source_note

log = logging.getLogger("shopwire.delivery")


@dataclass(frozen=True, slots=True)
class FollowUpReport:
    """What one run of follow-ups did."""

    edited: int = 0
    gone: int = 0
    published: int = 0
    held: int = 0


class FollowUpSender:
    """Edits corrected posts and publishes announcement posts, subscription by subscription:
    only for guilds on ``shards``, and with ``claims`` (several gateways) only while this
    process holds the subscription's claim, as for its new posts. An edit or crosspost read
    just before another process finished it is repeated harmlessly: the same text again, and
    Discord's "already crossposted" counts as published."""

    def __init__(
        self,
        *,
        followups: FollowUpRepository,
        publisher: StoryPublisher,
        clock: Clock,
        batch: int = 50,
        retry: timedelta = timedelta(minutes=1),
        forbidden_wait: timedelta = timedelta(minutes=10),
        claims: DeliveryClaims | None = None,
        shards: Shards = ALL_SHARDS,
    ) -> None:
        self._followups = followups
        self._publisher = publisher
        self._clock = clock
        self._batch = batch
        self._retry = retry
        self._forbidden_wait = forbidden_wait
        self._claims = claims
        self._shards = shards

    async def run(self) -> FollowUpReport:
        """Edit what is owed an edit, then publish what waits (each up to a batch)."""
        now = self._clock.now()
        edits = await self._followups.edits_due(now, self._batch, self._shards)
        publishing = await self._followups.publishing_due(now, self._batch, self._shards)
        owed: dict[int, tuple[list[OutboxEntry], list[OutboxEntry]]] = {}
        for entry in edits:
            owed.setdefault(entry.subscription_id, ([], []))[0].append(entry)
        for entry in publishing:
            owed.setdefault(entry.subscription_id, ([], []))[1].append(entry)
        edited = gone = published = held = 0
        for subscription_id, (its_edits, its_publishing) in owed.items():
            if not await self._claim(subscription_id):
                continue  # another process serves this subscription right now
            try:
                done, lost = await self._edit(its_edits)
                sent, waiting, vanished = await self._publish(its_publishing)
            finally:
                if self._claims is not None:
                    await self._claims.release(subscription_id)
            edited, gone = edited + done, gone + lost + vanished
            published, held = published + sent, held + waiting
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

    async def _publish(self, due: Sequence[OutboxEntry]) -> tuple[int, int, int]:
        published = held = gone = 0
        by_channel: dict[int, list[OutboxEntry]] = {}
        for entry in due:
            by_channel.setdefault(entry.channel_id, []).append(entry)
        for channel_id, entries in by_channel.items():
            for index, entry in enumerate(entries):
                assert entry.message_id is not None
                result = await self._publisher.crosspost(channel_id, entry.message_id)
                if result.outcome is PostOutcome.SENT:
                    await self._followups.finish_publishing(entry.id, PublishState.PUBLISHED)
                    published += 1
                    continue
                if result.outcome is PostOutcome.NOT_FOUND:
                    await self._followups.finish_publishing(entry.id, PublishState.GONE)
                    gone += 1
                    log.info("publishing skipped entry_id=%s: %s", entry.id, result.error)
                    continue
                # Over the publish limit (or refused, or failing): this channel's posts all
                # wait, in order, and are published later; none is dropped or posted again.
                if result.outcome is PostOutcome.FORBIDDEN:
                    wait = self._forbidden_wait
                    log.warning("publishing refused channel_id=%s: %s", channel_id, result.error)
                else:
                    wait = result.retry_after or self._retry
                held += await self._hold(entries[index:], wait)
                break
        return published, held, gone

    async def _hold(self, entries: Sequence[OutboxEntry], wait: timedelta) -> int:
        until = self._clock.now() + wait
        for entry in entries:
            await self._followups.publish_later(entry.id, until)
        return len(entries)
