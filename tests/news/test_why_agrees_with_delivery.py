"""``/subscriptions why`` against what the real updater and deliverer did: for every item and
every subscription of a varied fixture, the explanation must agree with the outbox."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from bot.news.model.errors import UserError
from bot.news.model.vocabulary import (
    NewFeed,
    NewSubscription,
    PostOutcome,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
)
from bot.news.rules.explain import Outcome
from bot.news.rules.planning import Skip
from bot.news.services.delivery import DeliveryOptions, DeliverySender
from bot.news.services.digests import next_digest_at, zone
from bot.news.services.feed_updater import FeedUpdater, UpdaterOptions
from bot.news.services.why import DeliveryExplainer, FoundBy
from bot.news.tagging.company_tagger import Tagger
from bot.news.tagging.topics import TopicTagger
from storage._sql import to_db_time
from storage.db import Database
from tests.fakes.clock import FakeClock
from tests.news.test_delivery import RecordingPublisher
from tests.news.test_updater import POLICY, InlineParser, ScriptedFetcher, ok

GUILD, OTHER = 1, 2
SHARED, OURS, THEIRS = (
    "https://shared.example/feed.xml",
    "https://ours.example/feed.xml",
    "https://theirs.example/feed.xml",
)
MAX_AGE = timedelta(hours=72)


def document(items: list[tuple[str, str, datetime]]) -> str:
    """RSS with (guid, title, published) items; links are https://news.example/<guid>."""
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{escape(title)}</title>"
        f"<link>https://news.example/{guid}</link><description>{escape(title)}</description>"
        f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate></item>"
        for guid, title, published in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://news.example/</link>{entries}</channel></rss>"
    )


@dataclass
class Fixture:
    db: Database
    path: Path
    clock: FakeClock
    subscriptions: dict[str, Subscription]
    links: list[str]
    theirs: list[str]


async def subscribe(
    db: Database,
    clock: FakeClock,
    channel: int,
    *,
    guild: int = GUILD,
    mode: SubscriptionMode = SubscriptionMode.REALTIME,
    **filters: tuple[str, ...],
) -> Subscription:
    return await db.subscriptions.add(
        NewSubscription(guild, channel, SubscriptionFilter(**filters), mode=mode), clock.now()
    )


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Fixture]:
    path = tmp_path / "why.db"
    db = await Database.open(path)
    try:
        yield await build(db, path)
    finally:
        await db.close()


