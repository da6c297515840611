"""Tests for PoolParser: parse_feed in worker processes, with an injected clock."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.news import parsing_pool
from bot.news.parent_watch import alive
from bot.news.parse import FeedParseError, parse_feed
from bot.news.parsing_pool import PoolParser, default_workers
from tests.fakes.clock import FakeClock

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "feeds"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
URL = "https://feeds.example.com/feed.xml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture(scope="module")
def process_parser(clock: FakeClock) -> Iterator[PoolParser]:
    # One process pool for the module: starting workers is the slow part. The pool is not tied
    # to an event loop, so each test's own loop can use it.
    parser = PoolParser(clock, workers=1)
    asyncio.run(parser.start())
    yield parser
    asyncio.run(parser.close())


@pytest.fixture
async def thread_parser(clock: FakeClock) -> AsyncIterator[PoolParser]:
    async with PoolParser(clock, workers=2, mode="thread") as parser:
        yield parser


async def test_process_parse_equals_parse_feed(process_parser: PoolParser) -> None:
    body = fixture("rss2_basic.xml")

    pooled = await process_parser.parse(body, url=URL, content_type="application/rss+xml")

    assert pooled == parse_feed(body, url=URL, content_type="application/rss+xml", now=NOW)
    assert [d.key for d in pooled.items][:2] == [
        "guid:ledger-7781",
        "guid:https://ledger.example.com/2026/10/shein-exchange#top",
    ]


async def test_concurrent_parses_keep_their_own_results(process_parser: PoolParser) -> None:
    names = ["rss2_basic.xml", "atom10.xml", "rdf10.xml", "google_news.xml", "media.xml"] * 4

    feeds = await asyncio.gather(
        *(process_parser.parse(fixture(n), url=URL, content_type=None) for n in names)
    )

    titles = [feed.title for feed in feeds]
    assert titles[:5] == [
        "Marketplace Ledger",
        "Seller Notes",
        "Retail Wire (RDF)",
        '"tiktok shop" - Google News',
        "Media Shapes",
    ]
    assert titles == titles[:5] * 4


async def test_now_comes_from_the_clock_at_call_time(
    process_parser: PoolParser, clock: FakeClock
) -> None:
    body = fixture("dates.xml")
    before = await process_parser.parse(body, url=URL, content_type=None)
    clock.advance(datetime(2030, 12, 31, 12, tzinfo=UTC) - clock.now())
    try:
        after = await process_parser.parse(body, url=URL, content_type=None)
    finally:
        clock.advance(NOW - clock.now())

    far_before = next(d for d in before.items if d.title == "Far future")
    far_after = next(d for d in after.items if d.title == "Far future")
    assert far_before.published is None
    assert far_after.published == datetime(2031, 1, 1, tzinfo=UTC)


async def test_max_items_per_feed(process_parser: PoolParser) -> None:
    feed = await process_parser.parse(
        fixture("rss2_basic.xml"), url=URL, content_type=None, max_items=2
    )

    assert [d.title for d in feed.items] == [
        "Temu opens a European warehouse network",
        "SHEIN adds a resale marketplace",
    ]


async def test_parse_errors_cross_the_process_boundary(process_parser: PoolParser) -> None:
    with pytest.raises(FeedParseError, match=r"^not an RSS/Atom feed \(looks like HTML"):
        await process_parser.parse(fixture("html_page.html"), url=URL, content_type="text/html")
    with pytest.raises(FeedParseError, match=r"^empty document$"):
        await process_parser.parse(b"", url=URL, content_type=None)


async def test_warnings_survive_the_trip(process_parser: PoolParser) -> None:
    feed = await process_parser.parse(fixture("truncated.xml"), url=URL, content_type=None)

    assert feed.warning is not None and feed.warning.startswith("malformed XML")
    assert [d.key for d in feed.items] == ["guid:cut-1", "guid:cut-2"]


async def test_thread_mode_gives_the_same_result(thread_parser: PoolParser) -> None:
    body = fixture("atom10.xml")

    feed = await thread_parser.parse(body, url=URL, content_type=None)

    assert feed == parse_feed(body, url=URL, content_type=None, now=NOW)
    assert thread_parser.mode == "thread" and thread_parser.workers == 2


async def test_a_dead_worker_is_replaced(clock: FakeClock) -> None:
    async with PoolParser(clock, workers=1) as parser:
        before = await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None)
        # Simulate the OOM killer: kill the worker behind the pool's back.
        executor = parser._executor
        pids = list(executor._processes)  # type: ignore[union-attr]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.2)

        after = await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None)

        assert after == before
        assert parser._executor is not executor


async def test_lifecycle(clock: FakeClock) -> None:
    parser = PoolParser(clock, workers=1, mode="thread")
    with pytest.raises(RuntimeError, match="not started"):
        await parser.parse(b"<rss/>", url=URL, content_type=None)

    await parser.start()
    await parser.start()  # idempotent
    feed = await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None)
    assert len(feed.items) == 2

    await parser.close()
    await parser.close()  # idempotent
    with pytest.raises(RuntimeError):
        await parser.parse(b"<rss/>", url=URL, content_type=None)
    with pytest.raises(RuntimeError, match="closed"):
        await parser.start()


def test_constructor_validates_and_starts_nothing(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="workers"):
        PoolParser(clock, workers=0)
    with pytest.raises(ValueError, match="mode"):
        PoolParser(clock, mode="fork")  # type: ignore[arg-type]

    children = set(multiprocessing.active_children())
    parser = PoolParser(clock)

    assert parser.workers == default_workers() >= 1
    assert set(multiprocessing.active_children()) == children


def test_importing_starts_no_process() -> None:
    code = (
        "import multiprocessing, threading, bot.news.parsing_pool;"
        "print(len(multiprocessing.active_children()), threading.active_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert out.stdout.split() == ["0", "1"]


async def test_spawn_start_method_works_too(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # macOS and Windows have no forkserver: the 'spawn' fallback must work as well.
    monkeypatch.setattr(parsing_pool, "_start_method", lambda: "spawn")

    async with PoolParser(clock, workers=1) as parser:
        feed = await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None)

    assert [d.title for d in feed.items] == [
        "Walmart expands drone delivery",
        "Target tests same-day returns",
    ]


_OWNER_SCRIPT = """
import asyncio, multiprocessing.forkserver as fs, sys, time
from bot.news.clock import SystemClock
from bot.news.parsing_pool import PoolParser

async def main():
    parser = PoolParser(SystemClock(), workers=2)
    await parser.start()
    pids = [*parser._executor._processes, fs._forkserver._forkserver_pid]
    print(" ".join(map(str, pids)), flush=True)
    time.sleep(120)

asyncio.run(main())
"""


def test_workers_and_forkserver_end_when_their_owner_is_killed() -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER_SCRIPT],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None
        pids = [int(p) for p in owner.stdout.readline().split()]
        assert len(pids) == 3 and all(alive(p) for p in pids)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(30)
    # Bounded by a generous ceiling; the watch looks twice a second.
    deadline = time.monotonic() + 30
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)]
