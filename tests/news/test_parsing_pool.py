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

from bot.news.adapters import parsing_pool
from bot.news.adapters.feed_parse import FeedParseError, parse_feed
from bot.news.adapters.parent_watch import alive
from bot.news.adapters.parsing_pool import PoolParser, _WorkerPool, default_workers
from tests.fakes.clock import FakeClock
from tests.fakes.hostile import nested_tags

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


def worker_pids(parser: PoolParser) -> list[int]:
    return pool_of(parser).pids()


def pool_of(parser: PoolParser) -> _WorkerPool:
    executor = parser._executor
    assert isinstance(executor, _WorkerPool)
    return executor


async def test_a_worker_killed_while_idle_is_replaced(clock: FakeClock) -> None:
    async with PoolParser(clock, workers=1) as parser:
        before = await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None)
        # Simulate the OOM killer: kill the worker behind the pool's back.
        [pid] = worker_pids(parser)
        os.kill(pid, signal.SIGKILL)
        await wait_for_death(pid)

        after = await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None)

        assert after == before
        assert worker_pids(parser) != [pid]


async def test_a_worker_that_dies_in_a_job_fails_that_job_only(clock: FakeClock) -> None:
    async with PoolParser(clock, workers=1) as parser:
        [pid] = worker_pids(parser)

        # The job ends its own process, as a crash in a C extension would.
        with pytest.raises(FeedParseError, match=r"^the parser process died while parsing"):
            await asyncio.wrap_future(pool_of(parser).submit(os._exit, 3))

        feed = await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None)
        assert len(feed.items) == 2
        assert not alive(pid) and worker_pids(parser) != [pid]


async def test_a_parse_over_its_time_limit_fails_and_its_worker_is_replaced(
    clock: FakeClock,
) -> None:
    async with PoolParser(clock, workers=1, time_limit=2) as parser:
        [pid] = worker_pids(parser)

        with pytest.raises(FeedParseError) as failed:
            await parser.parse(nested_tags(1_000_000), url=URL, content_type=None)

        assert str(failed.value) == (
            "parsing took longer than 2 s (the parse time limit): the document is too big or too"
            " complex"
        )
        assert not alive(pid)
        # The pool keeps working: the next feed is parsed by a new worker.
        feed = await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None)
        assert len(feed.items) == 2
        [replacement] = worker_pids(parser)
        assert replacement != pid and alive(replacement)


async def test_a_worker_over_its_memory_limit_is_killed_and_replaced(clock: FakeClock) -> None:
    async with PoolParser(clock, workers=1, time_limit=None, memory_limit_mb=100) as parser:
        [pid] = worker_pids(parser)

        # About 14 MB more every second; the ceiling only guards against a hang.
        with pytest.raises(FeedParseError) as failed:
            await asyncio.wait_for(
                parser.parse(nested_tags(1_000_000), url=URL, content_type=None), 300
            )

        assert str(failed.value) == (
            "parsing needed more than 100 MB of memory (the parse memory limit): the document is"
            " too big or too complex"
        )
        assert not alive(pid)
        feed = await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None)
        assert len(feed.items) == 2


async def test_an_allocation_past_the_address_space_cap_is_a_memory_failure(
    clock: FakeClock,
) -> None:
    # 16 GB at once: the kernel refuses it (the cap under the resident-memory check), the worker
    # reports it and ends, and a new one takes its place.
    async with PoolParser(clock, workers=1, memory_limit_mb=64) as parser:
        [pid] = worker_pids(parser)

        with pytest.raises(FeedParseError, match=r"^parsing needed more than 64 MB of memory"):
            await asyncio.wrap_future(pool_of(parser).submit(bytearray, 1 << 34))

        await wait_for_death(pid)
        feed = await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None)
        assert len(feed.items) == 2


async def test_a_long_parse_holds_only_its_own_worker(clock: FakeClock) -> None:
    async with PoolParser(clock, workers=2, time_limit=None) as parser:
        hostile = asyncio.ensure_future(
            parser.parse(nested_tags(1_000_000), url=URL, content_type=None)
        )

        feeds = [
            await parser.parse(fixture("rdf10.xml"), url=URL, content_type=None) for _ in range(5)
        ]

        assert [len(feed.items) for feed in feeds] == [2] * 5
        # The hostile parse (about 45 s alone) is still running: the other worker did the rest.
        assert not hostile.done()
    # Closing the pool ends the parse in flight.
    with pytest.raises(RuntimeError, match="closed during the parse"):
        await hostile


async def wait_for_death(pid: int) -> None:
    # Bounded by a generous ceiling; SIGKILL takes effect at once on an idle machine.
    for _ in range(300):
        if not alive(pid):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"process {pid} is still alive")


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
    with pytest.raises(ValueError, match="time_limit"):
        PoolParser(clock, time_limit=0)
    with pytest.raises(ValueError, match="memory_limit_mb"):
        PoolParser(clock, memory_limit_mb=0)

    children = set(multiprocessing.active_children())
    parser = PoolParser(clock)

    assert parser.workers == default_workers() >= 1
    assert set(multiprocessing.active_children()) == children


def test_importing_starts_no_process() -> None:
    code = (
        "import multiprocessing, threading, bot.news.adapters.parsing_pool;"
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
from bot.news.adapters.system_clock import SystemClock
from bot.news.adapters.parsing_pool import PoolParser

async def main():
    parser = PoolParser(SystemClock(), workers=2)
    await parser.start()
    pids = [*parser._executor.pids(), fs._forkserver._forkserver_pid]
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


async def test_a_close_during_the_start_kills_the_workers_being_started(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers that never say they are ready. A close that waited for them would wait for the
    # start's time-out, set far beyond this test's ceiling; it kills them instead.
    ceiling = 60.0
    monkeypatch.setattr(parsing_pool, "_PRELOAD", ("tests.fakes.stalled_start",))
    monkeypatch.setattr(parsing_pool, "_START_TIMEOUT", 10 * ceiling)
    parser = PoolParser(clock, workers=2)
    starting = asyncio.create_task(parser.start())
    slots = await slots_with_a_process(parser, ceiling)
    pids = [process.pid for slot in slots if (process := slot._starting) and process.pid]
    assert len(pids) == 2 and all(alive(pid) for pid in pids)

    await asyncio.wait_for(parser.close(), ceiling)

    with pytest.raises(RuntimeError, match="closed while its workers started"):
        await asyncio.wait_for(starting, ceiling)
    for pid in pids:
        await wait_for_death(pid)


async def slots_with_a_process(parser: PoolParser, ceiling: float) -> list[parsing_pool._Slot]:
    """The pool's slots once each has a worker process starting (bounded by ``ceiling``)."""
    async with asyncio.timeout(ceiling):
        while True:  # a process starting has no event to wait on: look every 50 ms
            executor = parser._executor
            if isinstance(executor, _WorkerPool):
                slots = executor._slots
                if all(slot._starting is not None for slot in slots):
                    return slots
            await asyncio.sleep(0.05)
