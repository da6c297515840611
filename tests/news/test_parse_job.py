"""Tagging in the parser workers: the same tags as on the loop, and the updater trusts them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.news.adapters.feed_parse import parse_feed
from bot.news.adapters.parse_job import parse_and_tag
from bot.news.adapters.parsing_pool import PoolParser
from bot.news.model.vocabulary import ItemTags, LatestRequest, NewFeed, ParsedFeed
from bot.news.services.feed_updater import FeedUpdater, UpdaterOptions
from bot.news.tagging.company_tagger import Tagger
from bot.news.tagging.topics import TopicTagger
from storage.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.feedserver import rss
from tests.news.test_updater import POLICY, URL, InlineParser, ScriptedFetcher, ok

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ITEMS = [
    ("g-1", "Temu pauses US shipments", "Direct parcels stop as de minimis ends."),
    ("g-2", "SHEIN fined in France", "The regulator fined the retailer over fees."),
    ("g-3", "Weather today", "Sunny."),
]


def test_parse_and_tag_tags_each_item_as_the_tables_do() -> None:
    body = rss(ITEMS).encode()
    parsed = parse_and_tag(body, url=URL, content_type="application/rss+xml", now=NOW)
    assert parsed.tags is not None
    companies, topics = Tagger.default(), TopicTagger.default()
    expected = tuple(
        ItemTags(companies.tag(d.title, d.summary, d.publisher), topics.tag(d.title, d.summary))
        for d in parsed.items
    )
    assert parsed.tags == expected
    first = parsed.tags[0]
    assert first is not None and first.companies == ("temu",)
    assert parsed.tags[2] == ItemTags((), ())
    # Without tagging it is parse_feed itself.
    plain = parse_and_tag(body, url=URL, content_type=None, now=NOW, tag=False)
    assert plain == parse_feed(body, url=URL, content_type=None, now=NOW)
    assert plain.tags is None


async def test_a_tagging_worker_pool_returns_the_tags() -> None:
    body = rss(ITEMS).encode()
    async with PoolParser(FakeClock(NOW), workers=1, tag=True) as parser:
        parsed = await parser.parse(body, url=URL, content_type="application/rss+xml")
    assert parsed == parse_and_tag(body, url=URL, content_type="application/rss+xml", now=NOW)


class TaggingParser(InlineParser):
    """Parses inline and hands over tags of its own, to show the updater uses them."""

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
        parsed = await super().parse(body, url=url, content_type=content_type, max_items=max_items)
        return replace(parsed, tags=tuple(ItemTags(("amazon",), ("fees",)) for _ in parsed.items))


class NoTagger:
    def tag(self, title: str, summary: str = "", publisher: str | None = None) -> tuple[str, ...]:
        raise AssertionError("the updater tagged an item the parser had tagged")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "t.db")
    await database.items.register_companies(Tagger.default().companies())
    try:
        yield database
    finally:
        await database.close()


async def test_the_updater_stores_the_parsers_tags_without_tagging_again(db: Database) -> None:
    clock = FakeClock()
    fetcher = ScriptedFetcher()
    await db.feeds.add(NewFeed(URL, "Commerce", companies=("ebay",)), clock.now())
    fetcher.then(URL, ok(URL, rss(ITEMS[:1])))
    updater = FeedUpdater(
        feeds=db.feeds,
        items=db.items,
        fetcher=fetcher,
        parser=TaggingParser(clock),
        tagger=NoTagger(),
        clock=clock,
        policy=POLICY,
        options=UpdaterOptions(),
    )
    await asyncio.wait_for(updater.update_due(), 60)
    [item] = (await db.items.latest(LatestRequest(all_guilds=True))).items
    # The parser's company, plus the feed's own (a feed about one company tags every item).
    assert sorted(c.id for c in item.companies) == ["amazon", "ebay"]
    assert item.topics == ("fees",)


class RecordingParser(TaggingParser):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.sources: list[str | None] = []

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
        self.sources.append(story_source)
        return await super().parse(body, url=url, content_type=content_type)


@pytest.mark.parametrize(("at_ingest", "expected"), [(False, None), (True, "Commerce")])
async def test_story_text_is_asked_of_the_parser_only_when_the_setting_says_so(
    db: Database, at_ingest: bool, expected: str | None
) -> None:
    clock = FakeClock()
    fetcher = ScriptedFetcher()
    await db.feeds.add(NewFeed(URL, "Commerce"), clock.now())
    fetcher.then(URL, ok(URL, rss(ITEMS[:1])))
    parser = RecordingParser(clock)
    updater = FeedUpdater(
        feeds=db.feeds,
        items=db.items,
        fetcher=fetcher,
        parser=parser,
        tagger=NoTagger(),
        clock=clock,
        policy=POLICY,
        options=UpdaterOptions(story_text_at_ingest=at_ingest),
    )
    await asyncio.wait_for(updater.update_due(), 60)
    assert parser.sources == [expected]


def test_warm_tables_leaves_nothing_for_a_forked_worker_to_compile() -> None:
    # The forkserver runs warm_tables once; a regex compiled on demand later would be compiled
    # again in every worker forked from it.
    from bot.news.adapters.parse_job import warm_tables

    warm_tables()
    tagger, topics = Tagger.default(), TopicTagger.default()
    negatives = [e.negatives for g in tagger._entries.values() for e in g if e.negatives]
    assert negatives and all(n._regex is not None for n in negatives)
    rests = [r for c in topics._compiled().patterned.values() for _, r, _ in c if r is not None]
    assert rests and all(r._regex is not None for r in rests)
    # Tags come out as before (the tables are the same, only compiled earlier).
    assert tagger.tag("Temu pauses US shipments") == ("temu",)
