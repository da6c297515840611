"""Where a poll's CPU goes, by process and thread: the cold, no-change and incremental polls of
``benchmarks/ingest.py`` (same corpus, server and code path), without the stories stage.

    uv run python benchmarks/poll_cpu.py [--feeds 200] [--items 50] [--profile]

For each poll it prints the wall time, this process's CPU split by thread (the event loop,
SQLite's writer and reader threads, the parser pool's helper threads), the CPU of each child
process (the forkserver that preloads the parser and compiles the tag tables, the parser
workers), and when the first and last parse and store ended. CPU figures hold up on a busy
machine far better than wall times do: compare them when the machine is shared.
``--profile`` adds a cProfile of the event loop's thread (the top functions by own time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ingest import CorpusServer
from bot.app import open_newsroom
from bot.settings import load_settings

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each of this process's threads, by name and id."""
    found = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            found[f"{name}:{task.name}"] = _cpu((task / "stat").read_text())
        except OSError:
            continue
    return found


def child_cpu(exclude: set[int]) -> dict[str, float]:
    """CPU seconds of each live descendant process, by its command line and id."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(text.rsplit(")", 1)[1].split()[1])
        cpu[pid] = _cpu(text)
    me, found = os.getpid(), {}
    for pid in parents:
        walker = pid
        while walker not in (0, 1, me) and walker in parents:
            walker = parents[walker]
        if walker == me and pid != me and pid not in exclude:
            # Parser workers are forked by the forkserver, the forkserver by this process.
            kind = "forkserver" if parents[pid] == me and _forkserver(pid) else "child"
            if parents[pid] != me and _forkserver(parents[pid]):
                kind = "parse-worker"
            found[f"{kind}:{pid}"] = cpu[pid]
    return found


def _forkserver(pid: int) -> bool:
    try:
        return b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {
        key: round(value - before.get(key, 0.0), 2)
        for key, value in sorted(after.items(), key=lambda kv: -(kv[1] - before.get(kv[0], 0)))
        if value - before.get(key, 0.0) >= 0.01
    }


class Timeline:
    """When calls of the wrapped coroutine methods started and ended, per kind."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.calls: list[tuple[str, float, float]] = []

    def wrap(self, owner: Any, name: str) -> None:
        original: Callable[..., Awaitable[Any]] = getattr(owner, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter() - self.start
            try:
                return await original(*args, **kwargs)
            finally:
                self.calls.append((name, started, time.perf_counter() - self.start))

        setattr(owner, name, timed)

    def summary(self) -> str:
        parts = []
        for kind in ("fetch", "parse", "apply"):
            ends = sorted(end for name, _, end in self.calls if name == kind)
            if ends:
                parts.append(f"{kind} x{len(ends)} ends {ends[0]:.2f}-{ends[-1]:.2f} s")
        return "; ".join(parts)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    server = CorpusServer(args.feeds, args.items)
    server.start()
    with tempfile.TemporaryDirectory() as tmp:
        environ = {"SHOPWIRE_DB": str(Path(tmp) / "bench.db"), "SHOPWIRE_SEED_CATALOGUE": "0"}
        try:
            async with open_newsroom(load_settings(environ=environ), story_process=True) as room:
                for feed in range(args.feeds):
                    await room.service.add_feed(server.url(feed), name=f"Commerce Wire {feed}")
                timeline = Timeline()
                updater: Any = room.updater
                for owner, name in ((updater._fetcher, "fetch"), (updater._parser, "parse")):
                    timeline.wrap(owner, name)
                timeline.wrap(updater._items, "apply")
                for poll in ("cold", "no-change", "incremental"):
                    if poll == "incremental":
                        await server.grow(list(range(0, args.feeds, 5)), 5)
                    await measure(room, poll, timeline, server.pid, args.profile)
        finally:
            server.stop()


async def measure(room: Any, poll: str, timeline: Timeline, server: int, profile: bool) -> None:
    threads, children, cpu = thread_cpu(), child_cpu({server}), time.process_time()
    profiler = cProfile.Profile() if profile else None
    timeline.start, timeline.calls = time.perf_counter(), []
    if profiler is not None:
        profiler.enable()
    await room.updater.update_due(include_not_due=True)
    page = await room.service.search("amazon", limit=1, all_guilds=True)
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - timeline.start
    assert page.items, "nothing searchable after the poll"
    print(f"== {poll} poll: wall {wall:.3f} s, this process {time.process_time() - cpu:.3f} s CPU")
    print(f"   threads: {delta(threads, thread_cpu())}")
    print(f"   children: {delta(children, child_cpu({server}))}")
    print(f"   {timeline.summary()}")
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        print(text.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
