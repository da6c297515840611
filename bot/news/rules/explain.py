"""What happened to one item for one subscription, and why: the answer of
``/subscriptions why``. Pure.

Whether a post was queued comes from ``planning.plan_verdict``, the function the updater
queues posts with; what happened after comes from the delivery log (the outbox row, or the
digest of the item's period). Nothing here decides delivery on its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.news.model.vocabulary import (
    DigestEntry,
    DigestState,
    Item,
    OutboxEntry,
    OutboxState,
    Subscription,
    SubscriptionMode,
)
from bot.news.rules.planning import ItemFacts, PlanVerdict, Skip, plan_verdict


class Outcome(enum.StrEnum):
    """Where an item stands for one subscription."""

    POSTED = "posted"  # its own message (``message_id``)
    ROUNDUP = "roundup"  # listed in a roundup message of a flood (``message_id``, when known)
    QUEUED = "queued"  # waiting for the next delivery round
    RETRYING = "retrying"  # a post failed; tried again at ``next_attempt_at``
    PAUSED = "paused"  # queued, but the subscription is paused (``reason``)
    DROPPED = "dropped"  # given up on (``reason``), never posted
    NOT_QUEUED = "not queued"  # the planner's ``verdict`` says why
    # It passes the rules now, but nothing was queued when it arrived: it was corrected since
    # (``changed``), or a setting (the maximum age) was different then.
    NOT_QUEUED_THEN = "not queued then"
    DIGEST_POSTED = "digest posted"  # the digest of its period (``message_id``)
    DIGEST_WAITING = "digest waiting"  # that digest waits (``next_attempt_at``, ``reason``)
    DIGEST_EMPTY = "digest empty"  # no story of the period matched: nothing was posted
    DIGEST_DROPPED = "digest dropped"  # not delivered before the next one was due
    DIGEST_LATER = "digest later"  # its period is still open: its digest comes at ``digest_at``
    # Its period has closed (at ``digest_at``) and its digest is about to be planned.
    DIGEST_DUE = "digest due"
    # Its period closed (at ``digest_at``) before the subscription's first digest: digests
    # never cover what came before them.
    DIGEST_BEFORE = "digest before"
    DIGEST_PRIVATE = "digest private"  # digests summarise shared feeds' stories only
    # First seen after the digest of its period was read (``digest``): its story goes in the
    # next digest, marked late, unless that digest could show it already.
    DIGEST_LATE = "digest late"


@dataclass(frozen=True, slots=True)
class Explanation:
    """One subscription's answer for one item."""

    subscription: Subscription
    outcome: Outcome
    verdict: PlanVerdict
    message_id: int | None = None
    # Where that message is when not in the subscription's channel: a forum post or a story's
    # thread.
    thread_id: int | None = None
    next_attempt_at: datetime | None = None
    # The last error of a failed post, why a post was dropped, or why its subscription is
    # paused.
    reason: str | None = None
    attempts: int = 0
    # The item was corrected after it arrived; the planner read the first version.
    changed: bool = False
    digest: DigestEntry | None = None
    # When the digest that covers the item was posted, or is (or was) due.
    digest_at: datetime | None = None


def item_facts(item: Item, feed_guild_id: int | None) -> ItemFacts:
    """A stored item as the planner saw it when its feed's poll stored it.

    The stored date is the feed's, clamped to that poll (or the poll's time when the feed gave
    none): the same age the planner computed, since it never exceeds the poll's time.
    """
    return ItemFacts(
        title=item.title,
        summary=item.summary,
        companies=tuple(c.id for c in item.companies),
        topics=item.topics,
        published=item.published,
        arrived=item.first_seen,
        feed_guild_id=feed_guild_id,
        first_poll=item.backlog,
    )


