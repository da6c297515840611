"""Ingest benchmark: the real poll path against a loopback corpus. Prints measured figures.

    uv run python benchmarks/ingest.py [--feeds 200] [--items 50] [--million | --no-million]

What it measures, all through the same code the bot runs (HttpFetcher, PoolParser, tagger,
SQLite storage):
- the parser pool's start (fork server, tag tables, workers), on its own: the bot starts it in
  the background as its poller stage starts (``bot/early_parser.py``), so a user's first poll
  finds it up. ``parser_pool_start_s`` is its wall time from the call to every worker ready,
  ``parser_pool_start_cpu_s`` the CPU of this process and its children meanwhile;
- cold poll of N x M items until they are searchable, from the first fetch, with the pool
  started (as a user meets it with a started bot): fetching, parsing, tagging, storing and the
  search; not the pool's start (above), nor stories. With ``--pool-at-first-parse`` the pool
  is not started ahead and its start falls inside the cold poll (the CLI's ``shopwire poll``
  before it started the pool ahead, and the bot before that). With ``--pool-as-cli`` it starts
  in the background as the newsroom opens, as ``shopwire poll`` opens it, and overlaps the
  opening and the poll; those two modes also report ``cold_poll_from_open_s``, from the
  newsroom's opening (in this process its imports are done already, so there is less for the
  start to overlap than in the CLI: ``cli_latency.py --cold-runs`` times the real command).
  Event-loop lag is sampled every 5 ms;
- story assignment after it, as its own phase (the bot runs it beside delivery, never in front
  of it), its worker process started and ready before the cold poll (``stories_worker_ready_s``,
  outside both clocks: the bot's stories stage starts it as the bot starts): until every
  stored item is in a story, and the items per second (wall and CPU), the
  event loop's lag meanwhile, and apart how long the clusterer's state took to be stored after;
- a no-change poll (every feed answers 304), then its story step (nothing to place);
- an incremental poll (a fifth of the feeds gain 5 items), then its story step;
- the story clusterer after a restart (a fresh assigner, its worker started): restored from
  the state saved after the last run, and rebuilt from the stored features for comparison;
- search p50/p95 for a fixed query list at the ingested size and, with --million, at 1M items
  (topped up with synthetic items straight through the storage layer);
- peak RSS (this process and the parser workers) and database size.
The corpus is served from 50 loopback addresses (127.0.0.1-50) so per-host politeness applies
as it would across real sites. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from benchmarks.corpus import Corpus, make_item

# multiprocessing runs this file again in every parser worker it starts (as ``__mp_main__``),
# before the worker is ready: what this module imports at its top is paid by the pool's start.
# The CLI's and the bot's workers run the `shopwire` script again, which imports only bot.cli
# (0.03 s once the fork server has the parser); this file's imports of aiohttp, the newsroom and
# the story worker took 0.6-0.8 s of CPU in each worker, a pool start that only the benchmark
# paid. So they are imported where they are used.
if TYPE_CHECKING:
    from bot.news.services.story_assigner import StoryAssigner

QUERIES = [
    "amazon",
    "temu tariffs",
    '"de minimis"',
    "shein fined",
    "tiktok shop live",
    "warehouses germany",
    "returns -amazon",
    "shopee OR lazada",
    "seller fees",
    "black friday",
    "customs parcels",
    "zalando",
]
HOSTS = 50


class CorpusServer:
    """Serves the corpus with ETags (304 on a match), one feed per path, from its own process.

    A separate process keeps the server's CPU out of the measured process, as a remote feed
    server would be; documents are rendered before the clock starts.
    """

    def __init__(self, feeds: int, items: int) -> None:
        self.feeds = feeds
        self.items = items
        self.port = 0
        self._process: multiprocessing.process.BaseProcess | None = None

    def url(self, feed: int) -> str:
        return f"http://127.0.0.{feed % HOSTS + 1}:{self.port}/feed/{feed}.xml"

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        ready = context.Queue()
        self._process = context.Process(
            target=_serve_corpus, args=(self.feeds, self.items, ready), daemon=True
        )
        self._process.start()
        self.port = ready.get(timeout=120)

    async def grow(self, feeds: list[int], count: int) -> None:
        """Give these feeds ``count`` new items each (on the server side)."""
        import aiohttp

        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{self.port}/grow"
            async with session.post(url, json={"feeds": feeds, "count": count}) as response:
                response.raise_for_status()

    @property
    def pid(self) -> int:
        assert self._process is not None and self._process.pid is not None
        return self._process.pid

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(10)


def _serve_corpus(feeds: int, items: int, ready: Any) -> None:
    from aiohttp import web

    corpus = Corpus(feeds, items)
    rendered: dict[int, tuple[bytes, str]] = {}

    def render(feed: int) -> None:
        body = corpus.document(feed)
        rendered[feed] = (body, '"' + hashlib.sha1(body).hexdigest() + '"')

    for feed in range(feeds):
        render(feed)

    async def handle(request: web.Request) -> web.Response:
        body, etag = rendered[int(request.match_info["feed"])]
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"ETag": etag, "Content-Type": "application/xml"})

    async def grow(request: web.Request) -> web.Response:
        order = await request.json()
        for feed in order["feeds"]:
            corpus.add_items(feed, order["count"])
            render(feed)
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{feed}.xml", handle)
        app.router.add_post("/grow", grow)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        first = web.TCPSite(runner, "127.0.0.1", 0)
        await first.start()
        assert isinstance(first._server, asyncio.Server)
        port = first._server.sockets[0].getsockname()[1]
        for host in range(2, HOSTS + 1):
            await web.TCPSite(runner, f"127.0.0.{host}", port).start()
        ready.put(port)
        await asyncio.Event().wait()

    asyncio.run(main())


class LagProbe:
    """Samples event-loop lag: how late a 5 ms sleep wakes up."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, time.perf_counter() - before - self.interval))

    def start(self) -> None:
        self.samples.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> dict[str, float]:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        ordered = sorted(self.samples) or [0.0]
        return {
            "lag_max_ms": round(ordered[-1] * 1000, 2),
            "lag_p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
            "lag_samples": len(ordered),
        }


