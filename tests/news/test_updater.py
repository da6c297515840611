"""The updater with fakes only at the edges: a scripted fetcher and a controllable clock, over
real parsing, tagging and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from pathlib import Path

import pytest

from bot.news.adapters.feed_parse import parse_feed
from bot.news.adapters.parsing_pool import PoolParser
from bot.news.model.vocabulary import (
    FeedStatus,
    FetchOutcome,
    FetchResult,
    LatestRequest,
    NewFeed,
    ParsedFeed,
    UpdateStatus,
)
from bot.news.ports import Fetcher, Parser
from bot.news.rules.poll_policy import PollPolicy
from bot.news.services.feed_updater import FeedUpdater, UpdaterOptions, document_hash
from bot.news.tagging.company_tagger import Tagger
from storage.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.feedserver import rss
from tests.fakes.hostile import nested_tags

ONE = ("g-1", "Temu pauses US shipments", "Direct parcels stop as de minimis ends.")
TWO = ("g-2", "SHEIN fined in France", "The regulator fined the retailer.")


class ScriptedFetcher:
    """Answers each fetch with the next scripted result for that URL (the last one repeats)."""

    def __init__(self) -> None:
        self.script: dict[str, list[FetchResult]] = {}
        self.position: dict[str, int] = {}
        self.calls: list[tuple[str, str | None, bool]] = []

    def then(self, url: str, *results: FetchResult) -> None:
        self.script.setdefault(url, []).extend(results)

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = True,
    ) -> FetchResult:
        self.calls.append((url, etag, allow_private))
        queue = self.script[url]
        position = self.position.get(url, 0)
        self.position[url] = position + 1
        return queue[min(position, len(queue) - 1)]


class InlineParser:
    """The real parse_feed, run inline (the process pool is tested on its own)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

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
        return parse_feed(
            body, url=url, content_type=content_type, now=self.clock.now(), max_items=max_items
        )


def ok(url: str, document: str, etag: str = '"v1"') -> FetchResult:
    return FetchResult(
        FetchOutcome.OK, url, body=document.encode(), content_type="application/rss+xml", etag=etag
    )


URL = "https://feeds.example/commerce.xml"
POLICY = PollPolicy(
    interval=timedelta(minutes=15), max_backoff=timedelta(hours=24), disable_after=timedelta(days=3)
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "u.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_updater(
    db: Database,
    fetcher: Fetcher,
    clock: FakeClock,
    *,
    plan_posts: bool = False,
    parser: Parser | None = None,
) -> FeedUpdater:
    """A FeedUpdater over real storage with an inline parser (unless given another);
    ``plan_posts`` lets it plan posts for the database's subscriptions."""
    return FeedUpdater(
        feeds=db.feeds,
        items=db.items,
        fetcher=fetcher,
        parser=parser or InlineParser(clock),
        tagger=Tagger.default(),
        clock=clock,
        policy=POLICY,
        options=UpdaterOptions(),
        subscriptions=db.subscriptions if plan_posts else None,
    )


