"""Search folds the letters remove_diacritics leaves alone and drops Arabic harakat (SQLite
migration 17, PostgreSQL migration 14): "Da Nang" finds "Đà Nẵng", an unpointed Arabic word
finds the pointed one and the reverse. Both backends fold item text and typed text alike
(``storage/search_tokenizer.py``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import storage.fts
from bot.news.model.vocabulary import Feed, SearchRequest
from bot.news.ports import Storage
from bot.news.rules.search_query import parse_query
from storage import Database
from storage.migrations import SCHEMA_VERSION
from storage.postgres import migrations as postgres_migrations
from storage.postgres import open_postgres
from storage.postgres import search as postgres_text
from storage.postgres.migrations import current_version
from storage.postgres.retokenize import PENDING_KEY, retokenize
from storage.search_tokenizer import DROPPED_MARKS, FOLDED_LETTERS, fold, fold_sql
from tests.storage.conftest import add_feed, database_at, draft, fresh_postgres_url, poll

NEWS = [
    draft("danang", "Đà Nẵng mở đường bay mới", "Hãng hàng không Việt Nam"),
    draft("hanoi", "Hà Nội: giá điện tăng"),
    draft("pointed", "مُحَمَّد بن سلمان يزور القاهرة"),
    draft("plain", "محمد صلاح يسجل هدفين", "مباراة ليفربول"),
    draft("tatweel", "عاجـــل: زلزال في تركيا"),
    draft("lodz", "Łódź gets a new Amazon warehouse"),
    draft("orsted", "Ørsted cuts offshore wind outlook"),
    draft("turkish", "Kılıçdaroğlu yeni parti kurdu"),
    draft("cafe", "Café owners sell online"),
]


async def keys(db: Storage, text: str) -> set[str]:
    request = SearchRequest(text=text, all_guilds=True, limit=100)
    page = await db.items.search(request, parse_query(text))
    return {item.key for item in page.items}


async def _store(db: Storage) -> Feed:
    feed = await add_feed(db, "World")
    await db.items.apply(poll(feed, NEWS))
    return feed


async def _assert_folded(db: Storage) -> None:
    assert await keys(db, "Da Nang") == {"danang"}
    assert await keys(db, "Đà Nẵng") == {"danang"}
    assert await keys(db, '"da nang"') == {"danang"}
    assert await keys(db, "duong") == {"danang"}
    assert await keys(db, "dien") == {"hanoi"}
    assert await keys(db, "Viet*") == {"danang"}
    # Arabic: unpointed finds pointed, pointed finds unpointed, the tatweel is no letter.
    assert await keys(db, "محمد") == {"pointed", "plain"}
    assert await keys(db, "مُحَمَّد") == {"pointed", "plain"}
    assert await keys(db, "عاجل") == {"tatweel"}
    assert await keys(db, "عاجـل") == {"tatweel"}
    assert await keys(db, "Lodz") == {"lodz"}
    assert await keys(db, "orsted") == {"orsted"}
    assert await keys(db, "Kilicdaroglu") == {"turkish"}
    assert await keys(db, "cafe") == {"cafe"}  # remove_diacritics as before


async def test_folded_letters_and_harakat_are_found_either_way(storage: Storage) -> None:
    await _store(storage)
    await _assert_folded(storage)


def test_the_fold_is_the_set_the_migrations_indexed_with() -> None:
    # Changing it changes what the indexes hold: new migrations, never an edit of 17 / 14.
    assert [letter for letter, _ in FOLDED_LETTERS] == list("ĐđŁłØøı")
    assert [ord(mark) for mark in DROPPED_MARKS] == [*range(0x064B, 0x0653), 0x0670, 0x0640]
    assert fold("Đà Nẵng, مُحَمَّد, محـــمد") == "Dà Nẵng, محمد, محمد"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("aé’ĐđŁłØøıمحد ُ َ ّ ـ ٰ'\"") | st.characters(codec="utf-8")))
def test_sqlite_folds_as_python_does(text: str) -> None:
    with sqlite3.connect(":memory:") as connection:
        (folded,) = connection.execute(f"SELECT {fold_sql('?1')}", (text,)).fetchone()
    assert folded == fold(text)


async def test_a_version_16_database_is_reindexed_folded(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    async with database_at(path, 16) as old:
        feed = await _store(old)
        with pytest.MonkeyPatch.context() as unfolded:  # queries as that release typed them
            unfolded.setattr(storage.fts, "fold", lambda text: text)
            assert await keys(old, "Da Nang") == set()
            assert await keys(old, "محمد") == {"plain"}
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 16

    async with await Database.open(path) as db:
        await _assert_folded(db)
        # The triggers feed the new index folded: a new item, a changed one, a removed one.
        await db.items.apply(poll(feed, [draft("new", "Đồng Nai khai trương cảng")]))
        await db.items.apply(poll(feed, changed=[draft("hanoi", "Hà Nội: đường sắt")]))
        assert await keys(db, "dong nai") == {"new"}
        assert await keys(db, "duong") == {"danang", "hanoi"}
        assert await keys(db, "dien") == set()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        raw.execute("DELETE FROM items WHERE key = 'new'")  # the sqlite3 shell needs nothing
        # Raises if the search index disagrees with the (folded) items.
        raw.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")
        assert raw.execute(
            "SELECT count(*) FROM items_fts WHERE items_fts MATCH '\"dong nai\"'"
        ).fetchone() == (0,)


def test_postgres_vectors_and_queries_are_folded() -> None:
    assert postgres_text.tokens(["Đà Nẵng", "مُحَمَّد"]) == [["da", "nang"], ["محمد"]]
    (vector,) = postgres_text.vectors([postgres_text.Document("Đà Nẵng", "")])
    assert "'da':1A" in vector and "'nang':2A" in vector


async def test_a_version_13_postgres_database_is_rewritten_folded() -> None:
    async with fresh_postgres_url() as url:
        with pytest.MonkeyPatch.context() as old:  # that release: its schema, its vectors
            old.setattr(postgres_migrations, "MIGRATIONS", postgres_migrations.MIGRATIONS[:13])
            old.setattr(postgres_text, "fold", lambda text: text)
            previous = await open_postgres(url)
            try:
                feed = await _store(previous)
                assert await current_version(previous.pool) == 13
                assert await keys(previous, "Da Nang") == set()
                assert await keys(previous, "محمد") == {"plain"}
            finally:
                await previous.close()
        upgraded = await open_postgres(url)  # migrates, then rewrites the owed rows
        try:
            assert await current_version(upgraded.pool) == postgres_migrations.SCHEMA_VERSION
            assert (
                await upgraded.pool.fetchval("SELECT value FROM meta WHERE key = $1", PENDING_KEY)
                is None
            )
            await _assert_folded(upgraded)
            await upgraded.items.apply(poll(feed, [draft("new", "Đồng Nai khai trương cảng")]))
            assert await keys(upgraded, "dong nai") == {"new"}
            # Owed again, nothing changes: the rewrite is idempotent.
            await upgraded.pool.execute("INSERT INTO meta VALUES ($1, '0')", PENDING_KEY)
            assert await retokenize(upgraded.pool) == 0
        finally:
            await upgraded.close()
