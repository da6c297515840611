"""A channel that refuses a post (403, 404): its subscription is paused with the reason, and a
channel that answers 404 again and again is taken to be deleted and its subscription disabled.

One rule for every kind of post: item posts and roundups (``DeliverySender``) and digests
(``DigestScheduler``) count the same strikes, kept in the subscription's row
(``SubscriptionRepository.strike_not_found``) so that a restart does not forget them::

    404            strike_not_found: count + 1, first and last answer
    | fewer than ``strikes``, or the first less than ``after`` ago
    |                paused with the reason; tried again ``cool_off`` after the last 404
    | else         disabled: the reason in ``paused_reason`` (``DISABLED_MARK`` first), its
    |                pending posts and digests dropped with it, nothing more queued
    any success    found: the strikes are forgotten
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.news.model.vocabulary import DISABLED_MARK, NotFoundStrikes
from bot.news.ports import SubscriptionRepository

log = logging.getLogger("shopwire.delivery")


@dataclass(frozen=True, slots=True)
class GoneRule:
    """When a channel that answers 404 is taken to be deleted."""

    # This many 404s in a row, the first and the last at least ``after`` apart, one try per
    # ``cool_off``: a channel briefly hidden (a permission change, Discord's own hiccup) is
    # not disabled by one bad minute.
    strikes: int = 3
    after: timedelta = timedelta(minutes=20)
    cool_off: timedelta = timedelta(minutes=10)


async def pause_refused(
    subscriptions: SubscriptionRepository,
    subscription_id: int,
    channel_id: int,
    error: str,
    now: datetime,
) -> None:
    """Pause a subscription whose channel refused a post (403/404), with the reason, logged."""
    await subscriptions.pause(subscription_id, error, now)
    log.warning(
        "subscription paused subscription_id=%s channel_id=%s reason=%r",
        subscription_id,
        channel_id,
        error,
    )


class ChannelRefusals:
    """Counts a subscription's 404s and disables it on the last strike (see the module)."""

    def __init__(self, subscriptions: SubscriptionRepository, rule: GoneRule | None = None):
        self._subscriptions = subscriptions
        self.rule = rule or GoneRule()

    def may_try(self, strikes: NotFoundStrikes, now: datetime) -> bool:
        """Whether a subscription paused by a 404 is tried again now: once per cool-off after
        its last 404, whatever the bot's cache says (a deleted channel is gone from it too)."""
        return now >= strikes.last + self.rule.cool_off

    async def not_found(
        self, subscription_id: int, channel_id: int, error: str, now: datetime
    ) -> int | None:
        """Count a 404. Until the last strike the subscription is paused (None); on it, it is
        disabled and its pending posts and digests dropped with the reason (how many)."""
        strikes = await self._subscriptions.strike_not_found(subscription_id, now)
        rule = self.rule
        if strikes is None:
            return 0  # removed meanwhile: nothing waits for it any more
        if strikes.count < rule.strikes or now - strikes.first < rule.after:
            await pause_refused(self._subscriptions, subscription_id, channel_id, error, now)
            return None
        minutes = int((now - strikes.first).total_seconds() // 60)
        reason = (
            f"{DISABLED_MARK}the channel was not found {strikes.count} times over {minutes} min"
            f" ({error}); it was probably deleted. Subscribe again to resume."
        )
        dropped = await self._subscriptions.disable(subscription_id, reason, now)
        log.warning(
            "subscription disabled subscription_id=%s channel_id=%s dropped=%d reason=%r",
            subscription_id,
            channel_id,
            dropped,
            reason,
        )
        return dropped

    async def found(self, subscription_id: int) -> None:
        """The channel took a post: its 404s in a row are forgotten."""
        await self._subscriptions.clear_not_found(subscription_id)