def cpu_with_children(exclude: set[int]) -> float:
    """CPU seconds of this process and of its live descendants but ``exclude`` (the fork
    server, the workers), read from /proc (Linux); children that have exited are not counted."""
    tick = os.sysconf("SC_CLK_TCK")
    total = time.process_time()
    # descendant_peak_rss_mb lists this process too: counted once, by process_time above (it
    # was counted twice, which put a cold poll's CPU 2-3 s over what the processes used).
    for pid in descendant_peak_rss_mb(exclude | {os.getpid()}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def place_all(assigner: StoryAssigner) -> dict[str, float]:
    """Run story assignment until every stored item is in a story: items, wall and CPU time
    (this process's, and the story worker's: steadier than wall time on a busy machine, and
    the worker does most of the work), and the event loop's lag meanwhile. Then, apart, how
    long the clusterer's state took to be stored after that (runs store it beside what comes
    next: waited for here so that the next phase is measured on its own; CPU counted in
    ``cpu_s``/``worker_cpu_s`` as far as it falls before the runs end)."""
    placed = 0
    worker, reader = _story_cpu_s()
    probe = LagProbe()
    probe.start()
    started, cpu = time.perf_counter(), time.process_time()
    while assigned := await assigner.run():
        placed += assigned
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    # (A reader that started during the run counts from 0.)
    worker_after, reader_after = _story_cpu_s()
    worker, reader = worker_after - worker, max(reader_after - reader, 0.0)
    lag = await probe.stop()
    started = time.perf_counter()
    await assigner.state_stored()
    return {
        "items": placed,
        "s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "worker_cpu_s": round(worker, 3),
        "reader_cpu_s": round(reader, 3),
        "items_per_s": round(placed / wall) if placed else 0,
        "items_per_cpu_s": round(placed / cpu) if placed and cpu else 0,
        "lag_max_ms": lag["lag_max_ms"],
        "state_stored_after_s": round(time.perf_counter() - started, 3),
    }


def story_worker_cpu_s() -> float:
    """User and system CPU seconds of this process's live story worker children (Linux)."""
    return _story_cpu_s()[0]


def _story_cpu_s() -> tuple[float, float]:
    """CPU seconds of the live story workers, and of their text readers
    (``adapters/text_reader.py``: half a big batch's text is read there)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: list[tuple[int, int, bytes, float]] = []  # pid, parent, command, CPU seconds
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        # The fields after the command name (in parentheses, which may hold spaces).
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        found.append((int(proc.name), int(fields[1]), command, cpu))
    workers = {
        pid
        for pid, parent, command, _ in found
        if parent == os.getpid() and b"story_worker" in command
    }
    worker = sum(cpu for pid, _, _, cpu in found if pid in workers)
    reader = sum(
        cpu for _, parent, command, cpu in found if parent in workers and b"text_reader" in command
    )
    return worker, reader


async def restart_figures(newsroom: Any) -> dict[str, float]:
    """A restart of the bot's stories stage: the state saved as the bot stops, the new
    worker process starting (the bot starts it at its first stories run, before anything is
    to be placed), then the clusterer restored from the saved state; and, for comparison,
    rebuilt from the stored features instead (what a restart does after a crash, when the
    saved state disagrees with the stored stories).
    """
    from bot.news.adapters.story_worker import ProcessPlacer
    from bot.news.services.story_assigner import StoryAssigner

    figures: dict[str, float] = {}
    # The bot stopping: its assigner saves the clusterer's state (runs save it every few
    # minutes at most, and the last ones came sooner) and stops its worker.
    started = time.perf_counter()
    await newsroom.assigner.close()
    figures["stories_close_s"] = round(time.perf_counter() - started, 3)
    stories, clock = newsroom.storage.stories, newsroom.clock
    config = newsroom.assigner.config
    worker = ProcessPlacer(config)
    started = time.perf_counter()
    await worker.ready()
    figures["stories_worker_start_s"] = round(time.perf_counter() - started, 3)
    fresh = StoryAssigner(stories=stories, clock=clock, config=config, placer=lambda _: worker)
    started = time.perf_counter()
    await fresh.warm_up()
    figures["stories_rebuild_after_restart_s"] = round(time.perf_counter() - started, 3)
    await fresh.close()

    worker = ProcessPlacer(config)
    await worker.ready()
    fresh = StoryAssigner(
        stories=_NoSavedState(stories), clock=clock, config=config, placer=lambda _: worker
    )
    started = time.perf_counter()
    await fresh.warm_up()
    figures["stories_rebuild_from_features_s"] = round(time.perf_counter() - started, 3)
    await fresh.close()
    return figures


class _NoSavedState:
    """The story repository as a database from before states were saved presents it."""

    def __init__(self, stories: Any) -> None:
        self._stories = stories

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stories, name)

    async def clusterer_state(self) -> None:
        return None


async def measure_search(service: object, rounds: int) -> dict[str, float]:
    timings: list[float] = []
    hits = 0
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            page = await service.search(query, limit=10, all_guilds=True)  # type: ignore[attr-defined]
            timings.append(time.perf_counter() - started)
            hits += len(page.items)
    return {
        "p50_ms": round(statistics.median(timings) * 1000, 3),
        "p95_ms": round(percentile(timings, 0.95) * 1000, 3),
        "queries": len(timings),
        "mean_hits": round(hits / len(timings), 1),
    }


async def top_up(database: object, feed_ids: list[int], target: int, tagger: object) -> float:
    """Add synthetic items straight through the storage layer until ``target`` are stored."""
    from bot.news.model.vocabulary import FeedPollResult, FeedStatus, ItemDraft, TaggedDraft

    rng = random.Random(11)
    items = database.items  # type: ignore[attr-defined]
    have = await items.count()
    started = time.perf_counter()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    n = 0
    batch = 5000
    while have < target:
        count = min(batch, target - have)
        drafts = []
        for _ in range(count):
            n += 1
            source = make_item(rng, 9999, n, base)
            text = source.summary_html.replace("<p>", " ").replace("</p>", " ")[:600]
            draft = ItemDraft(
                key=f"bulk:{n}",
                title=source.title,
                link=source.link,
                author=None,
                published=base + timedelta(seconds=20 * n),
                summary=text,
                image_url=None,
                categories=(source.category,),
                publisher=None,
                content_hash=hashlib.sha256(source.title.encode()).hexdigest(),
            )
            companies = tagger.tag(draft.title, draft.summary)  # type: ignore[attr-defined]
            drafts.append(TaggedDraft(draft, companies))
        await items.apply(
            FeedPollResult(
                feed_id=feed_ids[n % len(feed_ids)],
                polled_at=datetime.now(UTC),
                status=FeedStatus.OK,
                next_due=datetime.now(UTC),
                new_items=tuple(drafts),
            )
        )
        have += count
    return time.perf_counter() - started


def descendant_peak_rss_mb(exclude: set[int]) -> dict[int, float]:
    """Peak RSS (VmHWM) of every live descendant process, read from /proc (Linux)."""
    parents: dict[int, int] = {}
    peaks: dict[int, float] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        pid = int(status.parent.name)
        parents[pid] = int(fields.get("PPid", "0").strip())
        if "VmHWM" in fields:
            peaks[pid] = int(fields["VmHWM"].split()[0]) / 1024
    me = os.getpid()
    found: dict[int, float] = {}
    for pid in parents:
        walker = pid
        while walker not in (0, 1, me) and walker in parents:
            walker = parents[walker]
        if walker == me and pid not in exclude and pid in peaks:
            found[pid] = round(peaks[pid], 1)
    return found


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def main() -> None:
    # The bot has aiohttp loaded before its first poll (discord.py imports it at start): loaded
    # here too, so that the cold poll does not pay its import on the event loop (0.3-0.5 s of
    # lag) where the bot does not. Not at the top, for the parser workers' sake (see above).
    import aiohttp  # noqa: F401

    from bot.app import open_newsroom
    from bot.settings import load_settings

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20, help="search rounds over the query list")
    parser.add_argument("--million", action=argparse.BooleanOptionalAction, default=True)
    starts = parser.add_mutually_exclusive_group()
    starts.add_argument(
        "--pool-at-first-parse",
        action="store_true",
        help="do not start the parser pool ahead: its start is then inside the cold poll",
    )
    starts.add_argument(
        "--pool-as-cli",
        action="store_true",
        help="start the parser pool in the background as the newsroom opens, as `shopwire poll`"
        " does: its start overlaps the opening and the cold poll",
    )
    parser.add_argument(
        "--cold-only",
        action="store_true",
        help="stop after the cold poll (A/Bs of how the parser pool starts)",
    )
    args = parser.parse_args()

    corpus = Corpus(args.feeds, args.items)
    server = CorpusServer(args.feeds, args.items)
    server.start()
    figures: dict[str, object] = {
        "feeds": args.feeds,
        "items_per_feed": args.items,
        "corpus_bytes": sum(len(corpus.document(f)) for f in range(args.feeds)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        settings = load_settings(
            environ={"SHOPWIRE_DB": str(db_path), "SHOPWIRE_SEED_CATALOGUE": "0"}
        )
        try:
            async with open_newsroom(settings) as setup:
                for feed in range(args.feeds):
                    await setup.service.add_feed(server.url(feed), name=f"Commerce Wire {feed}")
            # As the bot opens it: the story clusterer in its worker process. With
            # --pool-as-cli, the pool starts as it opens, as `shopwire poll` opens it.
            opened = time.perf_counter()
            async with open_newsroom(
                settings, story_process=True, parser_ahead=args.pool_as_cli
            ) as newsroom:
                service = newsroom.service
                if not (args.pool_at_first_parse or args.pool_as_cli):
                    # As the bot does when its poller stage starts (bot/early_parser.py).
                    started, cpu = time.perf_counter(), cpu_with_children({server.pid})
                    await newsroom.start_parser()
                    figures["parser_pool_start_s"] = round(time.perf_counter() - started, 3)
                    figures["parser_pool_start_cpu_s"] = round(
                        cpu_with_children({server.pid}) - cpu, 3
                    )

                # The bot's stories stage runs its first step as it starts (nothing to place
                # yet), which starts the story worker beside the parser pool, long before a
                # first poll ends: started here too, and ready before the clock starts, so
                # that the stories phase below does not pay a start-up the bot never pays
                # there (0.2 s of wall on a quiet machine, 0.3-0.6 s of the worker's CPU).
                started = time.perf_counter()
                await newsroom.assigner.warm_up()
                figures["stories_worker_ready_s"] = round(time.perf_counter() - started, 3)

                # The bot's path: the poller stores, the stories stage places afterwards.
                poll = newsroom.updater.update_due
                probe = LagProbe()
                probe.start()
                started, cpu = time.perf_counter(), cpu_with_children({server.pid})
                reports = await poll(include_not_due=True)
                page = await service.search("amazon", limit=1, all_guilds=True)
                cold = time.perf_counter() - started
                if args.pool_at_first_parse or args.pool_as_cli:
                    # The pool's start may begin before the first fetch (--pool-as-cli): from
                    # the newsroom's opening, the two modes compare on the same footing.
                    figures["cold_poll_from_open_s"] = round(time.perf_counter() - opened, 3)
                figures["cold_poll_cpu_s"] = round(cpu_with_children({server.pid}) - cpu, 3)
                figures.update(await probe.stop())
                stored = await newsroom.storage.items.count()
                assert page.items, "nothing searchable after the cold poll"
                figures["cold_poll_to_searchable_s"] = round(cold, 3)
                figures["cold_items_stored"] = stored
                figures["cold_errors"] = sum(1 for r in reports if r.error)
                figures["cold_items_per_s"] = round(stored / cold)
                if args.cold_only:
                    print(json.dumps(figures))
                    return
                figures["stories_after_cold"] = await place_all(newsroom.assigner)

                started = time.perf_counter()
                reports = await poll(include_not_due=True)
                figures["no_change_poll_s"] = round(time.perf_counter() - started, 3)
                figures["no_change_not_modified"] = sum(
                    1 for r in reports if r.status.value == "not_modified"
                )
                figures["stories_after_no_change"] = await place_all(newsroom.assigner)

                await server.grow(list(range(0, args.feeds, 5)), 5)
                started = time.perf_counter()
                reports = await poll(include_not_due=True)
                figures["incremental_poll_s"] = round(time.perf_counter() - started, 3)
                figures["incremental_new_items"] = sum(r.new_items for r in reports)
                figures["stories_after_incremental"] = await place_all(newsroom.assigner)
                unplaced = await newsroom.storage.stories.unassigned(1)
                assert not unplaced, "an item was left out of the stories"

                # Before the restart: the story worker that placed everything is still running.
                figures["peak_rss_descendants_mb"] = sorted(
                    descendant_peak_rss_mb({server.pid}).values(), reverse=True
                )
                figures.update(await restart_figures(newsroom))

                figures[f"search_at_{stored // 1000}k"] = await measure_search(service, args.rounds)
                figures["db_bytes_after_ingest"] = file_size(db_path)

                if args.million:
                    feeds = await service.list_feeds(all_guilds=True)
                    seconds = await top_up(
                        newsroom.storage, [f.id for f in feeds], 1_000_000, newsroom.tagger
                    )
                    figures["top_up_to_1m_s"] = round(seconds, 1)
                    figures["search_at_1m"] = await measure_search(service, args.rounds)
                    figures["db_bytes_at_1m"] = file_size(db_path)
        finally:
            server.stop()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
