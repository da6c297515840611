"""asyncpg against psycopg 3 on the two paths the PostgreSQL backend leans on (issue 10).

    uv run python benchmarks/pg_driver.py --url postgresql://postgres@127.0.0.1:5432/bench

psycopg is not a dependency of Shopwire: install it where this script can import it (a
throwaway virtualenv, ``pip install "psycopg[binary]"``) and put that environment's
site-packages on PYTHONPATH, after the project's. Without it only asyncpg is measured.

Both drivers run against the same server, each on one connection, with their defaults (asyncpg
prepares and caches every statement; psycopg prepares a statement after 5 executions), in a
fresh schema built by the real migration 1 (``storage/postgres/migrations.py``, triggers
included) and dropped at the end:

- the apply path: 10,000 corpus items stored in batches of 50, one transaction per batch (a
  poll), three ways: ``executemany`` of one INSERT, one ``INSERT ... SELECT FROM unnest(...)
  RETURNING id`` per batch (arrays bound as parameters: the ids come back, as ``apply`` needs
  them for tags and planned posts), and ``COPY``; items/s, best of ``--runs``;
- a search-shaped read: a tsvector match (title weight A above summary weight B, a GIN index;
  the newest 1,000 matches ranked, the page's 11 rows joined back) and the page's companies,
  two round trips as a page takes; p50/p95 over ``--repeats`` rounds of 8 queries.

Prints a table and one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.corpus import make_item
from storage.postgres.migrations import MIGRATIONS

BATCH = 50
BASE = datetime(2026, 11, 1, tzinfo=UTC)

COLUMNS = (
    "feed_id, key, title, link, source, author, published, first_seen, updated_at, summary,"
    " image_url, categories, content_hash"
)
INSERT = (
    f"INSERT INTO items ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)
UNNEST = f"""
INSERT INTO items ({COLUMNS})
SELECT $1, k, t, l, s, NULL, p, $2, $3, su, NULL, ARRAY[c], h
FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[],
            $10::text[], $11::text[]) AS u(k, t, l, s, p, su, c, h)
RETURNING id
"""
COPY_COLUMNS = [column.strip() for column in COLUMNS.split(",")]

SEARCH = """
WITH hits AS (
    SELECT id, published, ts_rank(bench_search, q) AS rank
    FROM items, to_tsquery('simple', $1) AS q
    WHERE bench_search @@ q
    ORDER BY id DESC
    LIMIT 1000
)
SELECT i.id, i.title, i.link, i.source, i.published, i.summary, i.categories
FROM hits JOIN items AS i ON i.id = hits.id
ORDER BY hits.rank DESC, hits.published DESC, i.id DESC
LIMIT 11
"""
COMPANIES = """
SELECT ic.item_id, c.id, c.name
FROM item_companies AS ic JOIN companies AS c ON c.id = ic.company_id
WHERE ic.item_id = ANY($1::bigint[]) ORDER BY ic.item_id, ic.position
"""
QUERIES = (
    "amazon",
    "temu & fees",
    "tiktok <-> shop",
    "warehouse & capacity",
    "shein | temu",
    "peak:*",
    "marketplace & !amazon",
    "mercado <-> libre & brazil",
)

Row = tuple[Any, ...]


def corpus(count: int) -> list[list[Row]]:
    """``count`` items as rows for one feed (id 1), in batches of ``BATCH``."""
    rng = random.Random(20261101)
    rows = []
    for n in range(count):
        item = make_item(rng, 1, n, BASE)
        rows.append(
            (
                1,
                item.guid,
                item.title,
                item.link,
                "News Example",
                None,
                item.published,
                BASE,
                BASE,
                item.summary_html,
                None,
                [item.category],
                f"{n:016x}",
            )
        )
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


def unnest_args(batch: Sequence[Row]) -> tuple[object, ...]:
    return (
        1,
        BASE,
        BASE,
        [r[1] for r in batch],
        [r[2] for r in batch],
        [r[3] for r in batch],
        [r[4] for r in batch],
        [r[6] for r in batch],
        [r[9] for r in batch],
        [r[11][0] for r in batch],
        [r[12] for r in batch],
    )


def to_psycopg(sql: str) -> str:
    """$n placeholders as psycopg's %s (every statement here binds its parameters in order)."""
    out = sql
    for n in range(20, 0, -1):
        out = out.replace(f"${n}", "%s")
    return out


class Driver:
    """One driver's connection and the few operations the benchmark needs."""

    name = ""

    async def reset(self) -> None: ...
    async def executemany(self, batch: Sequence[Row]) -> None: ...
    async def unnest(self, batch: Sequence[Row]) -> list[int]:
        raise NotImplementedError  # every driver overrides it; a bare `...` returns None

    async def copy(self, batch: Sequence[Row]) -> None: ...
    async def search(self, query: str) -> None: ...
    async def close(self) -> None: ...


class AsyncpgDriver(Driver):
    name = "asyncpg"

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.db = connection

    async def reset(self) -> None:
        await self.db.execute("TRUNCATE items CASCADE")

    async def executemany(self, batch: Sequence[Row]) -> None:
        async with self.db.transaction():
            await self.db.executemany(INSERT, batch)

    async def unnest(self, batch: Sequence[Row]) -> list[int]:
        async with self.db.transaction():
            return [row[0] for row in await self.db.fetch(UNNEST, *unnest_args(batch))]

    async def copy(self, batch: Sequence[Row]) -> None:
        async with self.db.transaction():
            await self.db.copy_records_to_table("items", records=batch, columns=COPY_COLUMNS)

    async def search(self, query: str) -> None:
        rows = await self.db.fetch(SEARCH, query)
        await self.db.fetch(COMPANIES, [row[0] for row in rows])

    async def close(self) -> None:
        await self.db.close()


