"""Search on PostgreSQL against SQLite, on the same synthetic news (and the copy between them).

    uv run python benchmarks/pg_search.py --url postgresql://postgres@127.0.0.1:5432/bench
    uv run python benchmarks/pg_search.py --url ... --sizes 10000,1000000

For each size: the SQLite database of ``benchmarks/search.py`` (built, or reused from its
cache), copied into a new schema of the PostgreSQL database ``--url`` names with
``storage.copy.copy_database`` (timed: what ``shopwire db copy`` does), then the same fixed
queries and filters as ``benchmarks/search.py`` timed end to end through each backend's
``ItemRepository.search`` (p50/p95 per query and over all). The schema is dropped afterwards.
Prints one JSON line with every figure at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmarks.search import build, cached, cases, percentile
from bot.news.ports import Storage
from bot.news.query import parse_query
from storage import open_storage
from storage.copy import copy_database


async def time_search(db: Storage, repeats: int) -> dict[str, object]:
    """p50/p95 per case, and over every case, in milliseconds."""
    every: list[float] = []
    results: dict[str, object] = {}
    for case in cases():
        query = parse_query(case.request.text)
        page = await db.items.search(case.request, query)  # warm-up
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            page = await db.items.search(case.request, query)
            timings.append((time.perf_counter() - started) * 1000)
        every += timings
        p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
        results[case.name] = {"p50": round(p50, 2), "p95": round(p95, 2), "n": len(page.items)}
    results["all_p50"] = round(percentile(every, 0.5), 2)
    results["all_p95"] = round(percentile(every, 0.95), 2)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", required=True, help="a PostgreSQL database to make a schema in")
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "shopwire-bench"))
    parser.add_argument("--repeats", type=int, default=0, help="0: 200 at 10k, 50 at 1M")
    args = parser.parse_args()
    directory = Path(args.dir)
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    report: dict[str, object] = {}
    for count in (int(size) for size in args.sizes.split(",")):
        path = directory / f"bench-{count}.db"
        if not cached(path, count):
            await build(path, count)
        repeats = args.repeats or (200 if count <= 100_000 else 50)
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        connection = await asyncpg.connect(args.url)
        await connection.execute(f"CREATE SCHEMA {schema}")
        url = f"{args.url}{'&' if '?' in args.url else '?'}search_path={schema}"
        try:
            started = time.perf_counter()
            copied = await copy_database(str(path), url)
            copy_s = time.perf_counter() - started
            print(f"{count:,} items copied in {copy_s:.1f} s: {copied.counts}", file=sys.stderr)
            figures: dict[str, object] = {"copy_s": round(copy_s, 1)}
            for name, where in (("postgresql", url), ("sqlite", str(path))):
                db = await open_storage(where)
                try:
                    figures[name] = await time_search(db, repeats)
                finally:
                    await db.close()
                print(f"  {name}: {figures[name]}", file=sys.stderr)
            report[str(count)] = figures
        finally:
            await connection.execute(f"DROP SCHEMA {schema} CASCADE")
            await connection.close()
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    asyncio.run(main())
