"""Search (and apply) benchmark for the SQLite storage layer.

    uv run python benchmarks/search.py                 # 10k and 1M items
    uv run python benchmarks/search.py --sizes 10000   # only 10k
    uv run python benchmarks/search.py --rebuild       # ignore cached databases

Builds databases of synthetic e-commerce news (deterministic: same seed, same text) through the
real schema (``Database.open`` runs the migrations; the bulk load uses executemany in large
transactions on a plain sqlite3 connection, the triggers filling the FTS index as in
production), then times ``SqliteItemRepository.search`` end to end (aiosqlite included) for a
fixed list of queries and prints p50/p95 per query and overall, the DB size, the cold-ingest
time of ``apply()`` (200 feeds x 50 items) and one JSON line with every figure at the end.

Databases are cached in ``--dir`` (default: the system temp folder) and reused when the
generator version matches.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.news.model.vocabulary import (
    FeedPollResult,
    FeedStatus,
    ItemDraft,
    LatestRequest,
    NewFeed,
    SearchRequest,
    TaggedDraft,
)
from bot.news.rules.search_query import parse_query
from storage import Database
from storage._sql import to_db_time, to_json_list
from storage.items import company_tag, feed_tag, month_tag, topic_tag

GENERATOR_VERSION = "7"
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
SHARED_FEEDS = 450
GUILDS = 10
PRIVATE_FEEDS_PER_GUILD = 5

# (id, display name, words as they appear in text, weight)
COMPANIES: list[tuple[str, str, str, float]] = [
    ("amazon", "Amazon", "Amazon", 22),
    ("temu", "Temu", "Temu", 12),
    ("shein", "SHEIN", "SHEIN", 10),
    ("tiktok-shop", "TikTok Shop", "TikTok Shop", 10),
    ("walmart", "Walmart", "Walmart", 7),
    ("shopify", "Shopify", "Shopify", 6),
    ("aliexpress", "AliExpress", "AliExpress", 5),
    ("ebay", "eBay", "eBay", 4),
    ("etsy", "Etsy", "Etsy", 3),
    ("shopee", "Shopee", "Shopee", 3),
    ("mercado-libre", "Mercado Libre", "Mercado Libre", 3),
    ("coupang", "Coupang", "Coupang", 2),
    ("zalando", "Zalando", "Zalando", 2),
    ("target", "Target", "Target", 2),
    ("best-buy", "Best Buy", "Best Buy", 1.5),
    ("lazada", "Lazada", "Lazada", 1.5),
    ("flipkart", "Flipkart", "Flipkart", 1.5),
    ("allegro", "Allegro", "Allegro", 1),
    ("otto", "Otto", "Otto", 1),
    ("wayfair", "Wayfair", "Wayfair", 1),
    ("pinduoduo", "Pinduoduo", "Pinduoduo", 1),
    ("rakuten", "Rakuten", "Rakuten", 0.7),
    ("jd", "JD.com", "JD.com", 0.7),
    ("meesho", "Meesho", "Meesho", 0.5),
]
TOPICS: list[tuple[str, float]] = [
    ("tariffs", 8),
    ("tariff exemptions", 3),
    ("de minimis rules", 4),
    ("seller fees", 5),
    ("returns policy", 3),
    ("warehouse robots", 2),
    ("same-day delivery", 3),
    ("last-mile delivery", 3),
    ("live shopping", 4),
    ("creator affiliates", 3),
    ("counterfeit goods", 2),
    ("customs checks", 3),
    ("Prime Day", 2),
    ("Black Friday", 3),
    ("Singles Day", 1.5),
    ("holiday season sales", 3),
    ("advertising revenue", 4),
    ("quarterly earnings", 4),
    ("IPO plans", 1.5),
    ("layoffs", 1.5),
    ("antitrust probe", 2),
    ("data privacy fine", 1),
    ("AI shopping assistant", 2),
    ("buy now pay later", 1.5),
    ("cross-border parcels", 3),
    ("product safety recalls", 1.5),
    ("fulfilment centres", 2.5),
    ("subscription programme", 1),
    ("price matching", 1),
    ("marketplace expansion", 3),
]
TOPIC_IDS = {
    **dict.fromkeys(
        ["tariffs", "tariff exemptions", "de minimis rules", "returns policy", "customs checks"],
        "policy",
    ),
    **dict.fromkeys(
        ["seller fees", "price matching", "subscription programme", "buy now pay later"], "fees"
    ),
    **dict.fromkeys(
        [
            "warehouse robots",
            "same-day delivery",
            "last-mile delivery",
            "cross-border parcels",
            "fulfilment centres",
        ],
        "logistics",
    ),
    **dict.fromkeys(
        [
            "advertising revenue",
            "quarterly earnings",
            "IPO plans",
            "layoffs",
            "holiday season sales",
        ],
        "earnings",
    ),
    **dict.fromkeys(
        [
            "live shopping",
            "creator affiliates",
            "Prime Day",
            "Black Friday",
            "Singles Day",
            "AI shopping assistant",
            "marketplace expansion",
        ],
        "launches",
    ),
    **dict.fromkeys(
        ["counterfeit goods", "antitrust probe", "data privacy fine", "product safety recalls"],
        "legal",
    ),
}
"""Each synthetic topic's id among the bot's topics (``bot/news/tagging/topics.py``), for the topic
filter: an item carries its headline topic's id."""
PLACES = [
    "the US", "Europe", "Germany", "France", "the UK", "Brazil", "Mexico", "Japan", "Indonesia",
    "Poland", "Spain", "Italy", "Canada", "Australia", "South Korea", "India", "Vietnam", "Chile",
]  # fmt: skip
VERBS = [
    "raises", "cuts", "expands", "tests", "pauses", "doubles down on", "rethinks", "scraps",
    "launches", "delays", "defends", "reviews", "overhauls", "bets on", "slows", "fights",
]  # fmt: skip
HEADLINES = [
    "{c} {v} {t} in {p}",
    "{c} {v} {t} as {c2} gains ground",
    "How {c} plans to win on {t}",
    "{c} and {c2} clash over {t} in {p}",
    "Sellers react as {c} {v} {t}",
    "{p} regulators look at {c} {t}",
    "{c} {v} {t}; shares move",
    "What {c}'s {t} means for merchants in {p}",
]
COMMON = """
    the a of to and in for on with as that is by from at it its said will has have more
    sellers merchants shoppers customers company market platform online retail business
    prices orders growth sales year quarter week month new global local brand brands
    products goods shipping delivery logistics consumers analysts report percent million
    billion rules policy changes plans costs margins share investors demand supply chain
    launch marketplace app users traffic data strategy competition rivals deal partners
    government officials industry experts small independent large cross-border parcels
"""
SYLLABLES = [f"{c}{v}" for c in "klmnprstvz" for v in "aeiou"]


