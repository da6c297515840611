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

from bot.news.models import (
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
    ROUNDUP = "roundup"  # listed in a roundup message of a flood
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
    DIGEST_LATER = "digest later"  # no digest covers its date yet
    DIGEST_PRIVATE = "digest private"  # digests summarise shared feeds' stories only


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
) -> Explanation:
    """What happened to ``item`` for ``subscription``: ``post`` is its outbox row (realtime),
    ``digest`` the digest covering its publication date (digests), if any."""
    verdict = plan_verdict(subscription, item_facts(item, feed_guild_id), max_age)
    changed = item.updated_at > item.first_seen
    if subscription.mode is not SubscriptionMode.REALTIME:
        return _digest(item, subscription, verdict, feed_guild_id, digest)
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
        return Explanation(subscription, Outcome.ROUNDUP, verdict)
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


def _digest(
    item: Item,
    subscription: Subscription,
    verdict: PlanVerdict,
    feed_guild_id: int | None,
    digest: DigestEntry | None,
) -> Explanation:
    # A digest is the summary of its period's stories that pass the filters: only the filters
    # and the feed's server of the planner's reasons apply.
    if Skip.OTHER_SERVER in verdict.skips or Skip.FILTER in verdict.skips:
        return Explanation(subscription, Outcome.NOT_QUEUED, verdict)
    if feed_guild_id is not None:
        return Explanation(subscription, Outcome.DIGEST_PRIVATE, verdict)
    if digest is None:
        return Explanation(subscription, Outcome.DIGEST_LATER, verdict)
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
    )
