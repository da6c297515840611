"""The pure FTS5 query builder: user text in, safe MATCH expression out."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.news.errors import InvalidQuery
from bot.news.query import (
    EMPTY_MESSAGE,
    MAX_TERM_CHARS,
    MAX_TERMS,
    ONLY_EXCLUSIONS_MESSAGE,
    build_fts_query,
)


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("amazon", '"amazon"'),
        ("  amazon   tariff ", '"amazon" "tariff"'),
        ('"de minimis" rules', '"de minimis" "rules"'),
        ('"  de   minimis  "', '"de minimis"'),
        ("temu OR shein", '("temu" OR "shein")'),
        ("temu OR shein tariff", '("temu" OR "shein") "tariff"'),
        ("a OR b OR c", '("a" OR "b" OR "c")'),
        ("amazon -prime", '("amazon") NOT ("prime")'),
        ('amazon -prime -"prime day"', '("amazon") NOT ("prime" OR "prime day")'),
        # OR only joins two positive terms; dangling ones are ignored.
        ("OR amazon OR", '"amazon"'),
        ("a OR -b OR c", '("a" "c") NOT ("b")'),
        # Lower-case "or" is a word like any other.
        ("temu or shein", '"temu" "or" "shein"'),
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
        ("NEAR(a b)", '"NEAR(a" "b)"'),
        ("a AND b NOT c", '"a" "AND" "b" "NOT" "c"'),
        ("title:amazon", '"title:amazon"'),
        ("amaz*", '"amaz*"'),
        ("^start", '"^start"'),
        ("{title summary}: x", '"{title" "summary}:" "x"'),
        ("(a OR b", '("(a" OR "b")'),
        ("a + b", '"a" "b"'),
    ],
)
def test_fts_operators_are_only_text(text: str, expression: str) -> None:
    assert build_fts_query(text).expression == expression


def test_unbalanced_quote_is_dropped() -> None:
    assert build_fts_query('"unbalanced phrase').expression == '"unbalanced" "phrase"'
    assert build_fts_query('"ok phrase" "tail').expression == '"ok phrase" "tail"'


def test_adjacent_quotes_split_terms() -> None:
    assert build_fts_query('say "hi""there"').expression == '"say" "hi" "there"'


def test_control_characters_are_separators() -> None:
    # A NUL inside an FTS5 string is a syntax error ("unterminated string").
    assert build_fts_query("x\x00y\u200bz").expression == '"x" "y" "z"'


@pytest.mark.parametrize("text", ["", "   ", "***", '""', "- -- ---", "😀 🛒", "\x00\x01", "( ) :"])
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


_TERM = re.compile(r'"(?:[^"]|"")*"')


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_becomes_strings_and_operators_or_is_rejected(text: str) -> None:
    try:
        query = build_fts_query(text)
    except InvalidQuery:
        return
    # Remove every quoted string: only the builder's own operators may remain.
    skeleton = _TERM.sub("S", query.expression)
    assert set(skeleton.replace("OR", "").replace("NOT", "")) <= set("S() ")
    assert "\x00" not in query.expression
    assert 1 <= len(query.terms) <= MAX_TERMS
