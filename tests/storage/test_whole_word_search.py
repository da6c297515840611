"""Words of scripts that write vowels as combining marks are searched whole (migration 16).

Before it, unicode61 split "सेवा" (service) at its vowel signs into "स" "व", so a search for
it was the phrase of two bare consonants and also found "सिवा" (besides); Bengali and Tamil
alike. Both backends read text with the same tokenizer (``storage/search_tokenizer.py``).
"""

from __future__ import annotations

import sqlite3
import unicodedata
from pathlib import Path

import pytest

from bot.news.model.vocabulary import Feed, SearchRequest
from bot.news.ports import Storage
from bot.news.rules.search_query import parse_query
from storage import Database
from storage.migrations import SCHEMA_VERSION
from storage.postgres import search as postgres_text
from storage.search_tokenizer import INDIC_MARK_RANGES, TOKEN_MARKS, TOKENIZE
from tests.storage.conftest import add_feed, database_at, draft, poll

OLD_TOKENIZE = "porter unicode61 remove_diacritics 2"
"""The index's tokenizer from migration 8 to 15."""

# A headline of the project's stories data (tests/data/stories_holdout6, p101), and words
# whose bare consonants are the same as a searched word's: "सिवा" (besides) and "सेवा";
# "বাকি রাতে" (the rest of the night) and "বিক্রেতা" (seller); "செவ்வாய்" (Tuesday) and
# "சேவை" (service).
NEWS = [
    draft("upi", "यूपीआई सेवा ठप: फोनपे, गूगल पे और पेटीएम से भुगतान नहीं हो पा रहा"),
    draft("besides", "इसके सिवा कोई रास्ता नहीं", "अमेज़न ने भारत में नई दुकान खोली"),
    draft("seller", "ফ্লিপকার্ট বিক্রেতা সম্মেলন"),
    draft("night", "বাকি রাতে বৃষ্টি"),
    draft("tamil", "அமேசான் இந்தியாவில் புதிய சேவை"),
    draft("tuesday", "செவ்வாய் கிழமை விற்பனை"),
    draft("cafe", "Café owners sell online", "Crème brûlée ships."),
    draft("decomposed", "Cafe\u0301 chains grow"),
]


async def keys(db: Storage, text: str, **filters: object) -> set[str]:
    request = SearchRequest(text=text, all_guilds=True, limit=100, **filters)  # type: ignore[arg-type]
    page = await db.items.search(request, parse_query(text))
    return {item.key for item in page.items}


async def _store(db: Storage) -> Feed:
    feed = await add_feed(db, "Desi")
    await db.items.apply(poll(feed, NEWS))
    return feed


async def test_indic_words_are_found_whole_not_by_their_consonants(storage: Storage) -> None:
    await _store(storage)
    assert await keys(storage, "सेवा") == {"upi"}
    assert await keys(storage, "भुगतान") == {"upi"}
    assert await keys(storage, "सिवा") == {"besides"}
    assert await keys(storage, "বিক্রেতা") == {"seller"}
    assert await keys(storage, "சேவை") == {"tamil"}
    assert await keys(storage, '"புதிய சேவை"') == {"tamil"}
    # A prefix keeps its vowel signs too.
    assert await keys(storage, "सेव*") == {"upi"}
    assert await keys(storage, "சேவ*") == {"tamil"}
    assert await keys(storage, "अमेज़न भारत") == {"besides"}
    assert await keys(storage, "सेवा OR বিক্রেতা -ठप") == {"seller"}


async def test_latin_accents_still_fold(storage: Storage) -> None:
    await _store(storage)
    assert await keys(storage, "cafe") == {"cafe", "decomposed"}
    assert await keys(storage, "café") == {"cafe", "decomposed"}
    assert await keys(storage, "creme brulee") == {"cafe"}


def _tokens(spec: str, text: str) -> list[str]:
    with sqlite3.connect(":memory:") as connection:
        quoted = spec.replace("'", "''")
        connection.execute(f"CREATE VIRTUAL TABLE w USING fts5 (t, tokenize = '{quoted}')")
        connection.execute("CREATE VIRTUAL TABLE v USING fts5vocab (w, 'instance')")
        connection.execute("INSERT INTO w (t) VALUES (?)", (text,))
        return [term for (term,) in connection.execute("SELECT term FROM v ORDER BY offset")]


