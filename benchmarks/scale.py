"""Scale: many feeds and channels through real `shopwire run` processes, per process layout.

    uv run python benchmarks/scale.py [--feeds 2000] [--channels 200] [--items-per-feed 2]
        [--samples 20] [--poll-interval 5] [--runs pg-1,pg-2,pg-4,sqlite,pg-all]
        [--burst N] [--postgres-url URL] [--quick] [--logs DIR] [--profile DIR]

Each run starts from an empty database: ``--feeds`` loopback feeds (served from 50 loopback
addresses, so per-host politeness applies as across real sites), each with
``--items-per-feed`` items, and ``--channels`` subscribed channels on the loopback fake of
Discord (20 per server; channel c's subscription wants the keyword ``deskNNN`` that feed f's
new items carry when f % channels == c). Then the real processes start:

    pg-N     N ``shopwire run --role poller`` processes and one ``--role gateway``, PostgreSQL
    pg-all   one ``shopwire run --role all`` on PostgreSQL
    sqlite   one ``shopwire run --role all`` on a SQLite file

and the run measures
- items stored per second by the first polls (every feed's backlog: first stored item to last);
- the stories step placing them all (the processes' own story stage; waited for, so that
  each run's samples start on a settled system);
- feed-to-channel time: rounds of ``--per-round`` random feeds each gaining one new item at
  once, timed from serving it to the fake recording its post, while every feed is polled
  every ``--poll-interval`` seconds;
- with ``--burst N``, then: N feeds gain an item at once, and how fast their posts go out
  (Discord's global limit is 50 requests a second per application);
- what bounds them: CPU seconds of each process (with its parser and story workers), of this
  process (the fake Discord and the feed server), of the PostgreSQL server when it runs on
  this machine, how busy the machine was, polls per second served and each process's polls.

PostgreSQL runs need ``--postgres-url`` or SHOPWIRE_BENCH_POSTGRES_URL: a server and database
where the benchmark may create a schema (one per run, dropped after). Without one, only
``--runs sqlite`` works. Prints a plain summary, then one JSON line. Every process and server is
stopped on the way out, Ctrl-C and errors included. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import random
import re
import resource
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import CorpusItem, make_item, render  # noqa: E402
from bot.app import open_newsroom  # noqa: E402
from bot.news.model.vocabulary import SubscriptionMode  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from tests.fakediscord import FakeDiscord, FakeDiscordTimeout, RecordedMessage  # noqa: E402
from tests.fakes.environment import clean_environ  # noqa: E402
from tests.fakes.postgres_schema import scratch_schema  # noqa: E402

HOSTS = 50
CHANNELS_PER_GUILD = 20
POLL_LINE = re.compile(r"poll feed_id=\d+ status=(\w+) new=\d+ updated=\d+ ms=(\d+)")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
POSTGRES_HELP = (
    "PostgreSQL runs ({runs}) need a server: pass --postgres-url or set "
    "SHOPWIRE_BENCH_POSTGRES_URL to postgresql://user@host:port/database (a database where "
    "the benchmark may create and drop a schema), or run only --runs sqlite."
)


@dataclass(frozen=True)
class RunSpec:
    """One process layout: ``pollers`` 0 means a single ``--role all`` process."""

    name: str
    backend: str
    pollers: int


def parse_runs(text: str) -> list[RunSpec]:
    specs = []
    for name in (part.strip() for part in text.split(",") if part.strip()):
        if name == "sqlite":
            specs.append(RunSpec(name, "sqlite", 0))
        elif name == "pg-all":
            specs.append(RunSpec(name, "postgresql", 0))
        elif re.fullmatch(r"pg-[1-9]\d?", name):
            specs.append(RunSpec(name, "postgresql", int(name[3:])))
        else:
            raise SystemExit(f"error: unknown run {name!r} (sqlite, pg-all or pg-N)")
    return specs


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ---- the feeds -------------------------------------------------------------------------


@dataclass
class FeedDoc:
    items: list[CorpusItem]
    body: bytes = b""
    etag: str = ""

    def rendered(self, feed: int) -> FeedDoc:
        self.body = render("rss", feed, self.items)
        self.etag = '"' + hashlib.sha1(self.body).hexdigest() + '"'
        return self


class FeedFarm:
    """Every feed's RSS document on 50 loopback addresses (one port), answering 304 to a
    matching If-None-Match as a well-behaved server does; counts what it answered."""

    def __init__(self) -> None:
        self.docs: dict[int, FeedDoc] = {}
        self.answers = {200: 0, 304: 0}
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, feed: int) -> str:
        return f"http://127.0.0.{feed % HOSTS + 1}:{self.port}/feed/{feed}.xml"

    def reset(self, feeds: int, items: int, rng: random.Random) -> None:
        now = datetime.now(UTC)
        self.docs = {
            f: FeedDoc([make_item(rng, f, n, now) for n in range(items)]).rendered(f)
            for f in range(feeds)
        }

    def add(self, feed: int, item: CorpusItem) -> None:
        doc = self.docs[feed]
        doc.items.insert(0, item)
        doc.rendered(feed)

    async def _handle(self, request: web.Request) -> web.Response:
        doc = self.docs.get(int(request.match_info["feed"]))
        if doc is None:
            return web.Response(status=404)
        if request.headers.get("If-None-Match") == doc.etag:
            self.answers[304] += 1
            return web.Response(status=304, headers={"ETag": doc.etag})
        self.answers[200] += 1
        headers = {"ETag": doc.etag, "Content-Type": "application/rss+xml"}
        return web.Response(body=doc.body, headers=headers)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/feed/{feed}.xml", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        first = web.TCPSite(self._runner, "127.0.0.1", 0)
        await first.start()
        assert isinstance(first._server, asyncio.Server)
        self.port = first._server.sockets[0].getsockname()[1]
        for host in range(2, HOSTS + 1):
            await web.TCPSite(self._runner, f"127.0.0.{host}", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def sample_item(rng: random.Random, feed: int, channel: int, sample: int) -> CorpusItem:
    base = make_item(rng, feed, 100_000 + sample, datetime.now(UTC))
    return replace(
        base,
        title=f"{base.title} (desk{channel:03d} bulletin {sample})",
        published=datetime.now(UTC),
    )


# ---- processes and CPU -----------------------------------------------------------------


def _proc_stats() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds (its own plus its reaped children's)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        ticks = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        stats[int(entry.name)] = (int(fields[1]), ticks / CLOCK_TICKS)
    return stats


def tree_cpu(root: int, stats: dict[int, tuple[int, float]]) -> float:
    """CPU seconds of ``root`` and every descendant still alive (parser and story workers)."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        todo += children.get(pid, [])
    return total


