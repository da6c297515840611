"""Measure feed parsing cost and how well each way of running it keeps the event loop responsive.

Run: ``uv run python benchmarks/parse_offloop.py [--feeds 200] [--repeat 3]``

1. Parse cost per ~60 KB feed: feedparser with and without its HTML sanitiser and relative-URI
   resolution, and the whole ``parse_feed``.
2. Event-loop lag while 200 such feeds are parsed concurrently through ``PoolParser`` in each
   mode (and inline on the loop as the baseline): a sampler sleeps 5 ms at a time and records how
   late it wakes. Reports max and p99 lag and throughput.

Prints a table, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.news.adapters.feed_parse import parse_feed
from bot.news.adapters.parsing_pool import PoolParser, default_workers
from bot.news.model.vocabulary import ParsedFeed

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
SAMPLE_SECONDS = 0.005

_VOCABULARY = """seller marketplace fees shipping Temu SHEIN Amazon TikTok Shop logistics returns
growth quarter revenue customers cross-border tariffs warehouse fulfilment live shopping creators
affiliate commission platform ads search conversion checkout discount inventory"""
_WORDS = _VOCABULARY.split()


class FixedClock:
    """A clock that always answers the benchmark's "now"."""

    def now(self) -> datetime:
        return NOW


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 20))]
    return " ".join(words).capitalize() + "."


def make_feed(index: int, target_bytes: int = 60_000) -> bytes:
    """A realistic RSS 2.0 document: HTML descriptions, content:encoded, entities, media."""
    rng = random.Random(index)
    items: list[str] = []
    size = 0
    n = 0
    while size < target_bytes:
        n += 1
        paragraphs = "".join(
            f'<p>{_sentence(rng)} <a href="https://news{index}.example.com/tag/{rng.choice(_WORDS)}'
            f'?utm_source=rss">{rng.choice(_WORDS)}</a> &amp; {_sentence(rng)}&#8217;s'
            f" &mdash; {_sentence(rng)}</p>"
            for _ in range(rng.randint(2, 5))
        )
        when = NOW - timedelta(hours=n * 3 + index)
        item = (
            f"<item><title>{_sentence(rng)[:90]} &amp; more</title>"
            f"<link>https://news{index}.example.com/{when:%Y/%m}/story-{n}?utm_source=rss</link>"
            f'<guid isPermaLink="false">news{index}-{n}</guid>'
            f"<pubDate>{when:%a, %d %b %Y %H:%M:%S} +0000</pubDate>"
            f"<dc:creator>Writer {rng.randint(1, 20)}</dc:creator>"
            f"<category>{rng.choice(_WORDS)}</category><category>{rng.choice(_WORDS)}</category>"
            f'<description><![CDATA[<img src="/img/{n}.jpg" width="640"/>{paragraphs[:600]}]]>'
            "</description>"
            f"<content:encoded><![CDATA[{paragraphs}<script>track({n})</script>"
            '<img src="https://pixel.example.com/p.gif" width="1" height="1"/>]]></content:encoded>'
            f'<media:content url="https://img{index}.example.com/{n}.jpg" medium="image"/>'
            "</item>"
        )
        items.append(item)
        size += len(item)
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>Bench feed {index}</title><link>https://news{index}.example.com/</link>"
        + "".join(items)
        + "</channel></rss>"
    )
    return document.encode()


def time_per_feed(feeds: list[bytes], fn: Callable[[bytes], object], repeat: int) -> float:
    """Best-of-``repeat`` mean milliseconds per feed."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for body in feeds:
            fn(body)
        best = min(best, (time.perf_counter() - started) / len(feeds))
    return best * 1000


def feedparser_with(sanitize: bool, resolve: bool) -> Callable[[bytes], object]:
    def run(body: bytes) -> object:
        return feedparser.parse(
            io.BytesIO(body),
            response_headers={"content-type": "application/xml"},
            sanitize_html=sanitize,
            resolve_relative_uris=resolve,
        )

    return run


def full_parse(body: bytes) -> object:
    return parse_feed(body, url="https://bench.example.com/feed", content_type=None, now=NOW)


async def measure_lag(
    run_all: Callable[[], Awaitable[list[ParsedFeed]]], n_feeds: int
) -> dict[str, float]:
    """Run ``run_all`` while sampling the loop's wake-up lag every 5 ms."""
    lags: list[float] = []
    done = asyncio.Event()

    async def sampler() -> None:
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(SAMPLE_SECONDS)
            lags.append(time.perf_counter() - started - SAMPLE_SECONDS)

    task = asyncio.create_task(sampler())
    await asyncio.sleep(0.05)  # let the sampler settle
    started = time.perf_counter()
    results = await run_all()
    elapsed = time.perf_counter() - started
    done.set()
    await task
    assert len(results) == n_feeds and all(r.items for r in results)
    lags.sort()
    return {
        "lag_max_ms": round(lags[-1] * 1000, 2),
        "lag_p99_ms": round(lags[int(len(lags) * 0.99) - 1] * 1000, 2),
        "lag_p50_ms": round(statistics.median(lags) * 1000, 2),
        "samples": len(lags),
        "wall_s": round(elapsed, 3),
        "feeds_per_s": round(n_feeds / elapsed, 1),
    }


