"""PostgreSQL's search text (storage/postgres/search.py): SQLite's tokens, PostgreSQL's limits.

Item and query text are split and stemmed by SQLite's own tokenizer and reach PostgreSQL as
quoted lexemes; these tests hold the literals to what the server accepts whatever the text.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.news.model.errors import InvalidQuery
from bot.news.model.vocabulary import AnyOf, SearchQuery, SearchTerm
from bot.news.rules.search_query import parse_query
from storage.postgres.search import (
    MAX_LEXEME_CHARS,
    Document,
    company_tag,
    feed_tag,
    tokens,
    tsqueries,
    tsquery,
    vectors,
)
from tests.storage.conftest import postgres_server_url


@pytest.fixture
async def server() -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(postgres_server_url())
    try:
        yield connection
    finally:
        await connection.close()


def test_tokens_are_the_sqlite_indexs() -> None:
    assert tokens(["Café owners' returns", "amazon.com", "e-commerce", "#f1 \ue000c74"]) == [
        ["cafe", "owner", "return"],
        ["amazon", "com"],
        ["e", "commerc"],
        ["f1", "c74"],  # no token holds a "#", and a private-use character is a space in a term
    ]


def test_a_query_is_phrases_groups_and_exclusions() -> None:
    assert tsquery(parse_query('"de minimis" temu OR shein -prime')) == (
        "(('de' <-> 'minimi') & ('temu' | 'shein')) & !('prime')"
    )
    assert tsquery(parse_query('"tiktok sh"* amaz*')) == "('tiktok' <-> 'sh':*) & 'amaz':*"
    # A term with no tokens matches nothing (as in FTS5): its group, then the query, too.
    empty = SearchQuery(all_of=(AnyOf((SearchTerm("!!"),)),), excluded=())
    assert tsquery(empty) is None
    either = SearchQuery(all_of=(AnyOf((SearchTerm("!!"), SearchTerm("temu"))),), excluded=())
    assert tsquery(either) == "'temu'"


def test_the_looser_query_has_a_phrases_words_in_any_order() -> None:
    # GIN answers the looser query from the index alone; the phrase is checked on the row.
    text = '"de minimis" temu OR "tiktok sh"* -prime -"seller fees"'
    assert tsqueries(parse_query(text)) == (
        "(('de' <-> 'minimi') & ('temu' | ('tiktok' <-> 'sh':*)))"
        " & !('prime' | ('seller' <-> 'fee'))",
        # Excluding a phrase's words apart would lose items that hold them apart.
        "(('de' & 'minimi') & ('temu' | ('tiktok' & 'sh':*))) & !('prime')",
    )
    assert tsqueries(parse_query("temu -prime")) == ("('temu') & !('prime')",) * 2
    assert tsqueries(SearchQuery(all_of=(AnyOf((SearchTerm("!!"),)),), excluded=())) is None


async def test_hostile_documents_make_vectors_the_server_accepts(
    server: asyncpg.Connection,
) -> None:
    long_word = "x" * 3000  # PostgreSQL refuses a lexeme over 2,046 bytes
    texts = [
        Document("It's a \\'quoted\\' title: 'x':1A", "back\\slash 'and' \"quotes\" :*"),
        Document(long_word, "é" * 1500),
        Document("word " * 20_000, " ".join(f"w{n}" for n in range(20_000))),  # past 16,383
        Document("", "", (feed_tag(1), company_tag("we'ird \\ id"))),
        Document("😀 \u200b \ue000", "\x00"),
    ]
    literals = vectors(texts)
    for literal in literals:
        await server.fetchval("SELECT $1::tsvector", literal)
    found = await server.fetchval(
        "SELECT $1::tsvector @@ $2::tsquery", literals[1], tsquery(parse_query("xxxx*"))
    )
    assert found
    assert max(len(lexeme) for lexeme in tokens([long_word])[0]) == MAX_LEXEME_CHARS
    tagged = await server.fetchval(
        "SELECT $1::tsvector @@ $2::tsquery", literals[3], "'" + feed_tag(1) + "'"
    )
    assert tagged


async def test_a_phrase_never_spans_title_and_summary(server: asyncpg.Connection) -> None:
    [literal] = vectors([Document("Amazon opens", "warehouse in Spain")])
    matches = [
        await server.fetchval(
            "SELECT $1::tsvector @@ $2::tsquery", literal, tsquery(parse_query(text))
        )
        for text in ('"amazon opens"', '"opens warehouse"', '"warehouse in spain"')
    ]
    assert matches == [True, False, True]


@pytest.fixture(scope="module")
def session() -> Iterator[tuple[asyncio.AbstractEventLoop, asyncpg.Connection]]:
    """One server connection for every hypothesis example."""
    loop = asyncio.new_event_loop()
    connection = loop.run_until_complete(asyncpg.connect(postgres_server_url()))
    try:
        yield loop, connection
    finally:
        loop.run_until_complete(connection.close())
        loop.close()


@settings(max_examples=150, deadline=None)
@given(title=st.text(max_size=300), summary=st.text(max_size=600), word=st.text(max_size=80))
def test_any_text_makes_a_vector_and_a_query_the_server_accepts(
    session: tuple[asyncio.AbstractEventLoop, asyncpg.Connection],
    title: str,
    summary: str,
    word: str,
) -> None:
    loop, connection = session
    [literal] = vectors([Document(title.replace("\x00", ""), summary.replace("\x00", ""))])
    query = SearchQuery(all_of=(AnyOf((SearchTerm(word, prefix=True),)),), excluded=())
    rendered = tsquery(query)
    found = loop.run_until_complete(
        connection.fetchval(
            "SELECT $1::tsvector @@ coalesce($2::tsquery, ''::tsquery)", literal, rendered
        )
    )
    assert isinstance(found, bool)


_WORDS = st.sampled_from(["de", "minimis", "temu", "shop", "tiktok", "sh", "x"])


@settings(max_examples=150, deadline=None)
@given(
    title=st.lists(_WORDS, max_size=8).map(" ".join),
    summary=st.lists(_WORDS, max_size=12).map(" ".join),
    text=st.lists(st.sampled_from(['"de minimis"', '"minimis de"', "temu", "OR", "-temu",
                                   '-"tiktok shop"', '"tiktok sh"*', "sh*", '"x x"']),
                  min_size=1, max_size=5).map(" ".join),
)  # fmt: skip
def test_every_match_of_a_query_passes_its_looser_query(
    session: tuple[asyncio.AbstractEventLoop, asyncpg.Connection],
    title: str,
    summary: str,
    text: str,
) -> None:
    loop, connection = session
    try:
        rendered = tsqueries(parse_query(text))
    except InvalidQuery:  # "OR" alone, or only exclusions
        return
    if rendered is None:
        return
    [literal] = vectors([Document(title, summary)])
    row = loop.run_until_complete(
        connection.fetchrow(
            "SELECT $1::tsvector @@ $2::tsquery, $1::tsvector @@ $3::tsquery", literal, *rendered
        )
    )
    assert row is not None  # a SELECT without FROM returns one row
    exact, loose = row
    assert loose or not exact
