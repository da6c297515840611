"""Search by English stems and prefixes (migration 8: porter over unicode61), tags kept exact."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import storage.items as items_module
from bot.news.model.vocabulary import Feed, ItemDraft, SearchRequest, TaggedDraft
from bot.news.ports import Storage
from bot.news.rules.search_query import parse_query
from bot.news.tagging.companies import FAMILIES
from bot.news.tagging.topics import TOPICS
from storage import Database
from storage.fts import render
from storage.items import company_tag, feed_tag, month_tag, topic_tag
from storage.migrations import SCHEMA_VERSION
from storage.postgres import search as postgres_text
from storage.search_tokenizer import TOKENIZE, tokenize_option
from tests.storage.conftest import T0, add_feed, database_at, draft, poll, tagged


@pytest.fixture
def db(storage: Storage) -> Storage:
    """Stems and prefixes mean the same on SQLite and PostgreSQL (which reads text with
    SQLite's tokenizer); the tests of SQLite's index itself open their own files."""
    return storage


async def keys(db: Storage, text: str, **filters: object) -> set[str]:
    request = SearchRequest(text=text, all_guilds=True, **filters)  # type: ignore[arg-type]
    page = await db.items.search(request, parse_query(text))
    return {item.key for item in page.items}


NEWS: list[TaggedDraft | ItemDraft] = [
    tagged(draft("returns", "Amazon tightens returns", "Refund windows shrink."), "amazon"),
    tagged(draft("return", "Temu return policy", "Shoppers may return parcels."), "temu"),
    tagged(draft("returned", "Returned goods pile up", "Warehouses fill."), "shein"),
    tagged(draft("amazing", "An amazing Singles Day", "Alibaba sales soar."), "alibaba"),
    tagged(draft("tiktok", "TikTok Shop shipping costs", "Sellers pay more."), "tiktok-shop"),
    draft("cafe", "Café owners sell online", "Crème brûlée ships."),
]


async def _store(db: Storage) -> Feed:
    feed = await add_feed(db, "Retail")
    await db.items.apply(poll(feed, NEWS))
    return feed


@pytest.fixture
async def news(db: Storage) -> Storage:
    await _store(db)
    return db


async def test_words_match_by_their_stem(news: Storage) -> None:
    both = {"returns", "return", "returned"}
    assert await keys(news, "return") == both
    assert await keys(news, "returns") == both
    assert await keys(news, "returning") == both
    assert await keys(news, "ship") == {"tiktok", "cafe"}  # "shipping", "ships"
    assert await keys(news, "cafe creme") == {"cafe"}  # the diacritics still fold


async def test_a_trailing_star_is_a_prefix(news: Storage) -> None:
    assert await keys(news, "amaz*") == {"returns", "amazing"}
    assert await keys(news, "amaz") == {"amazing"}  # a whole word: its stem, not Amazon
    assert await keys(news, "refund* OR shopp*") == {"returns", "return"}
    assert await keys(news, "retur* -amaz*") == {"return", "returned"}
    assert await keys(news, '"tiktok sh"*') == {"tiktok"}
    assert await keys(news, '"tiktok sh*"') == {"tiktok"}
    assert await keys(news, '-"tiktok sh"* ship*') == {"cafe"}
    assert await keys(news, "retur*", company="temu") == {"return"}


async def test_typed_prefixes_never_reach_tag_tokens(news: Storage) -> None:
    # Tag tokens start with a private-use mark that typed text cannot hold.
    assert await keys(news, "f1*") == set()
    assert await keys(news, company_tag("amazon")[1:4] + "*") == set()
    assert await keys(news, "m2026*") == set()
    # PostgreSQL's hidden lexemes start with "#", which the tokenizer never keeps in a word.
    assert await keys(news, postgres_text.feed_tag(1)) == set()
    assert await keys(news, postgres_text.company_tag("amazon") + "*") == set()
    assert await keys(news, "#m2026*") == set()


async def test_filters_match_their_tag_exactly_after_stemming(news: Storage) -> None:
    # "amazon" is hex ...6e: porter drops that final "e" from the token; it still matches
    # exactly the items with that tag, and no other company's.
    assert company_tag("amazon").endswith("e")
    assert await keys(news, "retur* OR amaz*", company="amazon") == {"returns"}
    assert await keys(news, "retur* OR amaz*", company="shein") == {"returned"}
    assert await keys(news, "retur* OR amaz*", company="alibaba") == {"amazing"}


def _tokenizer(path: Path) -> str:
    with sqlite3.connect(path) as raw:
        [sql] = raw.execute("SELECT sql FROM sqlite_schema WHERE name = 'items_fts'").fetchone()
    # An SQL string literal: a quote inside it (around tokenchars) is written twice.
    found = re.search(r"tokenize\s*=\s*'((?:[^']|'')*)'", sql)
    assert found is not None
    return found[1].replace("''", "'")


@pytest.fixture(scope="module")
def tokenize(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The tokenizer of a freshly migrated database's search index."""
    path = tmp_path_factory.mktemp("fts") / "fresh.db"

    async def create() -> None:
        async with await Database.open(path):
            pass

    asyncio.run(create())
    spec = _tokenizer(path)
    assert spec.startswith("porter unicode61 remove_diacritics 2 tokenchars '")
    # PostgreSQL's search reads text with the very same tokenizer.
    assert spec == postgres_text.TOKENIZE
    return spec


@pytest.fixture(scope="module")
def index(tokenize: str) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute(f"CREATE VIRTUAL TABLE t USING fts5 (tags, {tokenize_option(tokenize)})")
    yield connection
    connection.close()


def _each_tag_matches_only_itself(index: sqlite3.Connection, tags: list[str]) -> None:
    index.execute("DELETE FROM t")
    index.executemany("INSERT INTO t (rowid, tags) VALUES (?, ?)", enumerate(tags, 1))
    for rowid, tag in enumerate(tags, 1):
        quoted = '"' + tag.replace('"', '""') + '"'
        found = index.execute("SELECT rowid FROM t WHERE t MATCH ?", (quoted,)).fetchall()
        assert found == [(rowid,)], tag


def test_every_known_tag_stays_distinct_under_stemming(index: sqlite3.Connection) -> None:
    tags = [company_tag(family.id) for family in FAMILIES]
    tags += [topic_tag(topic.id) for topic in TOPICS]
    tags += [feed_tag(n) for n in (1, 7, 10, 11, 100, 12345)]
    months = [datetime(2025 + n // 12, n % 12 + 1, 1, tzinfo=UTC) for n in range(24)]
    tags += [month_tag(month) for month in months]
    assert len(set(tags)) == len(tags)
    _each_tag_matches_only_itself(index, tags)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=40), min_size=2, max_size=8, unique=True))
