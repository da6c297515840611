"""Draining the outbox: posting queued items to channels, exactly once as far as Discord allows.

::

    outbox.due(now)                      pending posts of unpaused subscriptions, shared
    |                                    round-robin between them (a flood never fills it)
    | group by channel                   channels side by side, quietest first, each one
    |                                    post at a time (Discord limits messages per channel)
    | group by subscription              oldest item first
    | too old?                           dropped, never posted (in a roundup or not)
    | first N                            publisher.post_item(channel, item, nonce), or by
    |                                    story: StoryPoster (a forum post, a thread's reply)
    |   sent                             outbox.mark_sent(message id), only after Discord said yes
    |   retry (5xx, network)             outbox.mark_retry(backoff); the channel waits
    |   forbidden / not found            subscription paused with the reason; posts stay queued
    |   not found, again and again       the channel is gone: subscription disabled, its posts
    |                                    dropped with the reason (subscribing again resumes it)
    |   refused (400: AutoMod, a limit)  dropped with Discord's reason; the channel goes on
    | roundups composed earlier          posted first, their pending items with the same nonce
    | the rest, in groups of M           recorded as roundups, then up to R posted, each one
    |                                    message listing them, then marked overflow
    |                                    (not for forums and threads: the rest waits)
    follow-ups                           edits of corrected posts, publishing (FollowUpSender)

A crash between "Discord accepted" and "recorded" is harmless: the retry sends the same nonce
(derived from the subscription and the item) with ``enforce_nonce``, and Discord answers with
the message it already created instead of a second one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.news.model.vocabulary import (
    ALL_SHARDS,
    DeliveryReport,
    OutboxEntry,
    PostLayout,
    PostOutcome,
    PostResult,
    Shards,
    Subscription,
)
from bot.news.ports import (
    Clock,
    DeliveryClaims,
    OutboxRepository,
    Publisher,
    SubscriptionRepository,
)
from bot.news.services.followups import FollowUpSender
from bot.news.services.metrics import NO_METRICS, Metrics
from bot.news.services.refusals import ChannelRefusals, GoneRule, pause_refused
from bot.news.services.stage import CrashLog
from bot.news.services.story_posts import StoryPoster

log = logging.getLogger("shopwire.delivery")


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """Limits of delivery that come from settings."""

    max_posts_per_channel: int = 5
    # A flood never loses items: past the cap they go into roundup messages of this many.
    max_roundup_items: int = 20
    # Roundups posted per channel per drain; more wait (already composed) for the next drain.
    max_roundups_per_drain: int = 2
    # How long a subscription stays paused after a 403/404 its channel's cached permissions do
    # not explain, before delivery tries it again (an admin's /subscribe resumes it at once).
    cool_off: timedelta = timedelta(minutes=10)
    max_age: timedelta = timedelta(days=3)
    # Posts read per drain, shared round-robin between subscriptions.
    batch: int = 500
    # Channels posted to at the same time (each one request at a time); bounded so that a
    # drain over hundreds of channels stays well under Discord's global request limit.
    channels_at_once: int = 8
    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=1)
    # When a channel answering 404 is taken to be deleted is ``refusals.GoneRule``'s, shared
    # with the digests; its retry after a 404 is this ``cool_off``.


def post_nonce(subscription_id: int, item_id: int) -> str:
    """A fixed nonce for one (subscription, item) post: 25 characters, Discord's maximum."""
    digest = hashlib.sha256(f"shopwire:{subscription_id}:{item_id}".encode()).hexdigest()
    return digest[:25]


def roundup_nonce(subscription_id: int, entry_ids: Sequence[int]) -> str:
    """A fixed nonce for a roundup of exactly these posts."""
    joined = ",".join(str(i) for i in sorted(entry_ids))
    return hashlib.sha256(f"shopwire:more:{subscription_id}:{joined}".encode()).hexdigest()[:25]


def retry_delay(attempts: int, base: timedelta, maximum: timedelta) -> timedelta:
    """How long to wait after ``attempts`` failed attempts: base, twice that, … at most
    ``maximum``."""
    return min(base * (1 << min(attempts, 16)), maximum)


@dataclass
class _Tally:
    sent: int = 0
    overflowed: int = 0
    retried: int = 0
    dropped: int = 0
    paused: list[int] = field(default_factory=list)
    resumed: list[int] = field(default_factory=list)

    def report(self) -> DeliveryReport:
        return DeliveryReport(
            self.sent,
            self.overflowed,
            self.retried,
            self.dropped,
            tuple(self.paused),
            tuple(self.resumed),
        )


