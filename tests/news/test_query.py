"""The pure query parser: user text in, a backend-neutral SearchQuery out.

How storage renders it (the FTS5 expressions) is tested in tests/storage/test_fts.py.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.news.model.errors import InvalidQuery
from bot.news.model.vocabulary import AnyOf, SearchQuery, SearchTerm
from bot.news.rules.search_query import (
    BARE_STAR_MESSAGE,
    EMPTY_MESSAGE,
    MAX_TERM_CHARS,
    MAX_TERMS,
    ONLY_EXCLUSIONS_MESSAGE,
    SHORT_PREFIX_MESSAGE,
    parse_query,
)


def words(*texts: str) -> AnyOf:
    return AnyOf(tuple(SearchTerm(text) for text in texts))


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("  amazon   tariff ", SearchQuery((words("amazon"), words("tariff")))),
        (
            '"  de   minimis  " rules',
            SearchQuery((AnyOf((SearchTerm("de minimis", phrase=True),)), words("rules"))),
        ),
        ("temu OR shein tariff", SearchQuery((words("temu", "shein"), words("tariff")))),
        (
            'amazon -prime -"prime day"',
            SearchQuery(
                (words("amazon"),),
                excluded=(SearchTerm("prime"), SearchTerm("prime day", phrase=True)),
            ),
        ),
        ("a OR -b OR c", SearchQuery((words("a"), words("c")), excluded=(SearchTerm("b"),))),
        ("temu or shein", SearchQuery((words("temu"), words("or"), words("shein")))),
        ("e-commerce NEAR(x", SearchQuery((words("e-commerce"), words("NEAR(x")))),
        (
            'amaz*** "tiktok sh*" -"prime da"*',
            SearchQuery(
                (
                    AnyOf((SearchTerm("amaz", prefix=True),)),
                    AnyOf((SearchTerm("tiktok sh", phrase=True, prefix=True),)),
                ),
                excluded=(SearchTerm("prime da", phrase=True, prefix=True),),
            ),
        ),
        (
            'say "hi""there',  # the unbalanced quote is dropped
            SearchQuery((words("say"), AnyOf((SearchTerm("hi", phrase=True),)), words("there"))),
        ),
        ("x\x00y\ue000z", SearchQuery((words("x"), words("y"), words("z")))),
    ],
)
def test_structure(text: str, query: SearchQuery) -> None:
    assert parse_query(text) == query


def test_a_query_always_has_something_to_look_for() -> None:
    with pytest.raises(ValueError):
        SearchQuery(all_of=(), excluded=(SearchTerm("prime"),))
    with pytest.raises(ValueError):
        AnyOf(())


def test_prefix_terms_show_their_star() -> None:
    assert parse_query('amaz* "tiktok sh"* -pri*').terms == ("amaz*", "tiktok sh*")


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
        parse_query(text)


@pytest.mark.parametrize("text", ["", "   ", '""', "- -- ---", "😀 🛒", "\x00\x01", "( ) :"])
def test_nothing_to_search(text: str) -> None:
    with pytest.raises(InvalidQuery, match=re.escape(EMPTY_MESSAGE)):
        parse_query(text)


@pytest.mark.parametrize("text", ["-prime", '-"prime day"', "-a -b", "-a OR -b"])
def test_only_exclusions(text: str) -> None:
    with pytest.raises(InvalidQuery, match=re.escape(ONLY_EXCLUSIONS_MESSAGE)):
        parse_query(text)


def test_terms_are_the_positive_words_and_phrases() -> None:
    query = parse_query('amazon "prime day" -temu OR shein')
    assert query.terms == ("amazon", "prime day", "shein")


def test_term_count_and_length_are_bounded() -> None:
    query = parse_query(" ".join(f"w{i}" for i in range(100)))
    assert len(query.terms) == MAX_TERMS
    long = parse_query("x" * 10_000)
    assert long.terms == ("x" * MAX_TERM_CHARS,)


def test_unicode_words_are_kept() -> None:
    assert parse_query("café 東京 Ünïcödé").terms == ("café", "東京", "Ünïcödé")


# Arbitrary text, plus text built from the pieces of syntax a user might type.
_SYNTAX = st.sampled_from(
    ['"', "-", "*", "^", ":", "(", ")", "{", "}", "+", "OR", "AND", "NOT", "NEAR", "NEAR(",
     "title:", "amazon", "temu", "-x", '"a b"', "é", "😀", "\x00", "\ue000", "\u200b", "", " "]
)  # fmt: skip
USER_TEXT = st.one_of(
    st.text(), st.lists(_SYNTAX, max_size=20).map(" ".join), st.lists(_SYNTAX).map("".join)
)


@settings(max_examples=300, deadline=None)
@given(USER_TEXT)
def test_any_text_becomes_clean_terms_or_is_rejected(text: str) -> None:
    try:
        query = parse_query(text)
    except InvalidQuery:
        return
    terms = [term for group in query.all_of for term in group.terms] + list(query.excluded)
    assert 1 <= len(query.terms) <= len(terms) <= MAX_TERMS
    for term in terms:
        assert term.text and term.text == term.text.strip()
        assert all(unicodedata.category(ch)[0] != "C" for ch in term.text)
        assert any(ch.isalnum() for ch in term.text)