class PsycopgDriver(Driver):
    name = "psycopg"

    def __init__(self, connection: Any) -> None:
        self.db = connection

    async def reset(self) -> None:
        async with self.db.transaction():
            await self.db.execute("TRUNCATE items CASCADE")

    async def executemany(self, batch: Sequence[Row]) -> None:
        async with self.db.transaction(), self.db.cursor() as cursor:
            await cursor.executemany(to_psycopg(INSERT), batch)

    async def unnest(self, batch: Sequence[Row]) -> list[int]:
        async with self.db.transaction():
            cursor = await self.db.execute(to_psycopg(UNNEST), unnest_args(batch))
            return [row[0] for row in await cursor.fetchall()]

    async def copy(self, batch: Sequence[Row]) -> None:
        columns = ", ".join(COPY_COLUMNS)
        async with (
            self.db.transaction(),
            self.db.cursor() as cursor,
            cursor.copy(f"COPY items ({columns}) FROM STDIN") as copy,
        ):
            for row in batch:
                await copy.write_row(row)

    async def search(self, query: str) -> None:
        cursor = await self.db.execute(to_psycopg(SEARCH), (query,))
        rows = await cursor.fetchall()
        await (await self.db.execute(to_psycopg(COMPANIES), ([row[0] for row in rows],))).fetchall()

    async def close(self) -> None:
        await self.db.close()


async def connect(url: str, schema: str, which: str) -> Driver:
    if which == "asyncpg":
        return AsyncpgDriver(await asyncpg.connect(url, server_settings={"search_path": schema}))
    import psycopg

    connection = await psycopg.AsyncConnection.connect(
        url, autocommit=True, options=f"-c search_path={schema}"
    )
    return PsycopgDriver(connection)


async def time_apply(
    driver: Driver, batches: list[list[Row]], step: Callable[[Sequence[Row]], Awaitable[object]]
) -> float:
    await driver.reset()
    started = time.perf_counter()
    for batch in batches:
        await step(batch)
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a PostgreSQL database to create a schema in")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="apply runs per way (best kept)")
    parser.add_argument("--repeats", type=int, default=40, help="rounds of the 8 search queries")
    args = parser.parse_args()

    drivers = ["asyncpg"]
    try:
        import psycopg  # noqa: F401

        drivers.append("psycopg")
    except ImportError:
        print("psycopg is not importable: measuring asyncpg only", file=sys.stderr)

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(args.url)
    await admin.execute(f"CREATE SCHEMA {schema}")
    results: dict[str, dict[str, float]] = {}
    try:
        setup = await asyncpg.connect(args.url, server_settings={"search_path": schema})
        await setup.execute(MIGRATIONS[0])
        await setup.execute(
            "INSERT INTO feeds (url, name, created_at) VALUES ('https://news.example/rss', 'News',"
            " now())"
        )
        await setup.close()
        batches = corpus(args.items)
        # Both drivers open at once, their runs interleaved: on a shared machine a burst of
        # load then lands on both, not on whichever happened to run at the time.
        opened = {which: await connect(args.url, schema, which) for which in drivers}
        for way in ("executemany", "unnest", "copy"):
            times: dict[str, list[float]] = {which: [] for which in opened}
            for _ in range(args.runs):
                for which, driver in opened.items():
                    step = getattr(driver, way)
                    times[which].append(await time_apply(driver, batches, step))
            for which in opened:
                label = "unnest_returning" if way == "unnest" else way
                results.setdefault(which, {})[f"apply_{label}_items_per_s"] = round(
                    args.items / min(times[which])
                )

        # The search table: the corpus stored once (by COPY), a weighted tsvector and its GIN
        # index, companies tagged on a fifth of the items.
        setup = await asyncpg.connect(args.url, server_settings={"search_path": schema})
        await setup.execute("TRUNCATE items CASCADE")
        for batch in batches:
            await setup.copy_records_to_table("items", records=batch, columns=COPY_COLUMNS)
        await setup.execute(
            """
            ALTER TABLE items ADD COLUMN bench_search tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('simple', title), 'A')
                || setweight(to_tsvector('simple', summary), 'B')) STORED;
            CREATE INDEX items_bench_search ON items USING gin (bench_search);
            INSERT INTO companies VALUES ('amazon', 'Amazon'), ('temu', 'Temu');
            INSERT INTO item_companies (item_id, company_id, position, published)
            SELECT id, CASE WHEN id % 2 = 0 THEN 'amazon' ELSE 'temu' END, 0, published
            FROM items WHERE id % 5 = 0;
            ANALYZE;
            """
        )
        await setup.close()
        latencies: dict[str, list[float]] = {which: [] for which in opened}
        for driver in opened.values():
            for query in QUERIES:  # warm-up: plans, caches
                await driver.search(query)
        for _ in range(args.repeats):
            for which, driver in opened.items():
                for query in QUERIES:
                    started = time.perf_counter()
                    await driver.search(query)
                    latencies[which].append((time.perf_counter() - started) * 1000)
        for which, driver in opened.items():
            cuts = statistics.quantiles(latencies[which], n=20)
            results[which]["search_p50_ms"] = round(statistics.median(latencies[which]), 2)
            results[which]["search_p95_ms"] = round(cuts[18], 2)
            await driver.close()
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()

    print(f"{args.items} items in batches of {BATCH}; best of {args.runs} runs per way")
    names = list(next(iter(results.values())))
    print(f"{'':36}" + "".join(f"{which:>12}" for which in results))
    for name in names:
        print(f"{name:36}" + "".join(f"{results[w][name]:>12}" for w in results))
    print(json.dumps({"items": args.items, "batch": BATCH, "results": results}))


if __name__ == "__main__":
    asyncio.run(main())
