"""How long the first start after upgrading to schema 16 re-indexes search (SQLite).

    uv run python benchmarks/reindex.py                  # 10k and 100k items, 3 runs each
    uv run python benchmarks/reindex.py --sizes 1000000 --runs 1

Builds a database as release 15 left it (``benchmarks/search.py``'s synthetic items, loaded
through migrations 1-15, so the index has migration 8's tokenizer), then times
``Database.open`` on a fresh copy of it for each run: migration 16 drops the search index and
rebuilds it from every item. Prints wall-clock and CPU seconds (``time.process_time``: this
process, SQLite's thread included) per run, and one JSON line at the end.

With ``--postgres-url`` (a server where it may create a scratch schema) it also times
PostgreSQL's rewrite of stored vectors (``storage/postgres/retokenize.py``) over the same
items copied there, one in 20 given a Hindi headline (``--hindi-every``): the rewrite reads
only the items with a combining mark, and writes those.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.search import build
from storage import Database, migrations
from storage.copy import copy_database
from storage.postgres import open_postgres
from storage.postgres.retokenize import PENDING_KEY, retokenize
from tests.fakes.postgres_schema import scratch_schema

HINDI = "यूपीआई सेवा ठप: फोनपे, गूगल पे और पेटीएम से भुगतान नहीं हो पा रहा"


async def _build_version_15(path: Path, count: int) -> None:
    every, version = migrations.MIGRATIONS, migrations.SCHEMA_VERSION
    migrations.MIGRATIONS, migrations.SCHEMA_VERSION = every[:15], 15
    try:
        await build(path, count)
    finally:
        migrations.MIGRATIONS, migrations.SCHEMA_VERSION = every, version


def _fresh_copy(source: Path, work: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, work)


def _directory(name: str) -> Path:
    directory = Path(name)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _megabytes(path: Path) -> float:
    return round(path.stat().st_size / 1e6, 1)


async def _time_upgrade(source: Path, work: Path) -> tuple[float, float]:
    _fresh_copy(source, work)
    wall, cpu = time.perf_counter(), time.process_time()
    async with await Database.open(work):
        pass
    elapsed = time.perf_counter() - wall, time.process_time() - cpu
    with sqlite3.connect(work) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
    return elapsed


async def _time_postgres(server: str, source: Path, hindi_every: int) -> dict[str, float]:
    async with scratch_schema(server, "bench_reindex_") as url:
        await copy_database(str(source), url)
        storage = await open_postgres(url)
        try:
            pool = storage.pool
            # Stale on purpose: the text changes, its vector stays the English one.
            await pool.execute(
                "UPDATE items SET title = $1 || ' ' || id WHERE id % $2 = 0", HINDI, hindi_every
            )
            await pool.execute("INSERT INTO meta (key, value) VALUES ($1, '0')", PENDING_KEY)
            wall, cpu = time.perf_counter(), time.process_time()
            written = await retokenize(pool)
            elapsed = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            await storage.close()
    print(
        f"PostgreSQL: {written:,} items rewritten in {elapsed[0]:.2f} s wall,"
        f" {elapsed[1]:.2f} s CPU (this process)",
        file=sys.stderr,
    )
    return {"written": written, "wall_s": round(elapsed[0], 2), "cpu_s": round(elapsed[1], 2)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "shopwire-reindex"))
    parser.add_argument("--postgres-url", default="")
    parser.add_argument("--hindi-every", type=int, default=20)
    args = parser.parse_args()
    directory = _directory(args.dir)
    report: dict[str, object] = {"sqlite": sqlite3.sqlite_version}
    for count in (int(size) for size in args.sizes.split(",")):
        source = directory / f"v15-{count}.db"
        await _build_version_15(source, count)
        runs = [await _time_upgrade(source, directory / "work.db") for _ in range(args.runs)]
        for wall, cpu in runs:
            print(f"{count:,} items: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
        report[str(count)] = {
            "wall_s": sorted(round(wall, 2) for wall, _ in runs),
            "cpu_s": sorted(round(cpu, 2) for _, cpu in runs),
            "db_mb": _megabytes(source),
        }
        if args.postgres_url:
            report[f"postgres_{count}"] = await _time_postgres(
                args.postgres_url, source, args.hindi_every
            )
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    asyncio.run(main())