def test_the_tokenizer_keeps_the_marks_in_words() -> None:
    sentence = "अमेज़न ने भारत में नई सेवा शुरू की"
    assert _tokens(OLD_TOKENIZE, sentence)[:3] == ["अम", "ज", "न"]
    assert _tokens(TOKENIZE, sentence) == sentence.split()
    assert _tokens(TOKENIZE, "ফ্লিপকার্ট বিক্রেতা") == ["ফ্লিপকার্ট", "বিক্রেতা"]
    assert _tokens(TOKENIZE, "བོད་ཀྱི་ཚོང་ར།") == ["བོད", "ཀྱི", "ཚོང", "ར"]
    # Latin combining marks are not token characters: remove_diacritics folds them away.
    assert _tokens(TOKENIZE, "Cafe\u0301 café Ñandú") == ["cafe", "cafe", "nandu"]
    # PostgreSQL makes its lexemes with the same tokenizer.
    assert postgres_text.tokens(["सेवा शुरू"]) == [["सेवा", "शुरू"]]


def test_the_token_marks_are_the_set_migration_16_indexed_with() -> None:
    # Changing the set changes what the index holds: a new migration, never an edit of this one.
    assert len(TOKEN_MARKS) == len(set(TOKEN_MARKS)) == 300
    assert all(unicodedata.category(mark) in ("Mn", "Mc") for mark in TOKEN_MARKS)
    assert list(TOKEN_MARKS) == sorted(TOKEN_MARKS)
    assert INDIC_MARK_RANGES[0] == (0x0900, 0x0903)
    assert INDIC_MARK_RANGES[-1] == (0x0FC6, 0x0FC6)
    assert not any(0x0300 <= ord(mark) < 0x0370 for mark in TOKEN_MARKS)
    assert "'" not in TOKEN_MARKS and '"' not in TOKEN_MARKS
    # Every Mn and Mc of Devanagari to Sinhala is in (Unicode 14, the one the set came from).
    if unicodedata.unidata_version == "14.0.0":
        indic = [
            chr(c) for c in range(0x0900, 0x0E00) if unicodedata.category(chr(c)) in ("Mc", "Mn")
        ]
        assert len(indic) == 223
        assert set(indic) <= set(TOKEN_MARKS)


async def test_a_version_15_database_is_reindexed_with_whole_words(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    async with database_at(path, 15) as old:
        feed = await _store(old)
        for n in range(40):
            await old.items.apply(poll(feed, [draft(f"bulk{n}", f"Parcel {n} ships", "नई सेवा")]))
        # What users met before: the bare consonants found look-alikes.
        assert await keys(old, "सेवा") >= {"upi", "besides"}
        assert await keys(old, "বিক্রেতা") == {"seller", "night"}
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 15
        before = raw.execute("SELECT count(*) FROM items").fetchone()[0]

    async with await Database.open(path) as db:
        assert await keys(db, "बिक्री OR सेवा", feed_id=feed.id) == {"upi"} | {
            f"bulk{n}" for n in range(40)
        }
        assert await keys(db, "বিক্রেতা") == {"seller"}
        assert await keys(db, "சேவை") == {"tamil"}
        assert await keys(db, "cafe") == {"cafe", "decomposed"}
        # Every item is still found, by a word of its title.
        assert await keys(db, "parcel", feed_id=feed.id) == {f"bulk{n}" for n in range(40)}
        for item in NEWS:
            word = item.title.split()[0].rstrip(":")
            assert item.key in await keys(db, f'"{word}"'), item.key
        # The triggers feed the new index: a new item, a changed one.
        await db.items.apply(poll(feed, [draft("new", "ऑनलाइन सेवा बंद")]))
        await db.items.apply(poll(feed, changed=[draft("besides", "नई सेवा शुरू")]))
        assert await keys(db, "सेवा") >= {"upi", "new", "besides"}
        assert await keys(db, "सिवा") == set()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("SELECT count(*) FROM items").fetchone()[0] == before + 1
        # Raises if the search index disagrees with the items.
        raw.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")


@pytest.mark.parametrize("word", ["सेवा", "বিক্রেতা", "சேவை"])
def test_a_typed_indic_word_is_one_term(word: str) -> None:
    query = parse_query(word)
    assert [term.text for group in query.all_of for term in group.terms] == [word]