@dataclass(frozen=True)
class SyntheticItem:
    feed_index: int
    key: str
    title: str
    summary: str
    published: datetime
    companies: tuple[str, ...]
    topics: tuple[str, ...] = ()


class Generator:
    """Deterministic synthetic news: realistic selectivity for company and topic words."""

    def __init__(self, seed: int = 20261101) -> None:
        self.rng = random.Random(seed)
        rare = {
            "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4)))
            for _ in range(3000)
        }
        self.vocabulary = COMMON.split() + sorted(rare)
        # Zipf-like weights: a few words are everywhere, most are rare.
        self.vocabulary_weights = list(
            _cumulative([1.0 / (rank + 1) ** 0.9 for rank in range(len(self.vocabulary))])
        )
        self.company_weights = list(_cumulative([c[3] for c in COMPANIES]))
        self.topic_weights = list(_cumulative([t[1] for t in TOPICS]))

    def _company(self) -> tuple[str, str, str, float]:
        return self.rng.choices(COMPANIES, cum_weights=self.company_weights)[0]

    def _topic(self) -> str:
        return self.rng.choices(TOPICS, cum_weights=self.topic_weights)[0][0]

    def _filler(self, words: int) -> str:
        chosen = self.rng.choices(self.vocabulary, cum_weights=self.vocabulary_weights, k=words)
        return " ".join(chosen).capitalize() + "."

    def items(self, count: int, feeds: int) -> Iterator[SyntheticItem]:
        """``count`` items, oldest first, spread over ``feeds`` feeds and two years."""
        step = SPAN / count
        start = END - SPAN
        for n in range(count):
            rng = self.rng
            company, other = self._company(), self._company()
            topic = self._topic()
            title = rng.choice(HEADLINES).format(
                c=company[2], c2=other[2], v=rng.choice(VERBS), t=topic, p=rng.choice(PLACES)
            )
            mentioned = [company]
            sentences = [self._filler(rng.randint(8, 16))]
            if rng.random() < 0.5:
                third = self._company()
                mentioned.append(third)
                sentences.append(f"{third[2]} is also watching {self._topic()} closely.")
            if "{c2}" in title or rng.random() < 0.2:
                mentioned.append(other)
            sentences.append(self._filler(rng.randint(10, 24)))
            if rng.random() < 0.4:
                sentences.append(f"The shift on {topic} in {rng.choice(PLACES)} is expected.")
            summary = " ".join(sentences)
            jitter = timedelta(seconds=rng.randint(-3600, 3600))
            yield SyntheticItem(
                feed_index=rng.randrange(feeds),
                key=f"urn:bench:{n}",
                title=title,
                summary=summary,
                published=start + step * n + jitter,
                companies=tuple(dict.fromkeys(c[0] for c in mentioned)),
                topics=(TOPIC_IDS[topic],),
            )