def explain(
    item: Item,
    subscription: Subscription,
    *,
    feed_guild_id: int | None,
    post: OutboxEntry | None,
    digest: DigestEntry | None,
    max_age: timedelta,
    now: datetime,
    digest_due: datetime | None = None,
) -> Explanation:
    """What happened to ``item`` for ``subscription``: ``post`` is its outbox row (realtime),
    ``digest`` the digest covering its publication date (digests), if any, and
    ``digest_due`` when the period holding that date ends (the digest's posting time)."""
    verdict = plan_verdict(subscription, item_facts(item, feed_guild_id), max_age)
    changed = item.updated_at > item.first_seen
    if subscription.mode is not SubscriptionMode.REALTIME:
        times = _DigestTimes(digest_due, now, item.first_seen)
        return _digest(subscription, verdict, feed_guild_id, digest, times)
    if post is None:
        outcome = Outcome.NOT_QUEUED_THEN if verdict.queued else Outcome.NOT_QUEUED
        return Explanation(subscription, outcome, verdict, changed=changed)
    if post.state is OutboxState.SENT:
        return Explanation(
            subscription,
            Outcome.POSTED,
            verdict,
            message_id=post.message_id,
            thread_id=post.thread_id,
        )
    if post.state is OutboxState.OVERFLOW:
        return Explanation(subscription, Outcome.ROUNDUP, verdict, message_id=post.message_id)
    if post.state is OutboxState.DROPPED:
        return Explanation(subscription, Outcome.DROPPED, verdict, reason=post.last_error)
    if subscription.paused_reason is not None:
        return Explanation(subscription, Outcome.PAUSED, verdict, reason=subscription.paused_reason)
    if post.next_attempt_at is not None and post.next_attempt_at > now:
        return Explanation(
            subscription,
            Outcome.RETRYING,
            verdict,
            next_attempt_at=post.next_attempt_at,
            reason=post.last_error,
            attempts=post.attempts,
        )
    return Explanation(subscription, Outcome.QUEUED, verdict, attempts=post.attempts)


@dataclass(frozen=True, slots=True)
class _DigestTimes:
    due: datetime | None  # when the period holding the item ends
    now: datetime
    first_seen: datetime | None = None  # when the item was first seen


# What a digest's summary depends on: its filters and the feed's server (the other reasons of
# the planner are about posting items one by one).
_DIGEST_SKIPS = (Skip.OTHER_SERVER, Skip.FILTER)


def _digest(
    subscription: Subscription,
    verdict: PlanVerdict,
    feed_guild_id: int | None,
    digest: DigestEntry | None,
    times: _DigestTimes,
) -> Explanation:
    if any(skip in verdict.skips for skip in _DIGEST_SKIPS):
        told = PlanVerdict(
            skips=tuple(s for s in verdict.skips if s in _DIGEST_SKIPS), misses=verdict.misses
        )
        return Explanation(subscription, Outcome.NOT_QUEUED, told)
    if feed_guild_id is not None:
        return Explanation(subscription, Outcome.DIGEST_PRIVATE, verdict)
    if digest is None and Skip.DISABLED in verdict.skips:
        # The scheduler plans no digest for a disabled subscription (its channel is gone).
        return Explanation(subscription, Outcome.NOT_QUEUED, PlanVerdict(skips=(Skip.DISABLED,)))
    if digest is None:
        return _no_digest(subscription, verdict, times)
    # A pending digest's reading may be redone on its next try (digests.py record_reading).
    read = digest.covered_until if digest.state is not DigestState.PENDING else None
    if read is not None and digest.sent_at is not None:
        # covered_until is a margin before the reading (digests.POLL_MARGIN): an item first
        # seen in it may be in the posted digest, and only one seen after it was posted
        # surely is not. An empty digest showed nothing: anything new since goes in the next.
        read = max(read, digest.sent_at)
    if read is not None and times.first_seen is not None and times.first_seen >= read:
        # The scheduler's rule (LateWindow): reported after that digest was read.
        return Explanation(subscription, Outcome.DIGEST_LATE, verdict, digest=digest)
    outcome = {
        DigestState.SENT: Outcome.DIGEST_POSTED,
        DigestState.PENDING: Outcome.DIGEST_WAITING,
        DigestState.EMPTY: Outcome.DIGEST_EMPTY,
        DigestState.DROPPED: Outcome.DIGEST_DROPPED,
    }[digest.state]
    return Explanation(
        subscription,
        outcome,
        verdict,
        message_id=digest.message_id,
        next_attempt_at=digest.next_attempt_at,
        reason=subscription.paused_reason or digest.last_error,
        digest=digest,
        digest_at=digest.sent_at if digest.state is DigestState.SENT else digest.period_end,
    )


def _no_digest(
    subscription: Subscription, verdict: PlanVerdict, times: _DigestTimes
) -> Explanation:
    """No digest row covers the item: its period is open, just closed, or closed before the
    subscription's first digest (the scheduler's own rule: ``end <= created_at``)."""
    due = times.due
    if due is None or due > times.now:
        return Explanation(subscription, Outcome.DIGEST_LATER, verdict, digest_at=due)
    if due <= subscription.created_at:
        return Explanation(subscription, Outcome.DIGEST_BEFORE, verdict, digest_at=due)
    return Explanation(subscription, Outcome.DIGEST_DUE, verdict, digest_at=due)
