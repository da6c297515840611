"""The poller with fakes only at the edges: a fetcher whose answers the test releases, a fake
clock, real parsing, tagging and SQLite. No test sleeps: every wait is for a condition,
re-checked whenever a fake reports a change, with a generous ceiling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from bot.news.model.errors import StorageError
from bot.news.model.vocabulary import (
    Feed,
    FetchResult,
    LatestRequest,
    NewFeed,
    SearchRequest,
    UpdateReport,
    UpdateStatus,
)
from bot.news.rules.search_query import parse_query
from bot.news.services import poller as poller_module
from bot.news.services.feed_updater import FeedUpdater
from bot.news.services.poller import FeedPoller, PollerOptions
from bot.news.services.stage import Stage, wait_first
from bot.news.tagging.company_tagger import Tagger
from storage.db import Database
from tests.ceiling import CEILING
from tests.fakes.clock import FakeClock
from tests.fakes.feedserver import rss
from tests.news.test_updater import POLICY, make_updater, ok

SLOW = "https://slow.example/feed.xml"
QUICK = "https://quick.example/feed.xml"
THIRD = "https://third.example/feed.xml"
FIRST = ("q-1", "Temu pauses US shipments", "Direct parcels stop as de minimis ends.")
SECOND = ("q-2", "SHEIN fined in France", "The regulator fined the retailer.")


class Changes:
    """Fakes poke it on every change; tests wait for a condition on it, never with a sleep."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def poke(self) -> None:
        self._event.set()

    async def until(self, predicate: Callable[[], object], ceiling: float = CEILING) -> None:
        """Wait until ``predicate()`` is true; fail after ``ceiling`` seconds."""
        async with asyncio.timeout(ceiling):
            while not predicate():
                # No await between the check and the clear: no poke can be missed.
                self._event.clear()
                await self._event.wait()


class GatedFetcher:
    """Answers with the scripted result for a URL, once that URL's gate (if any) is open.

    A gate nobody opens is a feed that accepted the connection and never answers.
    """

    def __init__(self, changes: Changes) -> None:
        self.changes = changes
        self.results: dict[str, FetchResult | Exception] = {}
        self.gates: dict[str, asyncio.Event] = {}
        self.starts: dict[str, int] = {}
        self.waiting: set[str] = set()

    def hang(self, url: str) -> asyncio.Event:
        gate = self.gates[url] = asyncio.Event()
        return gate

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = True,
    ) -> FetchResult:
        self.starts[url] = self.starts.get(url, 0) + 1
        self.changes.poke()
        gate = self.gates.get(url)
        if gate is not None:
            self.waiting.add(url)
            self.changes.poke()
            try:
                await gate.wait()
            finally:
                self.waiting.discard(url)
                self.changes.poke()
        result = self.results[url]
        if isinstance(result, Exception):
            raise result
        return result


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "p.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def changes() -> Changes:
    return Changes()


def updater_for(db: Database, fetcher: GatedFetcher, clock: FakeClock) -> FeedUpdater:
    return make_updater(db, fetcher, clock, plan_posts=True)


class Stored:
    """The poller's stored-result hook, recording every report."""

    def __init__(self, changes: Changes) -> None:
        self.changes = changes
        self.reports: list[UpdateReport] = []

    def __call__(self, report: UpdateReport) -> None:
        self.reports.append(report)
        self.changes.poke()

    def of(self, feed: Feed) -> list[UpdateReport]:
        return [r for r in self.reports if r.feed_id == feed.id]


async def searchable(db: Database, text: str) -> int:
    page = await db.items.search(SearchRequest(text=text, all_guilds=True), parse_query(text))
    return len(page.items)