def _cumulative(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _copy(path: Path, suffix: str) -> Path:
    target = path.with_name(path.stem + suffix + path.suffix)
    shutil.copyfile(path, target)  # closed databases are checkpointed: one file is enough
    return target


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def build(path: Path, count: int) -> None:
    """Create the schema through Database.open, then bulk-load ``count`` items."""
    _remove(path)
    async with await Database.open(path) as db:
        await db.items.register_companies([])
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -262144")  # 256 MiB for the load only
    created = to_db_time(END - SPAN)
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO companies (id, name) VALUES (?, ?)", [(c[0], c[1]) for c in COMPANIES]
    )
    feeds = SHARED_FEEDS + GUILDS * PRIVATE_FEEDS_PER_GUILD
    feed_rows = []
    for index in range(feeds):
        guild = None if index < SHARED_FEEDS else 1000 + (index - SHARED_FEEDS) // 5
        feed_rows.append(
            (index + 1, f"https://news{index}.example/feed", f"Feed {index}", guild, created)
        )
    connection.executemany(
        "INSERT INTO feeds (id, url, name, guild_id, created_at) VALUES (?, ?, ?, ?, ?)",
        feed_rows,
    )
    connection.execute("COMMIT")
    generator = Generator()
    batch: list[SyntheticItem] = []
    next_id = 1
    for item in generator.items(count, feeds):
        batch.append(item)
        if len(batch) == 50_000:
            next_id = _load(connection, batch, next_id)
            batch = []
    if batch:
        _load(connection, batch, next_id)
    connection.execute("PRAGMA optimize")
    connection.execute("INSERT INTO items_fts (items_fts) VALUES ('optimize')")
    connection.execute(
        "INSERT INTO meta (key, value) VALUES ('bench', ?)", (f"{GENERATOR_VERSION}:{count}",)
    )
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    print(f"built {count:,} items in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _load(connection: sqlite3.Connection, batch: list[SyntheticItem], first_id: int) -> int:
    connection.execute("BEGIN")
    rows: list[tuple[object, ...]] = []
    tags: list[tuple[int, str, int, int]] = []
    topics: list[tuple[int, str]] = []
    for offset, item in enumerate(batch):
        item_id = first_id + offset
        stamp = to_db_time(item.published)
        digest = hashlib.blake2b(item.title.encode(), digest_size=8).hexdigest()
        rows.append(
            (
                item_id,
                item.feed_index + 1,
                item.key,
                item.title,
                f"https://news.example/{item_id}",
                f"Feed {item.feed_index}",
                stamp,
                stamp,
                stamp,
                item.summary,
                to_json_list(()),
                digest,
                " ".join(
                    [
                        feed_tag(item.feed_index + 1),
                        *(company_tag(c) for c in item.companies),
                        *(topic_tag(t) for t in item.topics),
                        month_tag(item.published),
                    ]
                ),
            )
        )
        tags.extend((item_id, c, position, stamp) for position, c in enumerate(item.companies))
        topics.extend((item_id, t) for t in item.topics)
    connection.executemany(
        """
        INSERT INTO items (id, feed_id, key, title, link, source, published, first_seen,
                           updated_at, summary, categories, content_hash, tags)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        rows,
    )
    connection.executemany(
        "INSERT INTO item_companies (item_id, company_id, position, published) VALUES (?, ?, ?, ?)",
        tags,
    )
    connection.executemany("INSERT INTO item_topics (item_id, topic) VALUES (?, ?)", topics)
    connection.execute("COMMIT")
    return first_id + len(batch)


QUERIES = [
    "amazon",
    "tariff",
    "tariffs",
    "temu",
    "shein",
    "tiktok shop",
    '"de minimis"',
    '"seller fees"',
    "amazon tariffs",
    "temu OR shein",
    "amazon -prime",
    "black friday",
    "warehouse robots",
    "coupang layoffs",
    "shein ipo",
    "sellers",
]


@dataclass(frozen=True)
class Case:
    name: str
    request: SearchRequest


def cases() -> list[Case]:
    """The fixed query list, plus the same common words under each kind of filter."""
    out = [Case(q, SearchRequest(text=q)) for q in QUERIES]
    out += [
        Case("tariffs company=temu", SearchRequest(text="tariffs", company="temu")),
        Case("amazon company=meesho", SearchRequest(text="amazon", company="meesho")),
        Case("amazon feed=7", SearchRequest(text="amazon", feed_id=7)),
        Case("tariffs topic=logistics", SearchRequest(text="tariffs", topic="logistics")),
        Case("amazon topic=legal", SearchRequest(text="amazon", topic="legal")),
        Case("tariffs guild=1003", SearchRequest(text="tariffs", guild_id=1003)),
        Case("amazon all_guilds", SearchRequest(text="amazon", all_guilds=True)),
        Case("amazon since=30d", SearchRequest(text="amazon", since=END - timedelta(days=30))),
        Case(
            "amazon until=-1y",
            SearchRequest(text="amazon", until=END - timedelta(days=365)),
        ),
        Case("amazon offset=50", SearchRequest(text="amazon", offset=50)),
        # Prefixes expand to every indexed stem that starts so (the common "sell" to many).
        Case("tarif*", SearchRequest(text="tarif*")),
        Case("sell* OR ship*", SearchRequest(text="sell* OR ship*")),
        Case('"tiktok sh"*', SearchRequest(text='"tiktok sh"*')),
    ]
    return out


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def time_search(path: Path, repeats: int) -> dict[str, object]:
    results: dict[str, object] = {}
    every: list[float] = []
    typical: list[float] = []
    async with await Database.open(path) as db:
        for case in cases():
            query = parse_query(case.request.text)
            page = await db.items.search(case.request, query)  # warm-up
            timings = []
            for _ in range(repeats):
                started = time.perf_counter()
                page = await db.items.search(case.request, query)
                timings.append((time.perf_counter() - started) * 1000)
            every += timings
            if case.name in QUERIES:
                typical += timings
            p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
            results[case.name] = {"p50": round(p50, 2), "p95": round(p95, 2)}
            print(
                f"  {case.name:28} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
                f"({len(page.items)} items, more={page.has_more})",
                file=sys.stderr,
            )
        latest: list[float] = []
        for request in (
            LatestRequest(),
            LatestRequest(company="temu"),
            LatestRequest(company="meesho"),
            LatestRequest(feed_id=7),
            LatestRequest(guild_id=1003),
        ):
            for _ in range(repeats):
                started = time.perf_counter()
                await db.items.latest(request)
                latest.append((time.perf_counter() - started) * 1000)
    summary = {
        "typical_p50": round(percentile(typical, 0.5), 2),
        "typical_p95": round(percentile(typical, 0.95), 2),
        "all_p50": round(percentile(every, 0.5), 2),
        "all_p95": round(percentile(every, 0.95), 2),
        "latest_p50": round(percentile(latest, 0.5), 2),
        "latest_p95": round(percentile(latest, 0.95), 2),
    }
    print(f"  summary {summary}", file=sys.stderr)
    return {"summary": summary, "queries": results}


def _poll_results(
    feed_ids: list[int], synthetic: list[SyntheticItem], per_feed: int, polled: datetime, tag: str
) -> list[FeedPollResult]:
    """One first-poll result per feed, ``per_feed`` items each; ``tag`` keeps keys unique."""
    results = []
    for n, feed_id in enumerate(feed_ids):
        drafts = tuple(
            TaggedDraft(
                ItemDraft(
                    key=f"{tag}:{item.key}",
                    title=item.title,
                    link=f"https://f{n}.example/{item.key}",
                    author=None,
                    published=item.published,
                    summary=item.summary,
                    image_url=None,
                    categories=("ecommerce",),
                    publisher=None,
                    content_hash=hashlib.blake2b(item.summary.encode()).hexdigest(),
                ),
                item.companies,
            )
            for item in synthetic[n * per_feed : (n + 1) * per_feed]
        )
        results.append(
            FeedPollResult(
                feed_id=feed_id,
                polled_at=polled,
                status=FeedStatus.OK,
                next_due=polled + timedelta(minutes=30),
                new_items=drafts,
                mark_backlog=True,
                etag='"abc"',
            )
        )
    return results


async def time_apply(directory: Path, feeds: int = 200, per_feed: int = 50) -> dict[str, object]:
    """Cold ingest through the real apply(): ``feeds`` first polls of ``per_feed`` items.

    Then, on that database, search latency while a poller keeps writing, with and without the
    separate read connection.
    """
    path = directory / "bench-apply.db"
    _remove(path)
    synthetic = list(Generator(seed=7).items(feeds * per_feed, feeds))
    async with await Database.open(path) as db:
        ids = [
            (await db.feeds.add(NewFeed(f"https://f{n}.example/rss", f"Feed {n}"), END)).id
            for n in range(feeds)
        ]
        results = _poll_results(ids, synthetic, per_feed, END, "cold")
        started = time.perf_counter()
        for result in results:
            await db.items.apply(result)
        sequential = time.perf_counter() - started
        assert await db.items.count() == feeds * per_feed
    total = feeds * per_feed
    print(
        f"apply: {feeds} feeds x {per_feed} items = {total:,} items in {sequential * 1000:.0f} ms"
        f" ({total / sequential:,.0f} items/s, {sequential / feeds * 1000:.2f} ms per feed)",
        file=sys.stderr,
    )
    contention = {}
    for read_connection in (True, False):
        # Each variant starts from the same cold database: the writes change its size.
        copy = _copy(path, f"-{read_connection}")
        contention["reader" if read_connection else "no_reader"] = await _search_under_writes(
            copy, ids, synthetic, per_feed, read_connection=read_connection
        )
        _remove(copy)
    _remove(path)
    return {
        "apply_total_ms": round(sequential * 1000, 1),
        "apply_items_per_s": round(total / sequential),
        "apply_ms_per_feed": round(sequential / feeds * 1000, 3),
        "search_while_writing": contention,
    }


async def _search_under_writes(
    path: Path,
    ids: list[int],
    synthetic: list[SyntheticItem],
    per_feed: int,
    *,
    read_connection: bool,
) -> dict[str, float]:
    """p50/p95 of a search while another task applies polls back to back."""
    label = "reader" if read_connection else "no_reader"
    async with await Database.open(path, read_connection=read_connection) as db:
        stop = asyncio.Event()

        async def poller() -> None:
            round_ = 0
            while not stop.is_set():
                for result in _poll_results(ids, synthetic, per_feed, END, f"{label}{round_}"):
                    if stop.is_set():
                        return
                    await db.items.apply(result)
                round_ += 1

        request = SearchRequest(text="amazon tariffs", guild_id=1003)
        query = parse_query(request.text)
        idle = []
        for _ in range(100):
            started = time.perf_counter()
            await db.items.search(request, query)
            idle.append((time.perf_counter() - started) * 1000)
        writer = asyncio.create_task(poller())
        busy = []
        for _ in range(200):
            started = time.perf_counter()
            await db.items.search(request, query)
            busy.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.002)  # let the poller run between searches
        stop.set()
        await writer
    figures = {
        "idle_p50": round(percentile(idle, 0.5), 2),
        "idle_p95": round(percentile(idle, 0.95), 2),
        "busy_p50": round(percentile(busy, 0.5), 2),
        "busy_p95": round(percentile(busy, 0.95), 2),
    }
    print(f"  search while writing ({label}): {figures}", file=sys.stderr)
    return figures


def _directory(name: str) -> Path:
    directory = Path(name)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def cached(path: Path, count: int) -> bool:
    if not path.exists():
        return False
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        row = connection.execute("SELECT value FROM meta WHERE key = 'bench'").fetchone()
        connection.close()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == f"{GENERATOR_VERSION}:{count}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "shopwire-bench"))
    parser.add_argument("--repeats", type=int, default=0, help="0: 200 at 10k, 50 at 1M")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-apply", action="store_true")
    args = parser.parse_args()
    directory = _directory(args.dir)
    report: dict[str, object] = {"sqlite": sqlite3.sqlite_version}
    for count in (int(size) for size in args.sizes.split(",")):
        path = directory / f"bench-{count}.db"
        if args.rebuild or not cached(path, count):
            await build(path, count)
        size = path.stat().st_size
        print(f"{count:,} items: {size / 1e6:.1f} MB", file=sys.stderr)
        repeats = args.repeats or (200 if count <= 100_000 else 50)
        timings = await time_search(path, repeats)
        report[str(count)] = {"db_mb": round(size / 1e6, 1), **timings}
    if not args.no_apply:
        report["apply"] = await time_apply(directory)
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    asyncio.run(main())
