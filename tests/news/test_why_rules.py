"""The pure rules behind delivery, previews and ``/subscriptions why``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.news.model.vocabulary import (
    Company,
    DigestEntry,
    DigestState,
    Item,
    OutboxEntry,
    OutboxState,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
)
from bot.news.rules.explain import Outcome, explain
from bot.news.rules.filters import FilterKind, FilterMiss, filter_misses
from bot.news.rules.planning import ItemFacts, Skip, plan_verdict, queued_for
from bot.news.rules.preview import PreviewCount, preview

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MAX_AGE = timedelta(hours=72)


def sub(
    sub_id: int = 1,
    *,
    guild: int = 1,
    mode: SubscriptionMode = SubscriptionMode.REALTIME,
    created: datetime = NOW - timedelta(days=30),
    paused: str | None = None,
    **filters: tuple[str, ...],
) -> Subscription:
    return Subscription(
        sub_id, guild, 100 + sub_id, SubscriptionFilter(**filters), mode, created,
        paused_reason=paused,
    )  # fmt: skip


def facts(
    title: str = "Temu cuts seller fees",
    *,
    companies: tuple[str, ...] = ("temu",),
    topics: tuple[str, ...] = ("fees",),
    published: datetime | None = NOW - timedelta(hours=1),
    feed_guild: int | None = None,
    first_poll: bool = False,
) -> ItemFacts:
    return ItemFacts(title, "", companies, topics, published, NOW, feed_guild, first_poll)


def item(
    *,
    published: datetime = NOW - timedelta(hours=1),
    first_seen: datetime = NOW,
    backlog: bool = False,
    updated: datetime | None = None,
    title: str = "Temu cuts seller fees",
    companies: tuple[str, ...] = ("temu",),
    topics: tuple[str, ...] = ("fees",),
    item_id: int = 7,
) -> Item:
    return Item(
        id=item_id,
        feed_id=1,
        key=f"k{item_id}",
        title=title,
        link=f"https://news.example/{item_id}",
        source="Wire",
        author=None,
        published=published,
        first_seen=first_seen,
        updated_at=updated or first_seen,
        summary="",
        image_url=None,
        categories=(),
        companies=tuple(Company(c, c.title()) for c in companies),
        content_hash="h",
        backlog=backlog,
        topics=topics,
    )


def test_every_failed_filter_is_named_and_an_excluded_word_is_quoted() -> None:
    f = SubscriptionFilter(
        companies=("shein",), keywords=("tariff",), exclude=("fees",), topics=("legal",)
    )
    misses = filter_misses(f, title="Temu cuts fees", summary="", companies=("temu",))
    assert misses == (
        FilterMiss(FilterKind.EXCLUDE, ("fees",)),
        FilterMiss(FilterKind.COMPANY, ("shein",)),
        FilterMiss(FilterKind.TOPIC, ("legal",)),
        FilterMiss(FilterKind.KEYWORD, ("tariff",)),
    )
    assert filter_misses(SubscriptionFilter(), title="x", summary="", companies=()) == ()


def test_the_planner_gives_every_reason_in_order() -> None:
    verdict = plan_verdict(
        sub(created=NOW + timedelta(minutes=1), companies=("shein",)),
        facts(first_poll=True, published=NOW - timedelta(days=5), feed_guild=2),
        MAX_AGE,
    )
    assert verdict.skips == (
        Skip.OTHER_SERVER,
        Skip.FILTER,
        Skip.CREATED_LATER,
        Skip.FIRST_POLL,
        Skip.TOO_OLD,
    )
    assert not verdict.queued
    assert plan_verdict(sub(), facts(), MAX_AGE).queued
    assert plan_verdict(sub(), facts(published=None), MAX_AGE).queued
    assert plan_verdict(sub(mode=SubscriptionMode.DAILY), facts(), MAX_AGE).skips == (Skip.DIGEST,)


def test_queued_for_is_exactly_the_subscriptions_whose_verdict_queues() -> None:
    subscriptions = [
        sub(1),
        sub(2, companies=("shein",)),
        sub(3, guild=2),
        sub(4, created=NOW + timedelta(seconds=1)),
        sub(5, mode=SubscriptionMode.WEEKLY),
    ]
    for item_facts in (facts(), facts(feed_guild=1), facts(first_poll=True)):
        expected = [s for s in subscriptions if plan_verdict(s, item_facts, MAX_AGE).queued]
        assert queued_for(subscriptions, item_facts, MAX_AGE) == expected
    assert [s.id for s in queued_for(subscriptions, facts(feed_guild=1), MAX_AGE)] == [1]


def test_explain_reads_the_delivery_log() -> None:
    it = item()

    def entry(state: OutboxState, **kwargs: object) -> OutboxEntry:
        return OutboxEntry(1, 1, 1, 101, it, state, 0, NOW, **kwargs)  # type: ignore[arg-type]

    def outcome(post: OutboxEntry | None, subscription: Subscription | None = None) -> Outcome:
        e = explain(
            it,
            subscription or sub(),
            feed_guild_id=None,
            post=post,
            digest=None,
            max_age=MAX_AGE,
            now=NOW,
        )
        return e.outcome

    assert outcome(entry(OutboxState.SENT, message_id=5)) is Outcome.POSTED
    in_thread = explain(
        it,
        sub(),
        feed_guild_id=None,
        post=entry(OutboxState.SENT, message_id=5, thread_id=77),
        digest=None,
        max_age=MAX_AGE,
        now=NOW,
    )
    assert (in_thread.message_id, in_thread.thread_id) == (5, 77)
    assert outcome(entry(OutboxState.OVERFLOW)) is Outcome.ROUNDUP
    assert outcome(entry(OutboxState.DROPPED, last_error="too old")) is Outcome.DROPPED
    assert outcome(entry(OutboxState.PENDING)) is Outcome.QUEUED
    later = NOW + timedelta(minutes=1)
    assert outcome(entry(OutboxState.PENDING, next_attempt_at=later)) is Outcome.RETRYING
    assert outcome(entry(OutboxState.PENDING), sub(paused="403 Missing Access")) is Outcome.PAUSED
    assert outcome(None, sub(companies=("shein",))) is Outcome.NOT_QUEUED
    assert outcome(None) is Outcome.NOT_QUEUED_THEN


def test_a_corrected_item_that_matches_only_now_is_told_as_such() -> None:
    corrected = item(updated=NOW + timedelta(hours=1))
    e = explain(
        corrected, sub(), feed_guild_id=None, post=None, digest=None, max_age=MAX_AGE, now=NOW
    )
    assert (e.outcome, e.changed) == (Outcome.NOT_QUEUED_THEN, True)


def test_digests_answer_by_their_period() -> None:
    daily = sub(mode=SubscriptionMode.DAILY)
    it = item()

    def outcome(digest: DigestEntry | None, feed_guild: int | None = None) -> Outcome:
        return explain(
            it, daily, feed_guild_id=feed_guild, post=None, digest=digest, max_age=MAX_AGE, now=NOW
        ).outcome

    def digest(state: DigestState) -> DigestEntry:
        return DigestEntry(1, daily, NOW - timedelta(days=1), NOW, state, message_id=9)

    assert outcome(digest(DigestState.SENT)) is Outcome.DIGEST_POSTED
    assert outcome(digest(DigestState.PENDING)) is Outcome.DIGEST_WAITING
    assert outcome(digest(DigestState.EMPTY)) is Outcome.DIGEST_EMPTY
    assert outcome(digest(DigestState.DROPPED)) is Outcome.DIGEST_DROPPED
    assert outcome(None) is Outcome.DIGEST_LATER
    assert outcome(None, feed_guild=1) is Outcome.DIGEST_PRIVATE
    filtered = explain(
        it,
        sub(mode=SubscriptionMode.DAILY, companies=("shein",)),
        feed_guild_id=None,
        post=None,
        digest=digest(DigestState.SENT),
        max_age=MAX_AGE,
        now=NOW,
    )
    assert filtered.outcome is Outcome.NOT_QUEUED


def test_an_item_first_seen_after_its_digest_was_read_is_told_it_goes_in_the_next() -> None:
    daily = sub(mode=SubscriptionMode.DAILY)
    read = NOW - timedelta(hours=3)
    sent = DigestEntry(
        1, daily, NOW - timedelta(days=1), read, DigestState.SENT, sent_at=read, message_id=9,
        covered_until=read,
    )  # fmt: skip

    def outcome(first_seen: datetime) -> Outcome:
        late = item(published=NOW - timedelta(hours=20), first_seen=first_seen)
        e = explain(late, daily, feed_guild_id=None, post=None, digest=sent, max_age=MAX_AGE,
                    now=NOW)  # fmt: skip
        return e.outcome

    assert outcome(NOW - timedelta(hours=1)) is Outcome.DIGEST_LATE  # the scheduler's LateWindow
    assert outcome(read - timedelta(minutes=1)) is Outcome.DIGEST_POSTED
    # Read 10 minutes before it was posted (digests.POLL_MARGIN): an item first seen between
    # may be in it, so it is told posted; an empty digest's new item goes in the next one.
    sent = replace(sent, covered_until=read - timedelta(minutes=10))
    assert outcome(read - timedelta(minutes=5)) is Outcome.DIGEST_POSTED
    sent = replace(sent, state=DigestState.EMPTY, sent_at=None, message_id=None)
    assert outcome(read - timedelta(minutes=5)) is Outcome.DIGEST_LATE
    # A digest read before covered_until existed tells nothing of lateness.
    older = DigestEntry(1, daily, NOW - timedelta(days=1), read, DigestState.SENT, message_id=9)
    told = explain(item(first_seen=NOW), daily, feed_guild_id=None, post=None, digest=older,
                   max_age=MAX_AGE, now=NOW)  # fmt: skip
    assert told.outcome is Outcome.DIGEST_POSTED


def test_a_digest_answer_says_which_digest_and_when_or_why_none() -> None:
    created = NOW - timedelta(days=2)
    daily = sub(mode=SubscriptionMode.DAILY, created=created)

    def told(due: datetime, *, at: datetime = NOW, subscription: Subscription = daily) -> object:
        e = explain(
            item(), subscription, feed_guild_id=None, post=None, digest=None,
            max_age=MAX_AGE, now=at, digest_due=due,
        )  # fmt: skip
        return e.outcome, e.digest_at

    later = NOW + timedelta(hours=3)
    assert told(later) == (Outcome.DIGEST_LATER, later)  # its period is still open
    closed = NOW - timedelta(minutes=1)
    assert told(closed) == (Outcome.DIGEST_DUE, closed)  # the scheduler plans it next tick
    # The period closed before the subscription existed: the scheduler never plans it.
    assert told(created) == (Outcome.DIGEST_BEFORE, created)
    sent = DigestEntry(
        1, daily, NOW - timedelta(days=1), NOW - timedelta(hours=2), DigestState.SENT,
        sent_at=NOW - timedelta(hours=2) + timedelta(seconds=4), message_id=9,
    )  # fmt: skip
    posted = explain(
        item(), daily, feed_guild_id=None, post=None, digest=sent, max_age=MAX_AGE, now=NOW
    )
    assert (posted.outcome, posted.digest_at, posted.message_id) == (
        Outcome.DIGEST_POSTED,
        sent.sent_at,
        9,
    )


def test_a_digest_is_not_told_the_reasons_of_posts_one_by_one() -> None:
    # An item of a feed's first poll, long before the subscription, failing its filter: the
    # digest only ever depended on the filter.
    old = item(backlog=True, published=NOW - timedelta(days=5), first_seen=NOW - timedelta(days=5))
    told = explain(
        old,
        sub(mode=SubscriptionMode.DAILY, companies=("shein",)),
        feed_guild_id=None,
        post=None,
        digest=None,
        max_age=MAX_AGE,
        now=NOW,
        digest_due=NOW - timedelta(days=4),
    )
    assert told.outcome is Outcome.NOT_QUEUED
    assert told.verdict.skips == (Skip.FILTER,)
    assert [m.kind for m in told.verdict.misses] == [FilterKind.COMPANY]


def test_a_preview_counts_what_delivery_would_have_queued() -> None:
    window = NOW - timedelta(days=7)
    hypothetical = sub(created=window, companies=("temu",))
    candidates = [
        (item(item_id=1, topics=("fees",)), None),
        (item(item_id=2, companies=("temu", "shein"), topics=("legal",)), 1),
        (item(item_id=3, companies=("shein",)), None),  # filtered
        (item(item_id=4, backlog=True), None),  # a first poll: never posted
        (item(item_id=5, published=NOW - timedelta(days=4)), None),  # too old on arrival
        (item(item_id=6), 2),  # another server's feed
    ]
    result = preview(candidates, hypothetical, since=window, until=NOW, max_age=MAX_AGE)
    assert result.total == 2
    assert [i.id for i in result.items] == [1, 2]
    assert result.companies == (PreviewCount("temu", 2), PreviewCount("shein", 1))
    assert result.topics == (PreviewCount("fees", 1), PreviewCount("legal", 1))
    assert (result.unannounced, result.read, result.complete) == (2, 6, True)


def test_a_preview_lists_only_the_five_newest() -> None:
    candidates = [(item(item_id=n), None) for n in range(1, 9)]
    result = preview(
        candidates, sub(created=NOW - timedelta(days=7)), since=NOW, until=NOW, max_age=MAX_AGE
    )
    assert result.total == 8 and [i.id for i in result.items] == [1, 2, 3, 4, 5]
