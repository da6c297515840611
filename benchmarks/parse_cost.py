"""CPU cost of ``parse_feed`` per item on the benchmark corpus: feedparser versus the fast path.

Run: ``uv run python benchmarks/parse_cost.py [--feeds 60] [--items 50] [--repeat 3]``

Parses every document of ``benchmarks/corpus.py`` (RSS 2.0, Atom and RDF in turn) once with
``fast_path=False`` (feedparser only, the cost before the fast path) and once as the bot does
(fast path first, feedparser for what it declines), and prints items per CPU second for each
feed kind and overall, how many documents the fast path took, and the CPU per item of the fast
path's reading alone (what is left is turning entries into drafts, the same for both paths).
CPU time is ``time.process_time`` of this one process, best of ``--repeat`` runs. Both paths must
give the same drafts; the script checks it and exits 1 if they differ.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.corpus import Corpus
from bot.news.adapters.fast_feed import parse_fast
from bot.news.adapters.feed_parse import parse_feed
from bot.news.model.vocabulary import ParsedFeed

URL = "https://news.example/feed"


def _run(docs: list[bytes], *, fast: bool, now: datetime) -> tuple[float, list[ParsedFeed]]:
    start = time.process_time()
    parsed = [
        parse_feed(doc, url=URL, content_type="application/rss+xml", now=now, fast_path=fast)
        for doc in docs
    ]
    return time.process_time() - start, parsed


def _read_only(docs: list[bytes]) -> float:
    """CPU of the fast path's reading alone (the rest of parse_feed makes drafts of entries)."""
    start = time.process_time()
    for doc in docs:
        parse_fast(doc, content_type="application/xml")
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=60)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    corpus = Corpus(args.feeds, args.items)
    now = datetime.now(UTC) + timedelta(hours=1)
    by_kind: dict[str, list[bytes]] = {}
    for feed in range(args.feeds):
        by_kind.setdefault(corpus.kind(feed), []).append(corpus.document(feed))

    report: dict[str, dict[str, float]] = {}
    print(
        f"{'kind':<6} {'docs':>5} {'fast took':>9} {'feedparser items/s':>19} "
        f"{'with fast path items/s':>23} {'speed-up':>8} {'ms/item reading':>15}"
    )
    for kind, docs in [*by_kind.items(), ("all", [d for ds in by_kind.values() for d in ds])]:
        items = len(docs) * args.items
        took = sum(parse_fast(doc, content_type="application/xml") is not None for doc in docs)
        slow = min(_run(docs, fast=False, now=now)[0] for _ in range(args.repeat))
        fast = min(_run(docs, fast=True, now=now)[0] for _ in range(args.repeat))
        reading = min(_read_only(docs) for _ in range(args.repeat))
        if _run(docs, fast=False, now=now)[1] != _run(docs, fast=True, now=now)[1]:
            print(f"{kind}: the two paths gave different drafts", file=sys.stderr)
            return 1
        report[kind] = {
            "docs": len(docs),
            "fast_took": took,
            "feedparser_items_per_cpu_s": round(items / slow),
            "fast_items_per_cpu_s": round(items / fast),
            "feedparser_ms_per_item": round(slow / items * 1000, 4),
            "fast_ms_per_item": round(fast / items * 1000, 4),
            "fast_reading_ms_per_item": round(reading / items * 1000, 4),
        }
        print(
            f"{kind:<6} {len(docs):>5} {took:>9} {items / slow:>19,.0f} "
            f"{items / fast:>23,.0f} {slow / fast:>7.1f}x {reading / items * 1000:>15.3f}"
        )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