async def test_a_hanging_feed_holds_only_its_own_slot_and_is_never_started_twice(
    db: Database, clock: FakeClock, changes: Changes
) -> None:
    fetcher = GatedFetcher(changes)
    slow = await db.feeds.add(NewFeed(SLOW, "Slow"), clock.now())
    quick = await db.feeds.add(NewFeed(QUICK, "Quick"), clock.now())
    release = fetcher.hang(SLOW)
    fetcher.results[SLOW] = ok(SLOW, rss([SECOND]))
    fetcher.results[QUICK] = ok(QUICK, rss([FIRST]))
    stored = Stored(changes)
    poller = FeedPoller(
        updater_for(db, fetcher, clock),
        clock,
        on_stored=stored,
        options=PollerOptions(max_in_flight=4, check_every=0.01),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(poller.run(stop))
    try:
        await changes.until(lambda: stored.of(quick))
        # Stored and searchable while the slow feed is still waiting for its answer.
        assert SLOW in fetcher.waiting and poller.in_flight == {slow.id}
        assert await searchable(db, "Temu") == 1

        # The quick feed falls due again and is polled again; the slow one is still in its
        # first poll, and many due-list reads later it was never started a second time.
        clock.advance(POLICY.interval + timedelta(seconds=1))
        fetcher.results[QUICK] = ok(QUICK, rss([SECOND, FIRST]), etag='"v2"')
        await changes.until(lambda: len(stored.of(quick)) == 2)
        assert stored.of(quick)[1].new_items == 1
        assert fetcher.starts == {SLOW: 1, QUICK: 2}
        assert stored.of(slow) == []

        release.set()
        await changes.until(lambda: stored.of(slow))
        assert stored.of(slow)[0].status is UpdateStatus.OK
        assert poller.in_flight == frozenset()
    finally:
        stop.set()
        await asyncio.wait_for(running, CEILING)


async def test_feeds_start_as_slots_free_up_not_in_rounds(
    db: Database, clock: FakeClock, changes: Changes
) -> None:
    fetcher = GatedFetcher(changes)
    feeds = [
        await db.feeds.add(NewFeed(url, url.split("/")[2]), clock.now())
        for url in (SLOW, QUICK, THIRD)
    ]
    gates = {url: fetcher.hang(url) for url in (SLOW, QUICK, THIRD)}
    for url in gates:
        fetcher.results[url] = ok(url, rss([FIRST]))
    stored = Stored(changes)
    poller = FeedPoller(
        updater_for(db, fetcher, clock),
        clock,
        on_stored=stored,
        options=PollerOptions(max_in_flight=2, check_every=0.01),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(poller.run(stop))
    try:
        # Two slots: the two most overdue feeds (here: in id order) start, the third waits.
        await changes.until(lambda: fetcher.waiting == {SLOW, QUICK})
        assert THIRD not in fetcher.starts
        # One finishes: the third starts at once, while the first is still hanging.
        gates[QUICK].set()
        await changes.until(lambda: THIRD in fetcher.waiting)
        assert SLOW in fetcher.waiting
        assert [r.feed_id for r in stored.reports] == [feeds[1].id]
        gates[THIRD].set()
        await changes.until(lambda: len(stored.reports) == 2)
        assert SLOW in fetcher.waiting
    finally:
        stop.set()
        await asyncio.wait_for(running, CEILING)
    # Stopping cancels the hanging poll after the grace; its feed stays due for the next start.
    assert poller.in_flight == frozenset()
    assert [f.id for f in await db.feeds.due(clock.now())] == [feeds[0].id]


async def test_a_poller_behind_reads_only_the_due_feeds_it_can_start(
    db: Database, clock: FakeClock, changes: Changes
) -> None:
    # Reading every overdue feed each time a poll finished made a poller that fell behind
    # slower the further behind it was (benchmarks/scale.py: 2,000 feeds on SQLite).
    fetcher = GatedFetcher(changes)
    urls = [f"https://feed{n}.example/rss" for n in range(6)]
    feeds = [
        await db.feeds.add(NewFeed(url, f"Feed {n}"), clock.now()) for n, url in enumerate(urls)
    ]
    gates = {url: fetcher.hang(url) for url in urls}
    for url in urls:
        fetcher.results[url] = ok(url, rss([FIRST]))
    updater = updater_for(db, fetcher, clock)
    reads: list[tuple[int | None, int]] = []
    read_due = updater.due

    async def due(limit: int | None = None, skip: Iterable[int] = ()) -> list[Feed]:
        found = await read_due(limit, skip)
        reads.append((limit, len(found)))
        return found

    updater.due = due  # type: ignore[method-assign]
    stored = Stored(changes)
    poller = FeedPoller(updater, clock, on_stored=stored, options=PollerOptions(max_in_flight=2))

    assert await poller.fill() == [feeds[0].id, feeds[1].id]
    assert reads == [(2, 2)]  # two of the six overdue feeds
    gates[urls[0]].set()
    await changes.until(lambda: len(stored.reports) == 1)
    # One slot free: one feed read, not the one in flight (still due) nor the one resting.
    assert await poller.fill() == [feeds[2].id]
    assert reads[-1] == (1, 1)
    for n in range(1, 6):
        gates[urls[n]].set()

        def done(expected: int = n + 1) -> bool:
            return len(stored.reports) == expected

        await changes.until(done)
        await poller.fill()
    assert fetcher.starts == dict.fromkeys(urls, 1)
    assert all(limit is not None and found <= limit for limit, found in reads)


async def test_a_poll_that_cannot_store_is_not_restarted_in_a_tight_loop(
    db: Database, clock: FakeClock, changes: Changes, caplog: pytest.LogCaptureFixture
) -> None:
    fetcher = GatedFetcher(changes)
    feed = await db.feeds.add(NewFeed(QUICK, "Broken"), clock.now())
    fetcher.results[QUICK] = RuntimeError("database is locked")
    stored = Stored(changes)
    poller = FeedPoller(
        updater_for(db, fetcher, clock),
        clock,
        on_stored=stored,
        options=PollerOptions(min_gap=timedelta(seconds=5)),
    )
    caplog.set_level(logging.DEBUG, logger="shopwire.poll")

    assert await poller.fill() == [feed.id]
    await changes.until(lambda: stored.reports)
    assert stored.reports[0].status is UpdateStatus.ERROR
    # Nothing was stored, so the feed is still due; it rests for min_gap all the same.
    assert [f.id for f in await db.feeds.due(clock.now())] == [feed.id]
    assert await poller.fill() == []
    clock.advance(timedelta(seconds=6))
    assert await poller.fill() == [feed.id]
    await changes.until(lambda: len(stored.reports) == 2)

    # Each crash is one line; the traceback only the first time this kind of crash is seen.
    crashes = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert [(r.levelno, r.exc_info is not None) for r in crashes] == [
        (logging.ERROR, True),
        (logging.DEBUG, True),
    ]
    assert len([r for r in caplog.records if "status=error" in r.getMessage()]) == 2


async def test_polling_never_waits_for_story_assignment(
    db: Database, clock: FakeClock, changes: Changes
) -> None:
    """A story assignment that never finishes delays neither storing nor delivery's wake-up."""
    fetcher = GatedFetcher(changes)
    await db.feeds.add(NewFeed(QUICK, "Quick"), clock.now())
    fetcher.results[QUICK] = ok(QUICK, rss([FIRST]))
    assigning = asyncio.Event()
    never = asyncio.Event()

    async def assign_forever() -> int:
        assigning.set()
        changes.poke()
        await never.wait()
        return 0

    delivered: list[int] = []

    async def deliver() -> None:
        delivered.append(len((await db.items.latest(LatestRequest(all_guilds=True))).items))
        changes.poke()

    stories = Stage("stories", assign_forever, tick=1000)
    delivery = Stage("delivery", deliver, tick=1000)

    def on_stored(report: UpdateReport) -> None:
        stories.wake()
        delivery.wake()

    poller = FeedPoller(
        updater_for(db, fetcher, clock),
        clock,
        on_stored=on_stored,
        options=PollerOptions(check_every=0.01),
    )
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(stories.run(stop)),
        asyncio.create_task(delivery.run(stop)),
        asyncio.create_task(poller.run(stop)),
    ]
    try:
        await changes.until(assigning.is_set)  # the first assignment run is stuck from the start
        await changes.until(lambda: delivered and delivered[-1] == 1)
        assert fetcher.starts == {QUICK: 1}
    finally:
        stop.set()
        never.set()
        await asyncio.wait_for(asyncio.gather(*tasks), CEILING)


async def test_the_cli_poll_still_runs_story_assignment_after_the_round(
    db: Database, clock: FakeClock, changes: Changes
) -> None:
    from bot.news.services.news import NewsService

    fetcher = GatedFetcher(changes)
    await db.feeds.add(NewFeed(QUICK, "Quick"), clock.now())
    fetcher.results[QUICK] = ok(QUICK, rss([FIRST]))
    seen: list[int] = []

    async def after_poll() -> None:
        seen.append(len((await db.items.latest(LatestRequest(all_guilds=True))).items))

    service = NewsService(
        feeds=db.feeds,
        items=db.items,
        meta=db.meta,
        updater=updater_for(db, fetcher, clock),
        companies=Tagger.default(),
        clock=clock,
        after_poll=after_poll,
    )
    [report] = await service.poll()
    assert report.status is UpdateStatus.OK
    assert seen == [1]  # once, after the round was stored


async def test_a_database_outage_backs_off_and_logs_its_changes_not_its_cycles(
    clock: FakeClock, changes: Changes, caplog: pytest.LogCaptureFixture
) -> None:
    # Before: one ERROR line a second for as long as the outage lasted, no backoff.
    class BrokenUpdater:
        calls = 0
        healed = False

        async def due(self, limit: int | None = None, skip: Iterable[int] = ()) -> list[Feed]:
            BrokenUpdater.calls += 1
            changes.poke()
            if BrokenUpdater.healed:
                return []
            if BrokenUpdater.calls > 20:
                raise StorageError("the database is unreachable\nwith a second line")
            raise RuntimeError("disk I/O error\nwith a second line")

    poller = FeedPoller(
        BrokenUpdater(),  # type: ignore[arg-type]
        clock,
        options=PollerOptions(check_every=0.001, max_backoff=0.008, failure_reminder=0.05),
    )
    waits: list[float] = []

    async def recorded(events: Sequence[asyncio.Event], seconds: float) -> None:
        waits.append(seconds)
        await wait_first(events, seconds)

    caplog.set_level(logging.DEBUG, logger="shopwire.poll")
    stop = asyncio.Event()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(poller_module, "wait_first", recorded)
        running = asyncio.create_task(poller.run(stop))
        await changes.until(lambda: BrokenUpdater.calls >= 40)
        BrokenUpdater.healed = True
        await changes.until(lambda: poller.failures.in_a_row == 0)
        stop.set()
        await asyncio.wait_for(running, CEILING)
    failed = BrokenUpdater.calls - 1  # the last read worked
    # Exponential, with a ceiling: 1, 2, 4, 8, 8, … ms.
    assert waits[:6] == [0.001, 0.002, 0.004, 0.008, 0.008, 0.008]
    assert max(waits) == 0.008
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    messages = [r.getMessage() for r in lines]
    assert all("\n" not in m for m in messages)
    starts = [m for m in messages if " failed (" in m]
    assert len(starts) == 2  # the outage's start, and the change of its error
    assert "poller failed (1 in a row)" in starts[0] and "disk I/O error" in starts[0]
    assert "poller failed (21 in a row)" in starts[1] and "unreachable" in starts[1]
    assert lines[0].exc_info is not None  # the first line shows where it is
    assert all(r.exc_info is None for r in lines[1:])
    reminders = [m for m in messages if "still failing" in m]
    assert 1 <= len(reminders) <= failed * 0.008 / 0.05 + 2  # one per reminder period
    recovered = [m for m in messages if "recovered" in m]
    assert len(recovered) == 1 and recovered[0].startswith("poller recovered after 4")
    assert len(messages) == len(starts) + len(reminders) + len(recovered)