def postmaster_pid(url: str | None) -> int | None:
    """The local PostgreSQL server's pid when the URL's port is one this machine serves."""
    match = re.search(r"@(?:127\.0\.0\.1|localhost):(\d+)/", url or "")
    if match is None:
        return None
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if entry.name.isdigit() and Path(argv[0].decode(errors="replace")).name == "postgres":
            pairs = itertools.pairwise(argv)
            if any(a == b"-p" and b.decode() == match[1] for a, b in pairs):
                return int(entry.name)
    return None


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Shopwire:
    """One `shopwire run --role ROLE` process, logging to a file."""

    def __init__(
        self, role: str, env: dict[str, str], log_path: Path, profile: Path | None = None
    ) -> None:
        self.role = role
        self.env = {**env, "SHOPWIRE_ROLE": role}
        self.log_path = log_path
        self.profile = profile
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        # cProfile writes its file when the process ends normally (SIGTERM is a normal stop).
        profiled = ["-m", "cProfile", "-o", str(self.profile)] if self.profile else []
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                *profiled,
                "-m",
                "bot",
                "run",
                env=self.env,
                stdout=log,
                stderr=log,
                cwd=ROOT,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def stop(self) -> int | None:
        """SIGTERM, up to a minute to stop, then SIGKILL; always reaped."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(asyncio.shield(process.wait()), 60)
        except TimeoutError:
            process.kill()
            return await process.wait()


@dataclass
class Snapshot:
    """CPU seconds per process (and this one, and PostgreSQL) and the machine, at a moment."""

    when: float
    cpu: dict[str, float]
    busy: int
    total: int
    farm: dict[int, int]
    log_sizes: dict[str, int] = field(default_factory=dict)


def snapshot(processes: dict[str, Shopwire], postmaster: int | None, farm: FeedFarm) -> Snapshot:
    stats = _proc_stats()
    cpu = {name: tree_cpu(p.pid, stats) for name, p in processes.items()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu["bench (fake Discord, feeds)"] = usage.ru_utime + usage.ru_stime
    if postmaster is not None:
        cpu["postgresql"] = tree_cpu(postmaster, stats)
    busy, total = machine_ticks()
    sizes = {name: len(p.log()) for name, p in processes.items()}
    return Snapshot(time.monotonic(), cpu, busy, total, dict(farm.answers), sizes)


def between(first: Snapshot, last: Snapshot, processes: dict[str, Shopwire]) -> dict[str, Any]:
    """What happened from one snapshot to the next: CPU per process, machine, polls."""
    wall = last.when - first.when
    polls: dict[str, Any] = {}
    for name, process in processes.items():
        lines = POLL_LINE.findall(process.log()[first.log_sizes[name] : last.log_sizes[name]])
        if lines:
            ms = [int(m) for _, m in lines]
            polls[name] = {"polls": len(lines), "poll_ms_median": statistics.median(ms)}
    answered = {k: last.farm[k] - first.farm[k] for k in last.farm}
    cpu = {k: v - first.cpu.get(k, 0.0) for k, v in last.cpu.items()}
    served = sum(answered.values())
    return {
        "wall_s": round(wall, 2),
        "cpu_s": {k: round(v, 2) for k, v in cpu.items()},
        # Each process's CPU per feed request answered (any process's poll): what a poll costs.
        "cpu_ms_per_poll": {k: round(1000 * v / served, 2) for k, v in cpu.items()}
        if served
        else None,
        "machine_busy": round((last.busy - first.busy) / max(1, last.total - first.total), 2),
        "feed_answers": {"200": answered[200], "304": answered[304]},
        "polls_per_s": round(sum(answered.values()) / wall, 1) if wall > 0 else None,
        "polls": polls,
    }


# ---- the database ----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def fresh_database(spec: RunSpec, server: str | None, tmp: Path) -> AsyncIterator[str]:
    """The ``db`` setting of an empty database: a SQLite file, or a schema of its own."""
    if spec.backend == "sqlite":
        yield str(tmp / f"{spec.name}.db")
        return
    assert server is not None
    async with scratch_schema(server, "bench_scale_") as url:
        yield url


class Counts:
    """Reads how many items are stored and how many wait for a story (raw SQL: a benchmark
    looks under the ports)."""

    QUERY = "SELECT count(*), count(*) FILTER (WHERE story_id IS NULL) FROM items"

    def __init__(self, db: str) -> None:
        self.db = db
        self._pg: Any = None

    async def read(self) -> tuple[int, int]:
        if self.db.startswith("postgresql"):
            import asyncpg

            if self._pg is None:
                self._pg = await asyncpg.connect(self.db)
            row = await self._pg.fetchrow(self.QUERY)
            return int(row[0]), int(row[1])
        return await asyncio.to_thread(self._read_sqlite)

    def _read_sqlite(self) -> tuple[int, int]:
        with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)) as conn:
            stored, unplaced = conn.execute(self.QUERY).fetchone()
            return int(stored), int(unplaced)

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()


async def until(check: Callable[[], Any], ceiling: float, every: float = 0.25) -> float | None:
    """Wait until ``await check()`` holds; the monotonic time it held, or None at the ceiling."""
    deadline = time.monotonic() + ceiling
    while time.monotonic() < deadline:
        if await check():
            return time.monotonic()
        await asyncio.sleep(every)
    return None


# ---- one run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    feeds: int
    channels: int
    items_per_feed: int
    samples: int
    per_round: int
    poll_interval: int
    ceiling: float
    logs: Path | None
    profile: Path | None
    burst: int


def text_of(message: RecordedMessage) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
    return "\n".join(parts)


def desks(fake: FakeDiscord, channels: int) -> list[tuple[int, int]]:
    """``channels`` text channels, 20 to a server: (server id, channel id) per desk."""
    pairs = []
    for first in range(0, channels, CHANNELS_PER_GUILD):
        guild = fake.add_guild(f"Desk group {first // CHANNELS_PER_GUILD}")
        for c in range(first, min(channels, first + CHANNELS_PER_GUILD)):
            pairs.append((guild.id, guild.add_text_channel(f"desk-{c:03d}").id))
    return pairs


async def prepare(db: str, farm: FeedFarm, desk_ids: list[tuple[int, int]]) -> None:
    """Every feed and one subscription per channel, before any process starts."""
    settings = load_settings(environ={"SHOPWIRE_DB": db, "SHOPWIRE_SEED_CATALOGUE": "0"})
    async with open_newsroom(settings) as newsroom:
        for f in farm.docs:
            await newsroom.service.add_feed(farm.url(f), name=f"Commerce Wire {f}")
        for c, (guild_id, channel_id) in enumerate(desk_ids):
            await newsroom.subscriptions.subscribe(
                guild_id=guild_id,
                channel_id=channel_id,
                subscription_filter=newsroom.subscriptions.build_filter(None, f"desk{c:03d}", None),
                created_by=None,
                mode=SubscriptionMode.REALTIME,
            )


def layout(
    spec: RunSpec, fake: FakeDiscord, db: str, guild_id: int, opts: Options, logs: Path
) -> dict[str, Shopwire]:
    base = {
        **clean_environ(),
        "PYTHONPATH": str(ROOT),
        "SHOPWIRE_DB": db,
        "SHOPWIRE_SEED_CATALOGUE": "0",
        "SHOPWIRE_POLL_INTERVAL": str(opts.poll_interval),
        "SHOPWIRE_DEV_GUILD_ID": str(guild_id),
        "SHOPWIRE_LOG_LEVEL": "INFO",
    }
    discord = {**base, **fake.env()}

    def process(role: str, env: dict[str, str], name: str) -> Shopwire:
        profile = opts.profile / f"{spec.name}-{name}.prof" if opts.profile else None
        return Shopwire(role, env, logs / f"{spec.name}-{name}.log", profile)

    if spec.pollers == 0:
        return {"all": process("all", discord, "all")}
    processes = {"gateway": process("gateway", discord, "gateway")}
    for n in range(1, spec.pollers + 1):
        processes[f"poller-{n}"] = process("poller", base, f"poller-{n}")
    return processes


async def wait_for_posts(
    fake: FakeDiscord, pending: dict[str, int], ceiling: float
) -> dict[str, datetime]:
    """When the fake recorded each post whose text holds the key (a channel id per key).
    Each message is read once (a burst's check must not grow with the posts already made)."""
    posted: dict[str, datetime] = {}
    waiting: dict[int, set[str]] = {}
    for key, channel_id in pending.items():
        waiting.setdefault(channel_id, set()).add(key)
    read = dict.fromkeys(waiting, 0)

    def all_posted() -> bool | None:
        for channel_id, keys in waiting.items():
            messages = fake.messages_in(channel_id)
            for message in messages[read[channel_id] :]:
                text = text_of(message)
                for key in [k for k in keys if k in text]:
                    posted[key] = message.created_at
                    keys.discard(key)
            read[channel_id] = len(messages)
        return len(posted) == len(pending) or None

    with contextlib.suppress(FakeDiscordTimeout):
        await fake.wait_until(all_posted, timeout=ceiling, what="the posts")
    return posted


def serve_new_items(
    farm: FeedFarm, feeds: list[int], desk_ids: list[tuple[int, int]], first: int, seed: int
) -> dict[str, int]:
    """One new item in each of ``feeds``, numbered from ``first``: its key and channel id."""
    rng = random.Random(seed)
    pending = {}
    for number, feed in enumerate(feeds, start=first):
        channel = feed % len(desk_ids)
        farm.add(feed, sample_item(rng, feed, channel, number))
        pending[f"bulletin {number})"] = desk_ids[channel][1]
    return pending


async def burst(
    fake: FakeDiscord, farm: FeedFarm, desk_ids: list[tuple[int, int]], opts: Options
) -> dict[str, Any]:
    """``opts.burst`` feeds gain an item at once: how fast the posts go out."""
    feeds = random.Random(13).sample(range(opts.feeds), opts.burst)
    pending = serve_new_items(farm, feeds, desk_ids, 1_000_000, 13)
    served = datetime.now(UTC)
    posted = await wait_for_posts(fake, pending, opts.ceiling)
    times = sorted((at - served).total_seconds() for at in posted.values())
    spread = times[-1] - times[0] if len(times) > 1 else 0.0
    return {
        "items": len(pending),
        "posted": len(posted),
        "first_s": round(times[0], 2) if times else None,
        "last_s": round(times[-1], 2) if times else None,
        "posts_per_s": round((len(times) - 1) / spread, 1) if spread else None,
    }


async def feed_to_channel(
    fake: FakeDiscord, farm: FeedFarm, desk_ids: list[tuple[int, int]], opts: Options
) -> tuple[list[float], int]:
    """Rounds of new items in random feeds: each one's time from served to posted."""
    rng = random.Random(11)
    delays: list[float] = []
    missed = 0
    while len(delays) < opts.samples:
        wanted = min(opts.per_round, opts.samples - len(delays))
        feeds = rng.sample(range(opts.feeds), wanted)
        pending = serve_new_items(farm, feeds, desk_ids, len(delays), len(delays))
        served = datetime.now(UTC)
        posted = await wait_for_posts(fake, pending, opts.ceiling)
        for key in pending:
            # A post never made counts at the ceiling: the percentiles are then lower bounds.
            delays.append((posted[key] - served).total_seconds() if key in posted else opts.ceiling)
            missed += key not in posted
        print(f"  round: {', '.join(f'{d:.1f}' for d in delays[-wanted:])} s", file=sys.stderr)
        await asyncio.sleep(rng.uniform(0, opts.poll_interval))
    return delays, missed


async def measure(
    spec: RunSpec,
    fake: FakeDiscord,
    farm: FeedFarm,
    desk_ids: list[tuple[int, int]],
    db: str,
    processes: dict[str, Shopwire],
    postmaster: int | None,
    opts: Options,
) -> dict[str, Any]:
    """The phases of one run, with the processes running."""
    total = opts.feeds * opts.items_per_feed
    counts = Counts(db)
    try:
        first_seen = 0

        async def any_stored() -> bool:
            nonlocal first_seen
            first_seen = (await counts.read())[0]
            return first_seen > 0

        async def all_stored() -> bool:
            return (await counts.read())[0] >= total

        async def all_placed() -> bool:
            return (await counts.read())[1] == 0

        await until(any_stored, opts.ceiling, every=0.1)
        cold_start = snapshot(processes, postmaster, farm)
        cold_done = await until(all_stored, opts.ceiling)
        cold_end = snapshot(processes, postmaster, farm)
        stories_done = await until(all_placed, opts.ceiling)
        stories_end = snapshot(processes, postmaster, farm)
        await fake.wait_until_connected(timeout=opts.ceiling)
        stored, _ = await counts.read()
        sampling = snapshot(processes, postmaster, farm)
        delays, missed = await feed_to_channel(fake, farm, desk_ids, opts)
        sampled = snapshot(processes, postmaster, farm)
        bursting = burst(fake, farm, desk_ids, opts) if opts.burst else None
        flood = await bursting if bursting else None
        burst_end = snapshot(processes, postmaster, farm)
    finally:
        await counts.close()
    cold_wall = cold_end.when - cold_start.when
    return {
        "run": spec.name,
        "backend": spec.backend,
        "pollers": spec.pollers,
        "items_stored": stored,
        "cold": {
            "complete": cold_done is not None,
            "items_per_s": round((stored - first_seen) / cold_wall, 1) if cold_wall else None,
            **between(cold_start, cold_end, processes),
        },
        "stories": {
            "complete": stories_done is not None,
            **between(cold_end, stories_end, processes),
        },
        "feed_to_channel": {
            "samples": len(delays),
            "missed": missed,
            "p50_s": round(statistics.median(delays), 2),
            "p95_s": round(percentile(delays, 0.95), 2),
            "max_s": round(max(delays), 2),
            **between(sampling, sampled, processes),
        },
        "burst": {**flood, **between(sampled, burst_end, processes)} if flood else None,
    }


async def run_one(
    spec: RunSpec, farm: FeedFarm, server: str | None, opts: Options, tmp: Path
) -> dict[str, Any]:
    farm.reset(opts.feeds, opts.items_per_feed, random.Random(7))
    logs = opts.logs or tmp
    async with fresh_database(spec, server, tmp) as db, FakeDiscord() as fake:
        desk_ids = desks(fake, opts.channels)
        await prepare(db, farm, desk_ids)
        processes = layout(spec, fake, db, desk_ids[0][0], opts, logs)
        postmaster = postmaster_pid(server) if spec.backend == "postgresql" else None
        try:
            for process in processes.values():
                await process.start()
            result = await measure(spec, fake, farm, desk_ids, db, processes, postmaster, opts)
        finally:
            codes = await asyncio.gather(*(p.stop() for p in processes.values()))
        result["exit_codes"] = dict(zip(processes, codes, strict=True))
        result["stage_failures"] = sum(
            len(re.findall(r" failed \(\d+ in a row\)", p.log())) for p in processes.values()
        )
        return result


# ---- main ------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--feeds", type=int, help="loopback feeds (2000; --quick 200)")
    parser.add_argument("--channels", type=int, help="subscribed channels (200; --quick 20)")
    parser.add_argument("--items-per-feed", type=int, help="each feed's backlog (2)")
    parser.add_argument("--samples", type=int, help="feed-to-channel samples (20; --quick 10)")
    parser.add_argument("--per-round", type=int, default=10, help="new items served at once")
    parser.add_argument("--poll-interval", type=int, default=5, help="seconds (at least 5)")
    parser.add_argument("--runs", default="pg-1,pg-2,pg-4,sqlite,pg-all")
    parser.add_argument("--postgres-url", default=os.environ.get("SHOPWIRE_BENCH_POSTGRES_URL"))
    parser.add_argument(
        "--burst", type=int, default=0, help="then this many feeds gain an item at once (0: no)"
    )
    parser.add_argument("--quick", action="store_true", help="a small size, for a first look")
    parser.add_argument("--ceiling", type=float, default=300.0, help="longest wait, seconds")
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this directory")
    parser.add_argument(
        "--profile", type=Path, help="run each process under cProfile, its file in this directory"
    )
    return parser.parse_args()


def options(args: argparse.Namespace) -> Options:
    sizes = (200, 20, 2, 10) if args.quick else (2000, 200, 2, 20)
    given = (args.feeds, args.channels, args.items_per_feed, args.samples)
    chosen = (g if g is not None else d for g, d in zip(given, sizes, strict=True))
    feeds, channels, items, samples = chosen
    if min(feeds, channels, items, samples, args.per_round) < 1 or channels > feeds:
        raise SystemExit("error: sizes must be at least 1, and channels at most feeds")
    for directory in (args.logs, args.profile):
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
    return Options(
        feeds,
        channels,
        items,
        samples,
        args.per_round,
        args.poll_interval,
        args.ceiling,
        args.logs,
        args.profile,
        min(args.burst, feeds),
    )


async def check_postgres(specs: list[RunSpec], server: str | None) -> None:
    """Stop with what is needed when a PostgreSQL run has no server to run on."""
    wanted = [s.name for s in specs if s.backend == "postgresql"]
    if not wanted:
        return
    if not server:
        raise SystemExit("error: " + POSTGRES_HELP.format(runs=", ".join(wanted)))
    import asyncpg

    try:
        connection = await asyncio.wait_for(asyncpg.connect(server), 30)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        shown = re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", server)
        raise SystemExit(
            f"error: cannot reach PostgreSQL at {shown} ({type(exc).__name__}: {exc}). "
            + POSTGRES_HELP.format(runs=", ".join(wanted))
        ) from None
    await connection.close()


def summary(result: dict[str, Any]) -> str:
    cold, stories, post = result["cold"], result["stories"], result["feed_to_channel"]
    cpu = ", ".join(f"{k} {v}" for k, v in post["cpu_s"].items())
    return (
        f"{result['run']}: {result['items_stored']} items stored at {cold['items_per_s']} "
        f"items/s ({cold['wall_s']} s, machine {cold['machine_busy']:.0%} busy; CPU s "
        f"{', '.join(f'{k} {v}' for k, v in cold['cpu_s'].items())})\n"
        f"  stories placed in {stories['wall_s']} s (complete: {stories['complete']})\n"
        f"  feed-to-channel p50 {post['p50_s']} s, p95 {post['p95_s']} s, max {post['max_s']} s "
        f"({post['samples']} samples, {post['missed']} missed); {post['polls_per_s']} polls/s, "
        f"machine {post['machine_busy']:.0%} busy; CPU s {cpu}" + burst_summary(result["burst"])
    )


def burst_summary(burst: dict[str, Any] | None) -> str:
    if burst is None:
        return ""
    return (
        f"\n  burst: {burst['posted']} of {burst['items']} new items posted, the first after "
        f"{burst['first_s']} s, the last after {burst['last_s']} s ({burst['posts_per_s']} posts/s)"
    )


async def main() -> None:
    args = arguments()
    opts = options(args)
    specs = parse_runs(args.runs)
    await check_postgres(specs, args.postgres_url)
    task = asyncio.current_task()
    assert task is not None
    # SIGTERM stops the benchmark as Ctrl-C does: through every `finally` below.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    results = []
    load_start = os.getloadavg()
    farm = FeedFarm()
    with tempfile.TemporaryDirectory(prefix="shopwire-scale-") as tmp:
        try:
            await farm.start()
            for spec in specs:
                print(f"{spec.name}: {opts.feeds} feeds, {opts.channels} channels", file=sys.stderr)
                results.append(await run_one(spec, farm, args.postgres_url, opts, Path(tmp)))
                print(summary(results[-1]), file=sys.stderr)
        finally:
            await farm.stop()
    print("\n".join(summary(r) for r in results))
    print(
        json.dumps(
            {
                "benchmark": "scale",
                "feeds": opts.feeds,
                "channels": opts.channels,
                "items_per_feed": opts.items_per_feed,
                "poll_interval_s": opts.poll_interval,
                "cores": os.cpu_count(),
                "load_avg_start": [round(x, 2) for x in load_start],
                "load_avg_end": [round(x, 2) for x in os.getloadavg()],
                "runs": results,
            }
        )
    )


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("scale: interrupted; every process and server it started is stopped", file=sys.stderr)
        sys.exit(130)