async def build(db: Database, path: Path) -> Fixture:
    clock = FakeClock()
    await db.items.register_companies(Tagger.default().companies())
    fetcher = ScriptedFetcher()
    updater = FeedUpdater(
        feeds=db.feeds,
        items=db.items,
        fetcher=fetcher,
        parser=InlineParser(clock),
        tagger=Tagger.default(),
        clock=clock,
        policy=POLICY,
        options=UpdaterOptions(max_post_age=MAX_AGE),
        subscriptions=db.subscriptions,
        topics=TopicTagger.default(),
    )
    await db.feeds.add(NewFeed(SHARED, "Shared"), clock.now())
    await db.feeds.add(NewFeed(OURS, "Ours", guild_id=GUILD), clock.now())
    await db.feeds.add(NewFeed(THEIRS, "Theirs", guild_id=OTHER), clock.now())
    subs = {
        "all": await subscribe(db, clock, 10),
        "temu": await subscribe(db, clock, 11, companies=("temu",)),
        "fees": await subscribe(db, clock, 12, keywords=("fees",), exclude=("rumour",)),
        "legal": await subscribe(db, clock, 13, topics=("legal",)),
        "daily": await subscribe(db, clock, 14, mode=SubscriptionMode.DAILY),
        "them": await subscribe(db, clock, 20, guild=OTHER),
    }
    t0 = clock.now()
    first = {
        SHARED: [("s-old-1", "Temu cuts seller fees in Europe", t0 - timedelta(hours=5))],
        OURS: [("o-old-1", "SHEIN fined in France over data", t0 - timedelta(hours=2))],
        THEIRS: [("t-old-1", "Temu memo for them only", t0 - timedelta(hours=1))],
    }
    for url, items in first.items():
        fetcher.then(url, ok(url, document(items)))
    await updater.update_due()  # first polls: the backlog, never announced

    clock.advance(timedelta(hours=1))
    subs["late"] = await subscribe(db, clock, 15)
    t1 = clock.now()
    second = {
        SHARED: [
            ("s-1", "Temu cuts seller fees again", t1 - timedelta(minutes=5)),
            ("s-2", "Temu rumour: fees rise", t1 - timedelta(minutes=6)),
            ("s-3", "SHEIN fined in France over data", t1 - timedelta(minutes=7)),
            ("s-4", "Amazon launches new logistics network", t1 - timedelta(minutes=8)),
            ("s-5", "Temu history, five days on", t1 - timedelta(days=5)),
            ("s-6", "Temu fees, almost stale", t1 - timedelta(hours=70)),
            *first[SHARED],
        ],
        OURS: [("o-1", "Temu fees rise for our members", t1 - timedelta(minutes=9)), *first[OURS]],
        THEIRS: [("t-1", "Temu fees memo for them", t1 - timedelta(minutes=3)), *first[THEIRS]],
    }
    for url, items in second.items():
        fetcher.then(url, ok(url, document(items), etag='"v2"'))
    clock.advance(timedelta(minutes=1))
    await updater.update_due(include_not_due=True)

    clock.advance(timedelta(minutes=1))
    subs["after"] = await subscribe(db, clock, 16)
    # Three hours on, "almost stale" is past the maximum age: dropped at delivery.
    clock.advance(timedelta(hours=3))
    publisher = RecordingPublisher(
        outcomes={11: [PostOutcome.FORBIDDEN], 12: [PostOutcome.RETRY]},
        missing={11: "Missing Access"},
    )
    sender = DeliverySender(
        outbox=db.outbox,
        subscriptions=db.subscriptions,
        publisher=publisher,
        clock=clock,
        options=DeliveryOptions(max_posts_per_channel=1, max_roundup_items=20, max_age=MAX_AGE),
    )
    await sender.drain()
    for name, subscription in subs.items():
        refreshed = await db.subscriptions.get(subscription.id)
        assert refreshed is not None
        subs[name] = refreshed
    links = [
        f"https://news.example/{guid}"
        for items in (second[SHARED], second[OURS])
        for guid, _, _ in items
    ]
    theirs = [f"https://news.example/{guid}" for guid, _, _ in second[THEIRS][:1]]
    return Fixture(db, path, clock, subs, links, theirs)


def outbox_rows(path: Path) -> dict[tuple[int, str], sqlite3.Row]:
    """Every outbox row by (subscription, item link), read straight from the file."""
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(
            "SELECT o.*, i.link FROM outbox AS o JOIN items AS i ON i.id = o.item_id"
        ).fetchall()
    return {(row["subscription_id"], row["link"]): row for row in rows}


def explainer(world: Fixture) -> DeliveryExplainer:
    return DeliveryExplainer(
        history=world.db.history,
        feeds=world.db.feeds,
        items=world.db.items,
        subscriptions=world.db.subscriptions,
        clock=world.clock,
        max_age=MAX_AGE,
    )