def test_any_ids_keep_distinct_tags(index: sqlite3.Connection, ids: list[str]) -> None:
    tags = [company_tag(i) for i in ids] + [topic_tag(i) for i in ids]
    _each_tag_matches_only_itself(index, tags)


async def test_a_version_7_database_is_reindexed_with_stems(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    async with database_at(path, 7) as old:
        feed = await _store(old)
        # What users met before: each form of a word finds only itself.
        assert await keys(old, "return") == {"return"}
        assert await keys(old, "returns") == {"returns"}
    assert _tokenizer(path) == "unicode61 remove_diacritics 2"

    async with await Database.open(path) as db:
        assert await keys(db, "returns") == {"returns", "return", "returned"}
        assert await keys(db, "amaz*") == {"returns", "amazing"}
        assert await keys(db, "retur*", company="temu") == {"return"}
        assert await keys(db, "ship*", feed_id=feed.id) == {"tiktok", "cafe"}
        assert await keys(db, "return", since=T0, until=T0.replace(day=2)) == {
            "returns",
            "return",
            "returned",
        }
        # The triggers feed the new index: a new item, a changed one and a removed feed.
        other = await add_feed(db, "Other")
        await db.items.apply(poll(other, [draft("new", "Returning customers", "Loyalty.")]))
        await db.items.apply(poll(feed, changed=[draft("cafe", "Café chains", "Drinks.")]))
        assert await keys(db, "return") == {"returns", "return", "returned", "new"}
        assert await keys(db, "chain") == {"cafe"}
        assert await keys(db, "ship*") == {"tiktok"}
        await db.feeds.remove(other.id)
        assert "new" not in await keys(db, "return")
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert _tokenizer(path) == TOKENIZE
        # Raises if the search index disagrees with the items.
        raw.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")


def test_tag_mark_is_still_what_typed_text_cannot_hold() -> None:
    assert render(parse_query(items_module.TAG_MARK + "amaz*")) == '"amaz"*'