async def test_first_poll_is_backlog_then_new_items_and_changes(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    feed = await db.feeds.add(NewFeed(URL, "Commerce"), clock.now())
    fetcher.then(URL, ok(URL, rss([ONE])))
    updater = make_updater(db, fetcher, clock)

    [report] = await updater.update_due()
    assert (report.status, report.new_items) == (UpdateStatus.OK, 1)
    page = await db.items.latest(LatestRequest(all_guilds=True))
    assert page.items[0].backlog is True
    assert [c.id for c in page.items[0].companies] == ["temu"]

    # Not due again until the interval has passed.
    assert await updater.update_due() == []
    clock.advance(timedelta(minutes=16))
    changed = ("g-1", "Temu pauses all US shipments", "Updated story.")
    fetcher.then(URL, ok(URL, rss([TWO, changed]), etag='"v2"'))
    [report] = await updater.update_due()
    assert (report.new_items, report.updated_items) == (1, 1)
    items = (await db.items.latest(LatestRequest(all_guilds=True, limit=10))).items
    assert len(items) == 2  # the changed item was updated, not duplicated
    titles = {i.title: i for i in items}
    assert titles["SHEIN fined in France"].backlog is False
    assert "Temu pauses all US shipments" in titles
    # The stored validators are sent on the next poll.
    clock.advance(timedelta(minutes=16))
    fetcher.then(URL, FetchResult(FetchOutcome.NOT_MODIFIED, URL))
    [report] = await updater.update_due()
    assert report.status is UpdateStatus.NOT_MODIFIED
    assert fetcher.calls[-1][1] == '"v2"'
    assert (await db.feeds.get(feed.id)).status is FeedStatus.NOT_MODIFIED  # type: ignore[union-attr]


async def test_failures_back_off_then_disable_after_days(db: Database, clock: FakeClock) -> None:
    fetcher = ScriptedFetcher()
    feed = await db.feeds.add(NewFeed(URL, "Flaky"), clock.now())
    fetcher.then(URL, FetchResult(FetchOutcome.FAILED, URL, error="HTTP 500 Internal Server Error"))
    updater = make_updater(db, fetcher, clock)

    waits = []
    for _ in range(4):
        await updater.update_feed(await db.feeds.get(feed.id))  # type: ignore[arg-type]
        stored = await db.feeds.get(feed.id)
        assert stored is not None and stored.next_due is not None
        waits.append(stored.next_due - clock.now())
        assert stored.last_error == "HTTP 500 Internal Server Error"
    assert waits == [timedelta(minutes=m) for m in (15, 30, 60, 120)]

    clock.advance(timedelta(days=4))
    report = await updater.update_feed(await db.feeds.get(feed.id))  # type: ignore[arg-type]
    assert report.status is UpdateStatus.DISABLED
    stored = await db.feeds.get(feed.id)
    assert stored is not None and not stored.enabled
    assert "failing since" in (stored.disabled_reason or "")


async def test_rate_limit_honours_retry_after_and_gone_disables(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    limited = await db.feeds.add(NewFeed(URL, "Limited"), clock.now())
    gone_url = "https://gone.example/feed"
    gone = await db.feeds.add(NewFeed(gone_url, "Gone"), clock.now())
    fetcher.then(
        URL,
        FetchResult(
            FetchOutcome.RATE_LIMITED, URL, retry_after=timedelta(hours=3), error="HTTP 429"
        ),
    )
    fetcher.then(gone_url, FetchResult(FetchOutcome.GONE, gone_url, http_status=410))
    reports = {r.feed_id: r for r in await make_updater(db, fetcher, clock).update_due()}
    assert reports[limited.id].status is UpdateStatus.ERROR
    stored = await db.feeds.get(limited.id)
    assert stored is not None and stored.next_due == clock.now() + timedelta(hours=3)
    assert reports[gone.id].status is UpdateStatus.DISABLED
    assert not (await db.feeds.get(gone.id)).enabled  # type: ignore[union-attr]


async def test_permanent_redirect_moves_the_feed(db: Database, clock: FakeClock) -> None:
    fetcher = ScriptedFetcher()
    feed = await db.feeds.add(NewFeed(URL, "Moved"), clock.now())
    new_url = "https://new.example/feed.xml"
    fetcher.then(
        URL,
        FetchResult(
            FetchOutcome.OK,
            new_url,
            body=rss([ONE]).encode(),
            content_type="application/rss+xml",
            permanent_url=new_url,
        ),
    )
    await make_updater(db, fetcher, clock).update_due()
    stored = await db.feeds.get(feed.id)
    assert stored is not None and stored.url == new_url


async def test_garbage_is_an_error_and_other_feeds_still_update(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    good = await db.feeds.add(NewFeed(URL, "Good"), clock.now())
    bad_url = "https://bad.example/feed"
    bad = await db.feeds.add(NewFeed(bad_url, "Bad"), clock.now())
    fetcher.then(URL, ok(URL, rss([ONE, TWO])))
    fetcher.then(bad_url, ok(bad_url, "<html><body>Sorry, we moved</body></html>"))
    reports = {r.feed_id: r for r in await make_updater(db, fetcher, clock).update_due()}
    assert reports[good.id].new_items == 2
    assert reports[bad.id].status is UpdateStatus.ERROR
    error = reports[bad.id].error
    assert error and "\n" not in error


async def test_untrusted_feeds_are_fetched_without_private_access(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    await db.feeds.add(NewFeed(URL, "Guild feed", guild_id=42, trusted=False), clock.now())
    fetcher.then(URL, ok(URL, rss([ONE])))
    await make_updater(db, fetcher, clock).update_due()
    assert fetcher.calls[0][2] is False


async def test_a_feed_added_without_a_name_takes_its_title(db: Database, clock: FakeClock) -> None:
    fetcher = ScriptedFetcher()
    from bot.news.rules.feed_names import default_feed_name

    unnamed = await db.feeds.add(NewFeed(URL, default_feed_name(URL)), clock.now())
    named_url = "https://named.example/feed"
    named = await db.feeds.add(NewFeed(named_url, "My name"), clock.now())
    fetcher.then(URL, ok(URL, rss([ONE], title="Commerce Daily")))
    fetcher.then(named_url, ok(named_url, rss([TWO], title="Their title")))
    await make_updater(db, fetcher, clock).update_due()
    assert (await db.feeds.get(unnamed.id)).name == "Commerce Daily"  # type: ignore[union-attr]
    assert (await db.feeds.get(named.id)).name == "My name"  # type: ignore[union-attr]
    items = (await db.items.latest(LatestRequest(all_guilds=True))).items
    assert {i.source for i in items} == {"Commerce Daily", "My name"}


async def test_a_feed_title_with_bidi_controls_names_the_feed_without_them(
    db: Database, clock: FakeClock
) -> None:
    from bot.news.rules.feed_names import clean_feed_name, default_feed_name

    unnamed = await db.feeds.add(NewFeed(URL, default_feed_name(URL)), clock.now())
    fetcher = ScriptedFetcher()
    fetcher.then(URL, ok(URL, rss([ONE], title="Commerce \u202eyliad\u202c\u200d Daily")))
    await make_updater(db, fetcher, clock).update_due()
    assert (await db.feeds.get(unnamed.id)).name == "Commerce yliad Daily"  # type: ignore[union-attr]
    assert clean_feed_name(" a\u202e\x00b\u2069\n c ") == "ab c"
    assert clean_feed_name("x" * 150) == "x" * 100
    assert clean_feed_name("\u202e\u200b") == ""


class CountingParser(InlineParser):
    """The inline parser, counting the documents it parsed."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.parsed: list[bytes] = []

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
        self.parsed.append(body)
        return await super().parse(body, url=url, content_type=content_type, max_items=max_items)


def fresh(url: str, document: str, etag: str | None = None) -> FetchResult:
    """A 200 answer; without validators by default, as many servers send."""
    return FetchResult(
        FetchOutcome.OK, url, body=document.encode(), content_type="application/rss+xml", etag=etag
    )


async def test_the_same_document_again_is_not_parsed_and_changes_nothing(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    parser = CountingParser(clock)
    feed = await db.feeds.add(NewFeed(URL, "Commerce"), clock.now())
    updater = make_updater(db, fetcher, clock, parser=parser)
    # One document: rss() dates its items from the wall clock, which may tick between calls.
    document = rss([ONE])
    fetcher.then(URL, fresh(URL, document))
    [first] = await updater.update_due()
    assert first.status is UpdateStatus.OK and len(parser.parsed) == 1
    assert await db.feeds.body_hash(feed.id) == document_hash(fresh(URL, document), 200)
    before = (await db.items.latest(LatestRequest(all_guilds=True))).items

    # The same bytes in a 200 (a new ETag that means nothing): no parse, nothing changes but
    # the feed's polling state, which reads as a success.
    clock.advance(timedelta(minutes=16))
    fetcher.then(URL, fresh(URL, document, etag='"new every time"'))
    [again] = await updater.update_due()

    assert again.status is UpdateStatus.NOT_MODIFIED
    assert (again.new_items, again.updated_items) == (0, 0)
    assert len(parser.parsed) == 1
    assert (await db.items.latest(LatestRequest(all_guilds=True))).items == before
    stored = await db.feeds.get(feed.id)
    assert stored is not None
    assert stored.status is FeedStatus.NOT_MODIFIED
    assert stored.last_polled == stored.last_success == clock.now()
    assert stored.next_due == POLICY.after_success(clock.now())
    assert stored.etag == '"new every time"'

    # Other bytes are parsed, as ever.
    clock.advance(timedelta(minutes=16))
    fetcher.then(URL, fresh(URL, rss([TWO, ONE])))
    [changed] = await updater.update_due()
    assert (changed.status, changed.new_items) == (UpdateStatus.OK, 1)
    assert len(parser.parsed) == 2


async def test_a_document_that_failed_to_parse_is_parsed_again(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    parser = CountingParser(clock)
    feed = await db.feeds.add(NewFeed(URL, "Commerce"), clock.now())
    updater = make_updater(db, fetcher, clock, parser=parser)
    # One document, built once: ``rss`` dates its items from the wall clock, so building it
    # again could give other bytes when a second turns in between (a flaky test).
    document = rss([ONE])
    fetcher.then(URL, fresh(URL, document))
    await updater.update_due()
    broken = "<html><body>Maintenance</body></html>"

    # Only a successful parse is remembered: the same broken page fails (and backs off) twice.
    for count in (1, 2):
        clock.advance(timedelta(hours=2))
        fetcher.then(URL, fresh(URL, broken))
        [report] = await updater.update_due()
        assert report.status is UpdateStatus.ERROR
        stored = await db.feeds.get(feed.id)
        assert stored is not None and stored.error_count == count
    assert len(parser.parsed) == 3

    # The document that parsed before comes back: stored already, so not parsed, and the feed
    # is well again.
    clock.advance(timedelta(hours=2))
    fetcher.then(URL, fresh(URL, document))
    [report] = await updater.update_due()
    assert report.status is UpdateStatus.NOT_MODIFIED
    assert len(parser.parsed) == 3
    stored = await db.feeds.get(feed.id)
    assert stored is not None and (stored.error_count, stored.last_error) == (0, None)


def test_the_document_hash_covers_what_the_parse_depends_on() -> None:
    document = rss([ONE])  # built once: ``rss`` dates its items from the wall clock
    base = fresh(URL, document)
    hashes = {
        document_hash(base, 200),
        document_hash(base, 50),
        document_hash(fresh(URL + "?page=1", document), 200),
        document_hash(fresh(URL, rss([TWO])), 200),
        document_hash(
            FetchResult(
                FetchOutcome.OK, URL, body=base.body, content_type="text/xml; charset=latin-1"
            ),
            200,
        ),
    }
    assert len(hashes) == 5
    assert document_hash(fresh(URL, document, etag='"x"'), 200) == document_hash(base, 200)


async def test_a_parse_over_its_time_limit_fails_the_feed_and_the_next_feed_is_parsed(
    db: Database, clock: FakeClock
) -> None:
    fetcher = ScriptedFetcher()
    hostile_url, other_url = "https://feeds.example/deep.xml", URL
    hostile = await db.feeds.add(NewFeed(hostile_url, "Deep"), clock.now())
    await db.feeds.add(NewFeed(other_url, "Commerce"), clock.now())
    fetcher.then(
        hostile_url, FetchResult(FetchOutcome.OK, hostile_url, body=nested_tags(1_000_000))
    )
    fetcher.then(other_url, fresh(other_url, rss([ONE, TWO])))

    async with PoolParser(clock, workers=1, time_limit=2) as parser:
        updater = make_updater(db, fetcher, clock, parser=parser)
        # One after the other, through the one worker: the second needs the replacement.
        [failed] = await updater.update_many([hostile])
        # The failed feed backs off: only the other one is due.
        [other] = await updater.update_due()

    error = (
        "parsing took longer than 2 s (the parse time limit): the document is too big or too"
        " complex"
    )
    assert (failed.status, failed.error) == (UpdateStatus.ERROR, error)
    stored = await db.feeds.get(hostile.id)
    assert stored is not None
    assert (stored.status, stored.last_error, stored.error_count) == (FeedStatus.ERROR, error, 1)
    assert stored.next_due == POLICY.after_failure(clock.now(), 1)
    assert await db.feeds.body_hash(hostile.id) is None
    assert (other.status, other.new_items) == (UpdateStatus.OK, 2)