async def test_why_agrees_with_what_the_planner_and_the_deliverer_did(world: Fixture) -> None:
    rows = outbox_rows(world.path)
    now = world.clock.now()
    seen_outcomes: set[Outcome] = set()
    seen_skips: set[Skip] = set()
    checked = 0
    for link in world.links:
        report = await explainer(world).why(GUILD, link)
        assert report.found_by is FoundBy.LINK and report.item.link == link
        guild_subscriptions = {s.id for s in world.subscriptions.values() if s.guild_id == GUILD}
        assert {e.subscription.id for e in report.explanations} == guild_subscriptions
        for e in report.explanations:
            checked += 1
            seen_outcomes.add(e.outcome)
            seen_skips.update(e.verdict.skips)
            row = rows.get((e.subscription.id, link))
            if e.subscription.mode is not SubscriptionMode.REALTIME:
                assert row is None and not e.verdict.queued
                continue
            # The planner's verdict, asked again, is what the updater did.
            assert (row is not None) == e.verdict.queued, (link, e)
            if row is None:
                assert e.outcome is Outcome.NOT_QUEUED and e.verdict.skips
                continue
            expected = {
                "sent": Outcome.POSTED,
                "overflow": Outcome.ROUNDUP,
                "dropped": Outcome.DROPPED,
            }.get(row["state"])
            if expected is None:  # pending
                if e.subscription.paused_reason is not None:
                    expected = Outcome.PAUSED
                elif (row["next_attempt_at"] or 0) > to_db_time(now):
                    expected = Outcome.RETRYING
                else:
                    expected = Outcome.QUEUED
            assert e.outcome is expected, (link, e)
            if expected in (Outcome.POSTED, Outcome.ROUNDUP):  # a roundup's message too
                assert e.message_id == row["message_id"] and e.message_id
            if expected is Outcome.DROPPED:
                assert e.reason == row["last_error"]
    # Every row of this server's subscriptions was explained, and the fixture is varied.
    ours = {s.id for s in world.subscriptions.values() if s.guild_id == GUILD}
    assert {k for k in rows if k[0] in ours} <= {(s, link) for s in ours for link in world.links}
    assert checked == len(world.links) * len(ours)
    assert {
        Outcome.POSTED,
        Outcome.ROUNDUP,
        Outcome.RETRYING,
        Outcome.PAUSED,
        Outcome.DROPPED,
        Outcome.NOT_QUEUED,
    } <= seen_outcomes
    assert {
        Skip.FILTER,
        Skip.CREATED_LATER,
        Skip.FIRST_POLL,
        Skip.TOO_OLD,
        Skip.DIGEST,
    } <= seen_skips


async def test_why_never_shows_another_servers_private_item(world: Fixture) -> None:
    for link in world.theirs:
        with pytest.raises(UserError, match="No stored item has that link"):
            await explainer(world).why(GUILD, link)
        report = await explainer(world).why(OTHER, link)
        assert [e.subscription.guild_id for e in report.explanations] == [OTHER]


async def test_why_names_the_filter_that_stopped_an_item(world: Fixture) -> None:
    report = await explainer(world).why(GUILD, "https://news.example/s-2")  # Temu rumour: fees
    by_sub = {e.subscription.id: e for e in report.explanations}
    fees = by_sub[world.subscriptions["fees"].id]
    assert fees.outcome is Outcome.NOT_QUEUED
    assert [(m.kind.value, m.terms) for m in fees.verdict.misses] == [("exclude", ("rumour",))]
    legal = by_sub[world.subscriptions["legal"].id]
    assert [(m.kind.value, m.terms) for m in legal.verdict.misses] == [("topic", ("legal",))]


async def test_why_finds_the_best_search_hit_and_says_so(world: Fixture) -> None:
    report = await explainer(world).why(GUILD, "logistics network")
    assert report.found_by is FoundBy.SEARCH
    assert report.item.link == "https://news.example/s-4"
    with pytest.raises(UserError, match="No stored item matches"):
        await explainer(world).why(GUILD, "zeppelin")


async def test_why_in_a_server_without_subscriptions_says_so(world: Fixture) -> None:
    with pytest.raises(UserError, match="no subscriptions"):
        await explainer(world).why(3, "https://news.example/s-1")


async def test_a_digest_subscription_is_told_which_digest_in_the_servers_zone(
    world: Fixture,
) -> None:
    await world.db.guild_settings.set_timezone(GUILD, "Asia/Tokyo", world.clock.now())
    with_zone = DeliveryExplainer(
        history=world.db.history,
        feeds=world.db.feeds,
        items=world.db.items,
        subscriptions=world.db.subscriptions,
        clock=world.clock,
        max_age=MAX_AGE,
        guild_settings=world.db.guild_settings,
    )
    daily = world.subscriptions["daily"]
    checked = 0
    for link in world.links:
        report = await with_zone.why(GUILD, link)
        [e] = [e for e in report.explanations if e.subscription.id == daily.id]
        if e.outcome not in (Outcome.DIGEST_LATER, Outcome.DIGEST_DUE, Outcome.DIGEST_BEFORE):
            continue
        # The posting time (9:00 in Tokyo) that ends the period holding the item's date.
        due = next_digest_at(daily.mode, daily.post_hour, zone("Asia/Tokyo"), report.item.published)
        assert e.digest_at == due and due.astimezone(zone("Asia/Tokyo")).hour == daily.post_hour
        assert due > report.item.published >= due - timedelta(days=1)
        checked += 1
    assert checked
