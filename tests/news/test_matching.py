"""Subscription matching with topic filters (bot/news/rules/subscription_matching.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.news.model.vocabulary import Subscription, SubscriptionFilter, SubscriptionMode
from bot.news.rules.subscription_matching import recipients, wants

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _sub(sub_id: int, subscription_filter: SubscriptionFilter) -> Subscription:
    return Subscription(
        id=sub_id,
        guild_id=111,
        channel_id=1000 + sub_id,
        filter=subscription_filter,
        mode=SubscriptionMode.REALTIME,
        created_at=NOW,
    )


def test_a_topic_filter_needs_one_of_its_topics() -> None:
    fees = SubscriptionFilter(topics=("fees", "policy"))
    item = {"title": "Temu cuts seller fees", "summary": "", "companies": ("temu",)}
    assert wants(fees, **item, topics=("fees",))  # type: ignore[arg-type]
    assert wants(fees, **item, topics=("legal", "policy"))  # type: ignore[arg-type]
    assert not wants(fees, **item, topics=("legal",))  # type: ignore[arg-type]
    # An untagged item (or a caller that passes no topics) never passes a topic filter.
    assert not wants(fees, **item)  # type: ignore[arg-type]
    # Without a topic filter, topics do not matter.
    assert wants(SubscriptionFilter(), **item, topics=())  # type: ignore[arg-type]


def test_topics_combine_with_the_other_filters() -> None:
    both = SubscriptionFilter(companies=("temu",), topics=("fees",), exclude=("rumour",))
    kwargs = {"title": "Temu cuts seller fees", "summary": ""}
    assert wants(both, **kwargs, companies=("temu",), topics=("fees",))
    assert not wants(both, **kwargs, companies=("shein",), topics=("fees",))
    assert not wants(
        both, title="Rumour: Temu cuts fees", summary="", companies=("temu",), topics=("fees",)
    )


def test_only_subscriptions_of_the_items_topics_receive_it() -> None:
    everything = _sub(1, SubscriptionFilter())
    fees = _sub(2, SubscriptionFilter(topics=("fees",)))
    legal = _sub(3, SubscriptionFilter(topics=("legal",)))
    chosen = recipients(
        [everything, fees, legal],
        feed_guild_id=None,
        title="Temu cuts seller fees in Europe",
        summary="Sellers pay less from June.",
        companies=("temu",),
        published=NOW,
        now=NOW,
        max_age=timedelta(days=2),
        topics=("fees",),
    )
    assert [s.id for s in chosen] == [1, 2]
