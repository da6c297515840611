"""Incremental polls: the parser is told which items are stored unchanged and tags only the
others; what is stored, tagged and planned stays what tagging everything gave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from pathlib import Path

import pytest

from bot.news.adapters.parse_job import parse_and_tag
from bot.news.adapters.parsing_pool import PoolParser
from bot.news.model.vocabulary import (
    ItemTags,
    LatestRequest,
    NewFeed,
    NewSubscription,
    ParsedFeed,
    SubscriptionFilter,
)
from bot.news.services.feed_updater import FeedUpdater, UpdaterOptions
from bot.news.tagging.company_tagger import Tagger
from bot.news.tagging.topics import TopicTagger
from storage.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.feedserver import rss
from tests.news.test_updater import POLICY, URL, ScriptedFetcher, ok

OLD = ("g-1", "Temu pauses US shipments", "Direct parcels stop as de minimis ends.")
TYPO = ("g-2", "Retailer fnied in France", "The regulator fined the retailer over fees.")
FIXED = ("g-2", "SHEIN fined in France", "The regulator fined the retailer over fees.")
NEW = ("g-3", "Amazon raises seller fees", "Fulfilment fees go up in January.")


def tags_of_the_tables(parsed: ParsedFeed) -> tuple[ItemTags, ...]:
    companies, topics = Tagger.default(), TopicTagger.default()
    return tuple(
        ItemTags(companies.tag(d.title, d.summary, d.publisher), topics.tag(d.title, d.summary))
        for d in parsed.items
    )


def test_items_stored_unchanged_are_left_untagged_and_the_others_tagged_as_before() -> None:
    body = rss([OLD, FIXED, NEW]).encode()
    everything = parse_and_tag(body, url=URL, content_type=None, now=FakeClock().now())
    old, fixed, _ = everything.items
    # OLD stored with the same hash, FIXED stored with another (the typo), NEW not stored.
    stored = {old.key: old.content_hash, fixed.key: "the hash of the typo"}
    hinted = parse_and_tag(
        body, url=URL, content_type=None, now=FakeClock().now(), stored_hashes=stored
    )
    assert hinted.items == everything.items
    assert everything.tags == tags_of_the_tables(everything)
    assert hinted.tags == (None, *tags_of_the_tables(everything)[1:])


async def test_a_thread_pool_passes_the_stored_hashes_to_the_parse() -> None:
    body = rss([OLD, NEW]).encode()
    plain = parse_and_tag(body, url=URL, content_type=None, now=FakeClock().now())
    stored = {plain.items[0].key: plain.items[0].content_hash}
    async with PoolParser(FakeClock(), workers=1, mode="thread", tag=True) as parser:
        parsed = await parser.parse(body, url=URL, content_type=None, stored_hashes=stored)
    assert parsed.tags is not None and plain.tags is not None
    assert parsed.tags == (None, plain.tags[1])


class HintedParser:
    """The workers' job run inline, recording the hint of each parse and what it tagged."""

    def __init__(self, clock: FakeClock, *, stale: bool = False) -> None:
        self.clock = clock
        # A hint that says every item is stored unchanged, as a stale one could.
        self.stale = stale
        self.hints: list[Mapping[str, str] | None] = []
        self.tagged: list[int] = []

    async def parse(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None,
        max_items: int | None = None,
        story_source: str | None = None,
        stored_hashes: Mapping[str, str] | None = None,
    ) -> ParsedFeed:
        self.hints.append(stored_hashes)
        now = self.clock.now()
        if self.stale:
            plain = parse_and_tag(body, url=url, content_type=content_type, now=now, tag=False)
            stored_hashes = {d.key: d.content_hash for d in plain.items}
        parsed = parse_and_tag(
            body,
            url=url,
            content_type=content_type,
            now=now,
            max_items=max_items,
            stored_hashes=stored_hashes,
        )
        self.tagged.append(sum(1 for t in parsed.tags or () if t is not None))
        return parsed


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "i.db")
    await database.items.register_companies(Tagger.default().companies())
    try:
        yield database
    finally:
        await database.close()


def updater_for(db: Database, fetcher: ScriptedFetcher, parser: HintedParser) -> FeedUpdater:
    return FeedUpdater(
        feeds=db.feeds,
        items=db.items,
        fetcher=fetcher,
        parser=parser,
        tagger=Tagger.default(),
        clock=parser.clock,
        policy=POLICY,
        options=UpdaterOptions(),
        subscriptions=db.subscriptions,
        topics=TopicTagger.default(),
    )


async def companies_by_title(db: Database) -> dict[str, list[str]]:
    page = await db.items.latest(LatestRequest(all_guilds=True, collapse=False))
    return {item.title: sorted(c.id for c in item.companies) for item in page.items}


async def test_an_edited_item_is_tagged_again_and_its_correction_planned(db: Database) -> None:
    clock = FakeClock()
    fetcher = ScriptedFetcher()
    parser = HintedParser(clock)
    await db.feeds.add(NewFeed(URL, "Commerce"), clock.now())
    subscription = await db.subscriptions.add(
        NewSubscription(guild_id=1, channel_id=2, filter=SubscriptionFilter()), clock.now()
    )
    fetcher.then(
        URL,
        ok(URL, rss([OLD]), etag='"1"'),
        ok(URL, rss([OLD, TYPO]), etag='"2"'),
        ok(URL, rss([OLD, FIXED, NEW]), etag='"3"'),
    )
    updater = updater_for(db, fetcher, parser)
    await asyncio.wait_for(updater.update_due(include_not_due=True), 60)
    await asyncio.wait_for(updater.update_due(include_not_due=True), 60)
    # The typo's post went out: its correction owes the message an edit.
    async with db._connections.transaction() as raw:
        await raw.execute(
            "UPDATE outbox SET state = 'sent', message_id = 99, sent_at = ?"
            " WHERE subscription_id = ?",
            (int(clock.now().timestamp() * 1_000_000), subscription.id),
        )
    clock.advance(timedelta(hours=1))
    await asyncio.wait_for(updater.update_due(include_not_due=True), 60)

    # First poll: no hint (and no query); then only what is not stored unchanged is tagged.
    assert parser.hints[0] is None
    assert parser.hints[1] is not None and set(parser.hints[1].values()) == {
        (await db.items.known_hashes(1, ["guid:g-1"]))["guid:g-1"]
    }
    assert parser.tagged == [1, 1, 2]
    assert await companies_by_title(db) == {
        "Temu pauses US shipments": ["temu"],
        "SHEIN fined in France": ["shein"],
        "Amazon raises seller fees": ["amazon"],
    }
    edits = await db._connections.read("SELECT edit_state FROM outbox WHERE message_id = 99")
    assert [row[0] for row in edits] == ["pending"]


async def test_items_a_stale_hint_left_untagged_are_tagged_by_the_updater(db: Database) -> None:
    clock = FakeClock()
    fetcher = ScriptedFetcher()
    parser = HintedParser(clock, stale=True)
    await db.feeds.add(NewFeed(URL, "Commerce"), clock.now())
    fetcher.then(URL, ok(URL, rss([OLD, FIXED, NEW])))
    await asyncio.wait_for(updater_for(db, fetcher, parser).update_due(), 60)
    assert parser.tagged == [0]
    assert await companies_by_title(db) == {
        "Temu pauses US shipments": ["temu"],
        "SHEIN fined in France": ["shein"],
        "Amazon raises seller fees": ["amazon"],
    }