class DeliverySender:
    """Posts what the outbox holds; one channel's failure never stops the others."""

    def __init__(
        self,
        *,
        outbox: OutboxRepository,
        subscriptions: SubscriptionRepository,
        publisher: Publisher,
        clock: Clock,
        options: DeliveryOptions,
        metrics: Metrics = NO_METRICS,
        stories: StoryPoster | None = None,
        followups: FollowUpSender | None = None,
        claims: DeliveryClaims | None = None,
        shards: Shards = ALL_SHARDS,
        refusals: ChannelRefusals | None = None,
    ) -> None:
        self._outbox = outbox
        # A process serving some of Discord's shards posts only for the guilds on them.
        self._shards = shards
        # Several gateway processes: a subscription is delivered by the one that claims it.
        self._claims = claims
        self._subscriptions = subscriptions
        self._publisher = publisher
        self._clock = clock
        self._options = options
        self._metrics = metrics
        # Posting by story (threads, forums), and edits and publishing of sent posts: absent
        # where the publisher cannot do them.
        self._stories = stories
        self._followups = followups
        # Subscriptions paused by a refusal the permission cache did not explain, and until
        # when they are left paused before being tried again.
        self._cooling: dict[int, datetime] = {}
        # A channel's 404s in a row, counted in its subscription's row (the digests' too).
        self._refusals = refusals or ChannelRefusals(
            subscriptions, GoneRule(cool_off=options.cool_off)
        )
        # Subscriptions with 404 strikes, as last listed or struck here: a success of one of
        # them clears its strikes (a write only then, not after every post).
        self._struck: set[int] = set()
        # Subscriptions found paused with a channel the cache cannot post in, that this
        # process did not pause itself (paused before a restart): when each is tried once
        # (None: tried, or paused by this process for a reason the cache explains).
        self._probe_at: dict[int, datetime | None] = {}
        # Delivery is woken after every stored feed: a channel whose delivery keeps crashing
        # logs its traceback once, then one line per drain.
        self._crashes = CrashLog(log)

    async def drain(self) -> DeliveryReport:
        """Resume subscriptions whose channel works again, then post what is due.

        ``due`` shares the batch round-robin between subscriptions, and channels are served
        side by side (each channel's posts one at a time, in order), quietest first: a flood,
        or a channel whose posts wait out Discord's rate limit, never holds back the others.
        """
        tally = _Tally()
        await self._resume_recovered(tally)
        entries = await self._outbox.due(self._clock.now(), self._options.batch, self._shards)
        by_channel: dict[int, dict[int, list[OutboxEntry]]] = {}
        for entry in entries:
            subscriptions = by_channel.setdefault(entry.channel_id, {})
            subscriptions.setdefault(entry.subscription_id, []).append(entry)
        # A channel with one post takes one request; it goes before a flood's many.
        channels = sorted(
            by_channel.values(), key=lambda subs: sum(len(queued) for queued in subs.values())
        )
        slots = asyncio.Semaphore(max(self._options.channels_at_once, 1))

        async def serve(subscriptions: dict[int, list[OutboxEntry]]) -> None:
            # One request at a time per channel: Discord's message limit is per channel, and
            # posts stay in order; discord.py waits out the channel's bucket before each.
            async with slots:
                for subscription_id, queued in subscriptions.items():
                    try:
                        await self._deliver_claimed(subscription_id, queued, tally)
                    except Exception as exc:  # a bug must not stop other channels' posts
                        self._crashes.crashed(
                            exc, "delivery subscription_id=%s crashed", subscription_id
                        )

        async with asyncio.TaskGroup() as group:
            for subscriptions in channels:
                group.create_task(serve(subscriptions))
        if self._followups is not None:
            try:
                await self._followups.run()
            except Exception as exc:  # a bug in follow-ups must not stop new posts
                self._crashes.crashed(exc, "delivery follow-ups crashed")
        if entries or tally.resumed:
            log.info(
                "delivery sent=%d overflow=%d retry=%d dropped=%d paused=%s resumed=%s",
                tally.sent,
                tally.overflowed,
                tally.retried,
                tally.dropped,
                tally.paused,
                tally.resumed,
            )
        return tally.report()

    async def _deliver_claimed(
        self, subscription_id: int, queued: list[OutboxEntry], tally: _Tally
    ) -> None:
        if self._claims is None:
            await self._deliver(subscription_id, queued, tally)
            return
        pending = await self._claims.claim(
            subscription_id, [entry.id for entry in queued], self._clock.now()
        )
        if pending is None:
            return  # another process is posting for this subscription right now
        try:
            still = [entry for entry in queued if entry.id in pending]
            if still:
                await self._deliver(subscription_id, still, tally)
        finally:
            await self._claims.release(subscription_id)

    async def _deliver(
        self, subscription_id: int, queued: list[OutboxEntry], tally: _Tally
    ) -> None:
        now = self._clock.now()
        # An item that waited past the maximum age (a long pause, an outage) is news no more,
        # in a roundup or not. Dropped before anything is posted, so that no roundup shows it
        # and no roundup footer counts it as still to follow.
        stale = [e.id for e in queued if self._too_old(e, now)]
        if stale:
            await self._outbox.mark_dropped(stale, "older than the maximum age")
            tally.dropped += len(stale)
        # A roundup composed earlier (then a crash, or a failed post) goes first with the same
        # nonce: Discord answers a repeat with the message it already created, and a roundup
        # never posted shows only its items that are still pending, so nothing is shown twice.
        budget = self._options.max_roundups_per_drain
        composed = list(dict.fromkeys(e.roundup for e in queued if e.roundup is not None))
        for nonce in composed:
            if budget <= 0:
                return
            members = await self._outbox.roundup_entries(subscription_id, nonce, now)
            old = [e.id for e in members if self._too_old(e, now)]  # beyond the batch
            if old:
                await self._outbox.mark_dropped(old, "older than the maximum age")
                tally.dropped += len(old)
            members = [e for e in members if not self._too_old(e, now)]
            if not members:
                continue
            if not await self._post_roundup(subscription_id, members, nonce, tally):
                return
            budget -= 1
        fresh = [e for e in queued if e.roundup is None and not self._too_old(e, now)]

        cap = self._options.max_posts_per_channel
        for entry in fresh[:cap]:
            nonce = post_nonce(entry.subscription_id, entry.item.id)
            if entry.layout is not PostLayout.MESSAGE and self._stories is not None:
                result = await self._stories.post(entry, nonce)  # records what it sent
            else:
                result = await self._publisher.post_item(
                    entry.channel_id, entry.item, nonce, entry.post_format
                )
                if result.outcome is PostOutcome.SENT:
                    await self._outbox.mark_sent(
                        entry.id, result.message_id or 0, self._clock.now()
                    )
            self._metrics.post_finished(result.outcome)
            if result.outcome is PostOutcome.SENT:
                await self._found(subscription_id)
                tally.sent += 1
                continue
            if result.outcome is PostOutcome.REFUSED:
                await self._refused([entry], result, tally)
                continue  # never postable: the channel's next posts go on
            await self._failed(entry, result, tally)
            return  # this channel waits; its other posts stay queued in order
        if fresh and fresh[0].layout is not PostLayout.MESSAGE:
            # A forum takes no roundup message, and a story's reports belong in its thread:
            # the rest waits for the next drains (still within the maximum age).
            return

        # Past the cap, a flood is rolled into roundup messages (linked headlines) instead of
        # being dropped. Each roundup's items are recorded before it is posted.
        size = self._options.max_roundup_items
        overflow = fresh[cap:]
        groups = [overflow[i : i + size] for i in range(0, len(overflow), size)]
        nonces = [roundup_nonce(subscription_id, [e.id for e in group]) for group in groups]
        await self._outbox.compose_roundups(
            [(nonce, [e.id for e in group]) for nonce, group in zip(nonces, groups, strict=True)]
        )
        for nonce, group in zip(nonces[:budget], groups[:budget], strict=True):
            if not await self._post_roundup(subscription_id, group, nonce, tally):
                return

    def _too_old(self, entry: OutboxEntry, now: datetime) -> bool:
        return now - entry.item.published > self._options.max_age

    async def _post_roundup(
        self, subscription_id: int, members: list[OutboxEntry], nonce: str, tally: _Tally
    ) -> bool:
        """Post one roundup; True when it was sent (its posts are then marked overflow)."""
        waiting = await self._outbox.pending_count(subscription_id) - len(members)
        result = await self._publisher.post_roundup(
            members[0].channel_id,
            [e.item for e in members],
            max(waiting, 0),
            nonce,
            members[0].post_format,
        )
        self._metrics.post_finished(result.outcome)
        if result.outcome is PostOutcome.SENT:
            await self._outbox.mark_overflow([e.id for e in members], result.message_id)
            await self._found(subscription_id)
            tally.overflowed += len(members)
            return True
        if result.outcome is PostOutcome.REFUSED:
            await self._refused(members, result, tally)
            return True
        await self._failed(members[0], result, tally)
        return False

    async def _refused(
        self, entries: Sequence[OutboxEntry], result: PostResult, tally: _Tally
    ) -> None:
        """Drop posts Discord refused for what they say (never postable as they are), with
        the reason, so that the channel's later posts are not held behind them for days."""
        reason = f"Discord refused the message: {result.error or 'HTTP 400'}"
        await self._outbox.mark_dropped([e.id for e in entries], reason)
        tally.dropped += len(entries)
        log.warning(
            "post refused subscription_id=%s channel_id=%s items=%s reason=%s",
            entries[0].subscription_id,
            entries[0].channel_id,
            ",".join(str(e.item.id) for e in entries),
            reason,
        )

    async def _failed(self, entry: OutboxEntry, result: PostResult, tally: _Tally) -> None:
        error = result.error or result.outcome.value
        if result.outcome in (PostOutcome.FORBIDDEN, PostOutcome.NOT_FOUND):
            now = self._clock.now()
            if result.outcome is PostOutcome.NOT_FOUND:
                if await self._gone(entry, error, tally):
                    return  # disabled, its posts dropped
            else:
                await pause_refused(
                    self._subscriptions, entry.subscription_id, entry.channel_id, error, now
                )
            tally.paused.append(entry.subscription_id)
            self._probe_at[entry.subscription_id] = None
            if (
                result.outcome is PostOutcome.NOT_FOUND
                or self._publisher.missing_permissions(entry.channel_id) is None
            ):
                # Discord refused although the cached permissions look fine (an override the
                # cache does not show), or the channel may be gone (the cache may still list
                # it, or no longer): tried again after the cool-off, not every tick.
                self._cooling[entry.subscription_id] = now + self._options.cool_off
            return
        wait = retry_delay(entry.attempts, self._options.retry_base, self._options.retry_max)
        await self._outbox.mark_retry(entry.id, error, self._clock.now() + wait)
        tally.retried += 1

    async def _gone(self, entry: OutboxEntry, error: str, tally: _Tally) -> bool:
        """Count a 404 (``ChannelRefusals``); on the last strike the subscription is disabled
        and its posts dropped with the reason (True). Until then it is paused (there) and
        tried again after the cool-off."""
        dropped = await self._refusals.not_found(
            entry.subscription_id, entry.channel_id, error, self._clock.now()
        )
        if dropped is None:
            self._struck.add(entry.subscription_id)
            return False
        self._struck.discard(entry.subscription_id)
        self._cooling.pop(entry.subscription_id, None)
        tally.dropped += dropped
        tally.paused.append(entry.subscription_id)
        return True

    async def _found(self, subscription_id: int) -> None:
        """A post went out: the channel's 404 strikes, if any, are forgotten."""
        if subscription_id in self._struck:
            await self._refusals.found(subscription_id)
            self._struck.discard(subscription_id)

    async def _resume_recovered(self, tally: _Tally) -> None:
        now = self._clock.now()
        listed = await self._subscriptions.list_all()
        self._struck = {s.id for s in listed if s.not_found is not None}
        for subscription in listed:
            if subscription.paused_reason is None or subscription.disabled:
                continue
            cooling = self._cooling.get(subscription.id)
            if cooling is not None and now < cooling:
                continue
            if not self._may_resume(subscription, now):
                continue
            self._cooling.pop(subscription.id, None)
            await self._subscriptions.resume(subscription.id)
            tally.resumed.append(subscription.id)
            log.info("subscription resumed subscription_id=%s", subscription.id)

    def _may_resume(self, subscription: Subscription, now: datetime) -> bool:
        """Whether a paused subscription, past any cool-off, is tried again now."""
        subscription_id, guild_id = subscription.id, subscription.guild_id
        if subscription.not_found is not None:
            # A 404 is the channel's own answer, whatever the cache says: tried once per
            # cool-off after the last one (restarts included) until the strikes disable it.
            # Its server's gateway alone tries it: the strikes count that one's answers.
            owned = self._shards.owns(guild_id)
            return owned and self._refusals.may_try(subscription.not_found, now)
        if self._publisher.missing_permissions(subscription.channel_id) is None:
            return True
        if subscription_id not in self._probe_at and not self._shards.owns(guild_id):
            return False  # another gateway's server: its channels are not in this cache
        # Paused before this process started, for a reason it cannot know: one try after the
        # cool-off, so that a deleted channel still earns the 404s that disable it.
        probe_at = self._probe_at.setdefault(subscription_id, now + self._options.cool_off)
        if probe_at is None or now < probe_at:
            return False
        self._probe_at[subscription_id] = None
        return True
