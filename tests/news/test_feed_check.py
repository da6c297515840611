"""Adding a feed with a check: one fetch and parse, a reason when it is no readable feed, and
nothing stored then. Fakes only at the edge (a scripted fetcher); real parsing and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.news.model.errors import FeedCheckFailed, UnsafeURL
from bot.news.model.vocabulary import FetchOutcome, FetchResult, ParsedFeed
from bot.news.services.feed_check import FeedChecker
from bot.news.services.news import NewsService
from bot.news.tagging.company_tagger import Tagger
from storage.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.feedserver import rss
from tests.news.test_updater import InlineParser, ScriptedFetcher, make_updater, ok

URL = "https://shop.example/feed.xml"
TEMU = ("t-1", "Temu pauses US shipments", "Direct parcels stop.")
SHEIN = ("s-1", "SHEIN fined in France", "The regulator fined the retailer.")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "check.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def service_for(
    db: Database, fetcher: ScriptedFetcher, clock: FakeClock, *, allow_private: bool = False
) -> NewsService:
    async def public(url: str) -> None:  # the add-time DNS check; no network in tests
        return None

    return NewsService(
        feeds=db.feeds,
        items=db.items,
        meta=db.meta,
        updater=make_updater(db, fetcher, clock),
        companies=Tagger.default(),
        clock=clock,
        allow_private_urls=allow_private,
        url_checker=public,
        checker=FeedChecker(fetcher, InlineParser(clock)),
    )


def failed(error: str, status: int | None = None) -> FetchResult:
    return FetchResult(FetchOutcome.FAILED, URL, error=error, http_status=status)


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (failed("HTTP 404 Not Found", 404), "not found (HTTP 404 Not Found)"),
        (
            FetchResult(FetchOutcome.GONE, URL, error="HTTP 410 Gone", http_status=410),
            "not found (HTTP 410 Gone)",
        ),
        (failed("HTTP 403 Forbidden", 403), "the server refused (HTTP 403 Forbidden)"),
        (
            FetchResult(
                FetchOutcome.RATE_LIMITED, URL, error="HTTP 429 Too Many Requests", http_status=429
            ),
            "the server asks to try again later (HTTP 429 Too Many Requests)",
        ),
        (failed("timed out after 30 s"), "timed out after 30 s"),
        (
            FetchResult(FetchOutcome.NOT_MODIFIED, URL, http_status=304),
            "the server answered 304 Not Modified, with no feed, to a request for the feed",
        ),
        (failed("could not resolve host shop.example"), "could not resolve host shop.example"),
        (
            FetchResult(
                FetchOutcome.OK,
                URL,
                body=b"<html><body>A shop</body></html>",
                content_type="text/html",
            ),
            "not an RSS/Atom feed (looks like HTML)",
        ),
    ],
)
async def test_a_url_that_gives_no_readable_feed_is_refused_with_the_reason(
    db: Database, clock: FakeClock, result: FetchResult, reason: str
) -> None:
    fetcher = ScriptedFetcher()
    fetcher.then(URL, result)
    service = service_for(db, fetcher, clock)
    with pytest.raises(FeedCheckFailed) as caught:
        await service.add_and_check_feed(URL, name="Shop")
    assert caught.value.reason == reason
    assert str(caught.value) == f"The feed at {URL} was not added: {reason}"
    assert await service.list_feeds(all_guilds=True) == []


async def test_a_readable_feed_is_added_named_by_its_title_with_its_item_count(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    fetcher.then(URL, ok(URL, rss([TEMU, SHEIN], title="Shop News")))
    service = service_for(db, fetcher, clock)
    added = await service.add_and_check_feed(URL)
    assert added.preview is not None
    assert (added.preview.title, added.preview.item_count) == ("Shop News", 2)
    assert added.feed.name == "Shop News"
    assert fetcher.calls == [(URL, None, True)]  # the operator's feed: trusted
    # The check stores no items: the first poll does.
    assert (await service.feed_counts()) == (1, 0)


async def test_a_given_name_wins_over_the_title_and_no_check_fetches_nothing(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    fetcher.then(URL, ok(URL, rss([TEMU], title="Shop News")))
    service = service_for(db, fetcher, clock)
    named = await service.add_and_check_feed(URL, name="My shop")
    assert named.feed.name == "My shop"
    unchecked = await service.add_and_check_feed(
        "https://down.example/feed.xml", check=False, companies=["temu"]
    )
    assert unchecked.preview is None and unchecked.feed.companies == ("temu",)
    assert [call[0] for call in fetcher.calls] == [URL]


async def test_a_feed_added_from_discord_is_fetched_through_the_address_guard(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    fetcher.then(URL, ok(URL, rss([TEMU])))
    service = service_for(db, fetcher, clock)
    added = await service.add_and_check_feed(URL, guild_id=42, trusted=False)
    assert added.feed.guild_id == 42
    assert fetcher.calls == [(URL, None, False)]


async def test_a_bad_url_is_refused_before_anything_is_fetched(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    service = service_for(db, fetcher, clock)
    for typed in ("notaurl", "ftp://shop.example/feed"):
        with pytest.raises(UnsafeURL):
            await service.add_and_check_feed(typed)
    assert fetcher.calls == []


async def test_the_check_parses_with_the_polls_item_cap(clock: FakeClock) -> None:
    # Parsed whole, a 70,000-item feed went past the 10 s parse limit and was refused, although
    # every poll reads it with the cap (and now stops early, bot.news.adapters.feed_window).
    seen: list[int | None] = []

    class Recording(InlineParser):
        async def parse(self, body: bytes, **kwargs: Any) -> ParsedFeed:
            seen.append(kwargs.get("max_items"))
            return await super().parse(body, **kwargs)

    items = [(f"k{n}", f"Title {n}", "") for n in range(50)]
    fetcher = ScriptedFetcher()
    fetcher.then(URL, ok(URL, rss(items)))
    checker = FeedChecker(fetcher, Recording(clock), max_items=20)

    preview = await checker.check(URL, allow_private=False)

    assert seen == [20]
    assert preview.item_count == 20
