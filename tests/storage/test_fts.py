"""The FTS5 renderer: the core's parsed query in, a safe MATCH expression out.

The expectations are those the query builder had when it made FTS5 text itself: the same user
syntax must still give the very same expression.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.news.model.errors import InvalidQuery
from bot.news.model.vocabulary import AnyOf, SearchQuery, SearchTerm
from bot.news.rules.search_query import MAX_TERMS, parse_query
from storage.fts import match_expression, render


def fts_query(text: str) -> str:
    return render(parse_query(text))


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
    assert fts_query(text) == expression


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
    assert fts_query(text) == expression


def test_unbalanced_quote_is_dropped() -> None:
    assert fts_query('"unbalanced phrase') == '"unbalanced" AND "phrase"'
    assert fts_query('"ok phrase" "tail') == '"ok phrase" AND "tail"'


def test_adjacent_quotes_split_terms() -> None:
    assert fts_query('say "hi""there"') == '"say" AND "hi" AND "there"'


def test_control_characters_are_separators() -> None:
    # A NUL inside an FTS5 string is a syntax error ("unterminated string").
    assert fts_query("x\x00y\u200bz") == '"x" AND "y" AND "z"'


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
    assert fts_query(text) == expression


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
        query = parse_query(text)
    except InvalidQuery:
        return
    expression = render(query)
    # Remove every quoted string: only the renderer's own operators may remain.
    skeleton = _TERM.sub("S", expression)
    for operator in ("AND", "OR", "NOT"):
        skeleton = skeleton.replace(operator, "")
    assert set(skeleton) <= set("S() ")
    assert "\x00" not in expression
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
    expression = fts_query(text)
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()
    # Storage wraps the expression in a column filter.
    wrapped = f"{{title summary}} : ({expression})"
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (wrapped,)).fetchall()


def test_or_group_then_word_matches(fts: sqlite3.Connection) -> None:
    expression = fts_query("temu OR walmart amazon")
    assert fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall() == [(1,)]


@settings(max_examples=300, deadline=None)
@given(USER_TEXT)
def test_any_text_is_valid_fts5_or_rejected(fts: sqlite3.Connection, text: str) -> None:
    try:
        expression = fts_query(text)
    except InvalidQuery:
        return
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (f"{{title summary}} : ({expression})",))


def test_filters_are_tag_strings_after_the_user_expression() -> None:
    query = parse_query("temu OR shein -prime")
    assert match_expression(query) == '(("temu" OR "shein")) NOT ("prime")'
    assert (
        match_expression(query, all_tags=["\ue000f1", 'c"x'], any_tags=["\ue000m1", "\ue000m2"])
        == '((("temu" OR "shein")) NOT ("prime")) AND "\ue000f1" AND "c""x"'
        ' AND ("\ue000m1" OR "\ue000m2")'
    )
    assert match_expression(parse_query("a1"), any_tags=["m"]) == '("a1") AND ("m")'


def test_a_hand_made_term_is_cleaned_and_quoted() -> None:
    # parse_query leaves no control or private-use character; a query made otherwise might.
    query = SearchQuery(
        all_of=(AnyOf((SearchTerm('x\x00"y', prefix=True), SearchTerm("\ue000f1"))),),
        excluded=(SearchTerm("a\u200bb", phrase=True),),
    )
    assert render(query) == '(("x ""y"* OR " f1")) NOT ("a b")'


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=4), st.lists(st.text(), max_size=3))
def test_any_hand_made_query_is_valid_fts5(
    fts: sqlite3.Connection, words: list[str], excluded: list[str]
) -> None:
    query = SearchQuery(
        all_of=tuple(AnyOf((SearchTerm(w), SearchTerm(w, prefix=True))) for w in words),
        excluded=tuple(SearchTerm(w) for w in excluded),
    )
    expression = match_expression(query, all_tags=["\ue000f1"])
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()
