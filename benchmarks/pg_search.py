"""Search on PostgreSQL against SQLite, on the same synthetic news (and the copy between them).

    uv run python benchmarks/pg_search.py --url postgresql://postgres@127.0.0.1:5432/bench
    uv run python benchmarks/pg_search.py --url ... --sizes 10000,1000000
    uv run python benchmarks/pg_search.py --url ... --sizes 1000000 --schema b1m --only postgresql

For each size: the SQLite database of ``benchmarks/search.py`` (built, or reused from its
cache), copied into a new schema of the PostgreSQL database ``--url`` names with
``storage.copy.copy_database`` (timed: what ``shopwire db copy`` does), then the same fixed
queries and filters as ``benchmarks/search.py`` timed end to end through each backend's
``ItemRepository.search`` (p50/p95 per query and over all). The schema is dropped afterwards,
unless ``--schema`` names it: then a schema that already holds the items is searched as it is
(a copy of a million items takes minutes) and kept. Prints one JSON line with every figure at
the end.
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
from bot.news.rules.search_query import parse_query
from storage import open_storage
from storage.copy import copy_database


def kind(case: str) -> str:
    """The kind of query a case is, for figures per kind."""
    if any(f in case for f in ("company=", "feed=", "topic=")):
        return "company, feed or topic filter"
    if "since=" in case or "until=" in case:
        return "date filter"
    if any(f in case for f in ("guild", "offset=")):
        return "server scope, all servers, offset"
    if "*" in case:
        return "prefix"
    if '"' in case:
        return "phrase"
    if " OR " in case or " -" in case:
        return "OR, exclusion"
    return "words"


async def time_search(db: Storage, repeats: int) -> dict[str, object]:
    """p50/p95 per case, per kind of case and over every case, in milliseconds."""
    every: list[float] = []
    kinds: dict[str, list[float]] = {}
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
        kinds.setdefault(kind(case.name), []).extend(timings)
        p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
        results[case.name] = {"p50": round(p50, 2), "p95": round(p95, 2), "n": len(page.items)}
    for name, timings in kinds.items():
        results[f"kind {name}"] = {
            "p50": round(percentile(timings, 0.5), 2),
            "p95": round(percentile(timings, 0.95), 2),
        }
    results["all_p50"] = round(percentile(every, 0.5), 2)
    results["all_p95"] = round(percentile(every, 0.95), 2)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", required=True, help="a PostgreSQL database to make a schema in")
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "shopwire-bench"))
    parser.add_argument("--repeats", type=int, default=0, help="0: 200 at 10k, 50 at 1M")
    parser.add_argument("--schema", help="copy into this schema once, keep it and reuse it")
    parser.add_argument("--only", choices=("postgresql", "sqlite"), help="time one backend")
    args = parser.parse_args()
    directory = Path(args.dir)
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    report: dict[str, object] = {}
    for count in (int(size) for size in args.sizes.split(",")):
        path = directory / f"bench-{count}.db"
        if not cached(path, count):
            await build(path, count)
        repeats = args.repeats or (200 if count <= 100_000 else 50)
        schema = args.schema or f"bench_{uuid.uuid4().hex[:12]}"
        if args.schema and len(args.sizes.split(",")) > 1:
            schema = f"{args.schema}_{count}"
        connection = await asyncpg.connect(args.url)
        url = f"{args.url}{'&' if '?' in args.url else '?'}search_path={schema}"
        try:
            figures: dict[str, object] = {}
            if not await _holds_items(connection, schema):
                await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                started = time.perf_counter()
                copied = await copy_database(str(path), url)
                figures["copy_s"] = round(time.perf_counter() - started, 1)
                print(
                    f"{count:,} items copied in {figures['copy_s']} s: {copied.counts}",
                    file=sys.stderr,
                )
            for name, where in (("postgresql", url), ("sqlite", str(path))):
                if args.only not in (None, name):
                    continue
                db = await open_storage(where)
                try:
                    figures[name] = await time_search(db, repeats)
                finally:
                    await db.close()
                print(f"  {name}: {figures[name]}", file=sys.stderr)
            report[str(count)] = figures
        finally:
            if not args.schema:
                await connection.execute(f"DROP SCHEMA {schema} CASCADE")
            await connection.close()
    print(json.dumps(report, separators=(",", ":")))


async def _holds_items(connection: asyncpg.Connection, schema: str) -> bool:
    table = await connection.fetchval("SELECT to_regclass($1)", f"{schema}.items")
    return table is not None and bool(
        await connection.fetchval(f"SELECT EXISTS (SELECT 1 FROM {schema}.items)")
    )


if __name__ == "__main__":
    asyncio.run(main())