async def run_inline(feeds: list[bytes]) -> dict[str, float]:
    async def run_all() -> list[ParsedFeed]:
        results = []
        for body in feeds:
            results.append(
                parse_feed(body, url="https://bench.example.com/feed", content_type=None, now=NOW)
            )
            await asyncio.sleep(0)  # the best an on-loop parser could do: yield between feeds
        return results

    return await measure_lag(run_all, len(feeds))


async def run_pool(
    feeds: list[bytes], mode: str, workers: int, niceness: int = 0
) -> dict[str, float]:
    assert mode in ("process", "thread")
    parser = PoolParser(FixedClock(), workers=workers, mode=mode, niceness=niceness)  # type: ignore[arg-type]
    start = time.perf_counter()
    await parser.start()
    startup = time.perf_counter() - start
    try:

        async def run_all() -> list[ParsedFeed]:
            return await asyncio.gather(
                *(
                    parser.parse(body, url="https://bench.example.com/feed", content_type=None)
                    for body in feeds
                )
            )

        figures = await measure_lag(run_all, len(feeds))
    finally:
        await parser.close()
    figures["startup_s"] = round(startup, 3)
    return figures


def summarise(rounds: list[dict[str, float]]) -> dict[str, float]:
    """Median of each figure over the rounds, plus the worst max lag seen in any round."""
    summary = {key: round(statistics.median(r[key] for r in rounds), 2) for key in rounds[0]}
    summary["lag_max_worst_ms"] = max(r["lag_max_ms"] for r in rounds)
    summary["rounds"] = len(rounds)
    return summary


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--feeds", type=int, default=200)
    args.add_argument("--repeat", type=int, default=3, help="timing repeats for parse cost")
    args.add_argument("--rounds", type=int, default=3, help="rounds of each off-loop mode")
    options = args.parse_args()

    feeds = [make_feed(i) for i in range(options.feeds)]
    mean_kb = statistics.mean(len(f) for f in feeds) / 1000
    items = len(full_parse(feeds[0]).items)  # type: ignore[attr-defined]
    cores = default_workers()
    print(f"python {platform.python_version()}, feedparser {feedparser.__version__}, {cores} CPUs")
    print(f"{len(feeds)} feeds, mean {mean_kb:.1f} KB, {items} items each\n")

    sample = feeds[:50]
    cost = {
        "feedparser_sanitize_resolve_ms": time_per_feed(
            sample, feedparser_with(True, True), options.repeat
        ),
        "feedparser_sanitize_only_ms": time_per_feed(
            sample, feedparser_with(True, False), options.repeat
        ),
        "feedparser_raw_ms": time_per_feed(sample, feedparser_with(False, False), options.repeat),
        "parse_feed_ms": time_per_feed(sample, full_parse, options.repeat),
    }
    cost = {k: round(v, 2) for k, v in cost.items()}
    saving = 1 - cost["feedparser_raw_ms"] / cost["feedparser_sanitize_resolve_ms"]
    print(f"parse cost per feed (best of {options.repeat}, mean over {len(sample)} feeds)")
    for name, value in cost.items():
        print(f"  {name:34} {value:8.2f} ms")
    print(f"  sanitize+resolve off saves         {saving:8.1%}\n")

    plans: dict[str, Callable[[], Coroutine[Any, Any, dict[str, float]]]] = {
        "inline_on_loop": partial(run_inline, feeds),
    }
    for mode in ("thread", "process"):
        for workers in sorted({1, cores}):
            plans[f"{mode}_x{workers}"] = partial(run_pool, feeds, mode, workers)
    for workers in sorted({1, cores}):
        plans[f"process_x{workers}_nice10"] = partial(run_pool, feeds, "process", workers, 10)
    # Rounds interleave the modes so a burst of load elsewhere on the machine hits them alike.
    raw: dict[str, list[dict[str, float]]] = {name: [] for name in plans}
    for _ in range(options.rounds):
        for name, plan in plans.items():
            raw[name].append(asyncio.run(plan()))
    runs = {name: summarise(rounds) for name, rounds in raw.items()}

    print(
        f"event-loop lag while parsing {len(feeds)} feeds (sampled every 5 ms;"
        f" median of {options.rounds} rounds, worst max in brackets)"
    )
    print(f"{'mode':22} {'lag max':>16} {'lag p99':>9} {'lag p50':>9} {'feeds/s':>8}")
    for name, r in runs.items():
        print(
            f"{name:22} {r['lag_max_ms']:7.1f}ms ({r['lag_max_worst_ms']:5.0f})"
            f" {r['lag_p99_ms']:7.1f}ms {r['lag_p50_ms']:7.2f}ms {r['feeds_per_s']:8.1f}"
        )
    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "feedparser": feedparser.__version__,
                "cpus": cores,
                "os_cpu_count": os.cpu_count(),
                "feeds": len(feeds),
                "mean_feed_kb": round(mean_kb, 1),
                "items_per_feed": items,
                "cost": cost,
                "sanitize_saving": round(saving, 3),
                "runs": runs,
            }
        )
    )


if __name__ == "__main__":
    main()
