"""Where the cold poll's wall time goes, phase by phase: ``benchmarks/ingest.py``'s cold poll
(same corpus, loopback server, parser pool started ahead, story worker ready), timed per feed.

    uv run python benchmarks/cold_phases.py [--feeds 200] [--items 50] [--runs 1]

For each run it prints one JSON line: the wall time to searchable; when the fetches ended
(first, last) and how many ran at once; each parser worker's busy time (from its helper
thread handing it a document until the reply is read, so the result's transfer back is in
it), its idle time before its first job, between jobs and after its last; how long parses
waited in the queue for a worker; the storage writes (sum of their wall, the longest, how long
the last ended after the last parse); the time after the last write until the search answered;
and the CPU of this process by thread (event loop, SQLite writer, the pool's helper threads)
and of each parser worker, from /proc. CPU figures hold up on a busy machine; wall figures do
not, so compare runs of two versions alternated in the same minutes.

The critical path: the cold poll ends with the last write after the last parse; the workers'
idle time says whether documents (fetches) or CPU held them back.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ingest import CorpusServer
from benchmarks.poll_cpu import child_cpu, delta, thread_cpu

_Span = tuple[float, float]


class Recorder:
    """Start and end of every call of the wrapped methods, by kind (thread-safe appends)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.spans: dict[str, list[_Span]] = {}
        self.jobs: dict[int, list[_Span]] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.perf_counter() - self.start

    def add(self, kind: str, span: _Span) -> None:
        with self._lock:
            self.spans.setdefault(kind, []).append(span)

    def add_job(self, slot: int, span: _Span) -> None:
        with self._lock:
            self.jobs.setdefault(slot, []).append(span)

    def wrap(self, owner: Any, name: str, kind: str) -> None:
        original: Callable[..., Awaitable[Any]] = getattr(owner, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = self.now()
            try:
                return await original(*args, **kwargs)
            finally:
                self.add(kind, (started, self.now()))

        setattr(owner, name, timed)

    def wrap_slots(self) -> Callable[[], None]:
        """Time each job a parser worker runs, from its helper thread; returns the undo."""
        from bot.news.adapters import parsing_pool

        original = parsing_pool._Slot._run_job

        def run_job(slot: Any, job: Any) -> Any:
            started = self.now()
            try:
                return original(slot, job)
            finally:
                self.add_job(slot.number, (started, self.now()))

        parsing_pool._Slot._run_job = run_job  # type: ignore[method-assign,assignment]

        def undo() -> None:
            parsing_pool._Slot._run_job = original  # type: ignore[method-assign]

        return undo


def _max_overlap(spans: list[_Span]) -> int:
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    most = current = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


def _worker_figures(jobs: list[_Span], end: float) -> dict[str, float]:
    jobs = sorted(jobs)
    busy = sum(e - s for s, e in jobs)
    gaps = sum(max(0.0, b[0] - a[1]) for a, b in itertools.pairwise(jobs))
    return {
        "jobs": len(jobs),
        "busy_s": round(busy, 3),
        "idle_before_first_s": round(jobs[0][0], 3) if jobs else round(end, 3),
        "idle_between_s": round(gaps, 3),
        "idle_after_last_s": round(end - jobs[-1][1], 3) if jobs else 0.0,
    }


def _both_busy(per_slot: list[list[_Span]], end: float, step: float = 0.001) -> float:
    """Seconds of the poll in which every worker was running a job (sampled every ``step``)."""
    if not per_slot:
        return 0.0
    ticks = int(end / step)
    busy = [bytearray(ticks + 1) for _ in per_slot]
    for marks, jobs in zip(busy, per_slot, strict=True):
        for s, e in jobs:
            for tick in range(int(s / step), min(ticks, int(e / step)) + 1):
                marks[tick] = 1
    return sum(1 for tick in range(ticks) if all(m[tick] for m in busy)) * step


async def cold_poll(feeds: int, items: int) -> dict[str, Any]:
    import aiohttp  # noqa: F401  (loaded before the clock, as the bot has it: see ingest.py)

    from bot.app import open_newsroom
    from bot.settings import load_settings

    server = CorpusServer(feeds, items)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            environ = {"SHOPWIRE_DB": str(Path(tmp) / "bench.db"), "SHOPWIRE_SEED_CATALOGUE": "0"}
            settings = load_settings(environ=environ)
            async with open_newsroom(settings) as setup:
                for feed in range(feeds):
                    await setup.service.add_feed(server.url(feed), name=f"Commerce Wire {feed}")
            async with open_newsroom(settings, story_process=True) as room:
                await room.start_parser()
                await room.assigner.warm_up()
                return await _measure(room, server.pid)
    finally:
        server.stop()


async def _measure(room: Any, server_pid: int) -> dict[str, Any]:
    recorder = Recorder()
    updater = room.updater
    recorder.wrap(updater._fetcher, "fetch", "fetch")
    recorder.wrap(updater._parser, "parse", "parse")
    recorder.wrap(updater._items, "apply", "apply")
    undo = recorder.wrap_slots()
    threads, children = thread_cpu(), child_cpu({server_pid})
    recorder.start = time.perf_counter()
    try:
        await updater.update_due(include_not_due=True)
        stored = recorder.now()
        page = await room.service.search("amazon", limit=1, all_guilds=True)
        end = recorder.now()
    finally:
        undo()
    assert page.items, "nothing searchable after the cold poll"
    spans = recorder.spans
    fetches, parses, applies = spans["fetch"], spans["parse"], spans["apply"]
    slots = [recorder.jobs[n] for n in sorted(recorder.jobs)]
    job_starts = sorted(s for jobs in slots for s, _ in jobs)
    waits = sorted(j - p for j, (p, _) in zip(job_starts, sorted(parses), strict=False))
    last_parse = max(e for _, e in parses)
    thread_use = delta(threads, thread_cpu())
    return {
        "wall_to_searchable_s": round(end, 3),
        "fetch": {
            "first_end_s": round(min(e for _, e in fetches), 3),
            "last_end_s": round(max(e for _, e in fetches), 3),
            "max_at_once": _max_overlap(fetches),
            "wall_sum_s": round(sum(e - s for s, e in fetches), 3),
        },
        "workers": [_worker_figures(jobs, stored) for jobs in slots],
        "all_workers_busy_s": round(_both_busy(slots, stored), 3),
        "parse_queue_wait_s": {
            "median": round(statistics.median(waits), 4) if waits else 0.0,
            "max": round(waits[-1], 4) if waits else 0.0,
        },
        "parse_first_end_s": round(min(e for _, e in parses), 3),
        "parse_last_end_s": round(last_parse, 3),
        "apply": {
            "wall_sum_s": round(sum(e - s for s, e in applies), 3),
            "longest_s": round(max(e - s for s, e in applies), 3),
            "last_end_after_last_parse_s": round(max(e for _, e in applies) - last_parse, 3),
        },
        "search_after_store_s": round(end - stored, 3),
        "cpu_this_process_by_thread_s": thread_use,
        "cpu_children_s": delta(children, child_cpu({server_pid})),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for _ in range(args.runs):
        print(json.dumps(asyncio.run(cold_poll(args.feeds, args.items))), flush=True)


if __name__ == "__main__":
    main()
