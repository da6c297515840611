"""The pure FTS5 query builder: user text in, safe MATCH expression out."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.news.errors import InvalidQuery
from bot.news.query import (
    BARE_STAR_MESSAGE,
    EMPTY_MESSAGE,
    MAX_TERM_CHARS,
    MAX_TERMS,
    ONLY_EXCLUSIONS_MESSAGE,
    SHORT_PREFIX_MESSAGE,
    build_fts_query,
)


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("amazon", '"amazon"'),
        ("  amazon   tariff ", '"amazon" AND "tariff"'),
        ('"de minimis" rules', '"de minimis" AND "rules"'),
        ('"  de   minimis  "', '"de minimis"'),
        ("temu OR shein", '("temu" OR "shein")'),
        ("temu OR shein tariff", '("temu" OR "shein") AND "tariff"'),
        ("a OR b OR c", '("a" OR "b" OR "c")'),
        ("amazon -prime", '("amazon") NOT ("prime")'),
        ('amazon -prime -"prime day"', '("amazon") NOT ("prime" OR "prime day")'),
        # OR only joins two positive terms; dangling ones are ignored.
        ("OR amazon OR", '"amazon"'),
        ("a OR -b OR c", '("a" AND "c") NOT ("b")'),
        # Lower-case "or" is a word like any other.
        ("temu or shein", '"temu" AND "or" AND "shein"'),
        # Words inside a word are kept: FTS5's tokenizer splits "e-commerce" into a phrase.
        ("e-commerce", '"e-commerce"'),
        ("tiktok's", '"tiktok\'s"'),
    ],
)
def test_syntax(text: str, expression: str) -> None:
    assert build_fts_query(text).expression == expression


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("NEAR(a b)", '"NEAR(a" AND "b)"'),
        ("a AND b NOT c", '"a" AND "AND" AND "b" AND "NOT" AND "c"'),
        ("title:amazon", '"title:amazon"'),
        ("am*zon", '"am*zon"'),  # only a trailing star is a prefix
        ("*amazon", '"*amazon"'),
        ("^start", '"^start"'),
        ("{title summary}: x", '"{title" AND "summary}:" AND "x"'),
        ("(a OR b", '("(a" OR "b")'),
        ("a + b", '"a" AND "b"'),
    ],
)
def test_fts_operators_are_only_text(text: str, expression: str) -> None:
    assert build_fts_query(text).expression == expression


def test_unbalanced_quote_is_dropped() -> None:
    assert build_fts_query('"unbalanced phrase').expression == '"unbalanced" AND "phrase"'
    assert build_fts_query('"ok phrase" "tail').expression == '"ok phrase" AND "tail"'


def test_adjacent_quotes_split_terms() -> None:
    assert build_fts_query('say "hi""there"').expression == '"say" AND "hi" AND "there"'


def test_control_characters_are_separators() -> None:
    # A NUL inside an FTS5 string is a syntax error ("unterminated string").
    assert build_fts_query("x\x00y\u200bz").expression == '"x" AND "y" AND "z"'


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("amaz*", '"amaz"*'),
        ("amaz***", '"amaz"*'),
        ("amazon tarif*", '"amazon" AND "tarif"*'),
        ("temu OR she*", '("temu" OR "she"*)'),
        ("shein -pri*", '("shein") NOT ("pri"*)'),
        ('"tiktok sh"*', '"tiktok sh"*'),
        ('"tiktok sh*"', '"tiktok sh"*'),
        ('-"prime da"* amazon', '("amazon") NOT ("prime da"*)'),
        ("e-comm*", '"e-comm"*'),  # FTS5 reads a phrase: "e", then words starting with "comm"
        ("東京*", '"東京"*'),
    ],
)
def test_a_trailing_star_makes_a_prefix(text: str, expression: str) -> None:
    assert build_fts_query(text).expression == expression


def test_prefix_terms_show_their_star() -> None:
    assert build_fts_query('amaz* "tiktok sh"* -pri*').terms == ("amaz*", "tiktok sh*")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("*", BARE_STAR_MESSAGE),
        ("***", BARE_STAR_MESSAGE),
        ("amazon *", BARE_STAR_MESSAGE),
        ("-*", BARE_STAR_MESSAGE),
        ("amazon.*", BARE_STAR_MESSAGE),
        ('"tiktok *"', BARE_STAR_MESSAGE),
        ('""*', BARE_STAR_MESSAGE),
        ("a*", SHORT_PREFIX_MESSAGE),
        ("amazon a*", SHORT_PREFIX_MESSAGE),
        ("temu OR s*", SHORT_PREFIX_MESSAGE),
        ("-p* amazon", SHORT_PREFIX_MESSAGE),
        ('"tiktok s"*', SHORT_PREFIX_MESSAGE),
        ("e-c*", SHORT_PREFIX_MESSAGE),
        ("e\u0301*", SHORT_PREFIX_MESSAGE),  # a combining accent is no second letter
    ],
)
def test_a_bare_star_or_a_one_letter_prefix_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidQuery, match=re.escape(message)):
        build_fts_query(text)


@pytest.mark.parametrize("text", ["", "   ", '""', "- -- ---", "😀 🛒", "\x00\x01", "( ) :"])
def test_nothing_to_search(text: str) -> None:
    with pytest.raises(InvalidQuery, match=re.escape(EMPTY_MESSAGE)):
        build_fts_query(text)


@pytest.mark.parametrize("text", ["-prime", '-"prime day"', "-a -b", "-a OR -b"])
def test_only_exclusions(text: str) -> None:
    with pytest.raises(InvalidQuery, match=re.escape(ONLY_EXCLUSIONS_MESSAGE)):
        build_fts_query(text)


def test_terms_are_the_positive_words_and_phrases() -> None:
    query = build_fts_query('amazon "prime day" -temu OR shein')
    assert query.terms == ("amazon", "prime day", "shein")


def test_term_count_and_length_are_bounded() -> None:
    query = build_fts_query(" ".join(f"w{i}" for i in range(100)))
    assert len(query.terms) == MAX_TERMS
    long = build_fts_query("x" * 10_000)
    assert long.terms == ("x" * MAX_TERM_CHARS,)


def test_unicode_words_are_kept() -> None:
    assert build_fts_query("café 東京 Ünïcödé").terms == ("café", "東京", "Ünïcödé")


_TERM = re.compile(r'"(?:[^"]|"")*"\*?')

# Arbitrary text, plus text built from the pieces of FTS5 syntax a user might type.
_SYNTAX = st.sampled_from(
    ['"', "-", "*", "^", ":", "(", ")", "{", "}", "+", "OR", "AND", "NOT", "NEAR", "NEAR(",
     "title:", "amazon", "temu", "-x", '"a b"', "é", "😀", "\x00", "\u200b", "", " "]
)  # fmt: skip
USER_TEXT = st.one_of(
    st.text(), st.lists(_SYNTAX, max_size=20).map(" ".join), st.lists(_SYNTAX).map("".join)
)


@settings(max_examples=300, deadline=None)
@given(USER_TEXT)
def test_any_text_becomes_strings_and_operators_or_is_rejected(text: str) -> None:
    try:
        query = build_fts_query(text)
    except InvalidQuery:
        return
    # Remove every quoted string: only the builder's own operators may remain.
    skeleton = _TERM.sub("S", query.expression)
    for operator in ("AND", "OR", "NOT"):
        skeleton = skeleton.replace(operator, "")
    assert set(skeleton) <= set("S() ")
    assert "\x00" not in query.expression
    assert 1 <= len(query.terms) <= MAX_TERMS


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    """A throwaway FTS5 table (stdlib sqlite3) to prove that expressions are valid syntax."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5 (title, summary, tags)")
    connection.execute("INSERT INTO t VALUES ('amazon tariffs', 'temu shein', 'x')")
    yield connection
    connection.close()


@pytest.mark.parametrize(
    "text",
    [
        "amazon",
        "temu OR shein tariffs",
        'a OR b "c d" -e -"f g"',
        "(a OR b",
        "x NEAR y",
        'amaz* OR "c de"* -ef*',
    ],
)
def test_expressions_are_valid_fts5(fts: sqlite3.Connection, text: str) -> None:
    expression = build_fts_query(text).expression
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()
    # Storage wraps the expression in a column filter.
    wrapped = f"{{title summary}} : ({expression})"
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (wrapped,)).fetchall()


def test_or_group_then_word_matches(fts: sqlite3.Connection) -> None:
    expression = build_fts_query("temu OR walmart amazon").expression
    assert fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall() == [(1,)]


@settings(max_examples=300, deadline=None)
@given(USER_TEXT)
def test_any_text_is_valid_fts5_or_rejected(fts: sqlite3.Connection, text: str) -> None:
    try:
        expression = build_fts_query(text).expression
    except InvalidQuery:
        return
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (f"{{title summary}} : ({expression})",))
