"""``word_spans`` finds what the taggers' lookbehind patterns found, span for span, in order."""

from __future__ import annotations

import functools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.news.tagging import company_tagger
from bot.news.tagging.company_tagger import Tagger
from bot.news.tagging.topics import TopicTagger
from bot.news.tagging.word_scan import word_spans

_GLUE = [" ", "  ", "-", "+", "(", ")", ".", "!", "$", "€", "/", "_", "\n", "x", "1", "é", "ジ"]


@functools.cache
def _company_patterns() -> tuple[re.Pattern[str], re.Pattern[str], list[str]]:
    """The shipped table's scan pattern, the lookbehind pattern it replaced, its aliases."""
    tagger = Tagger.default()
    scan = tagger._compiled().ascii
    body = scan.pattern.removeprefix(company_tagger._BEFORE_WORD)
    assert body != scan.pattern
    old = re.compile(company_tagger._WORD_START + body)
    return scan, old, sorted(tagger._entries)


@functools.cache
def _topic_patterns() -> tuple[re.Pattern[str], re.Pattern[str], list[str]]:
    matcher = TopicTagger.default()._compiled()
    body = matcher.regex.pattern.removeprefix(r"\W")
    assert body != matcher.regex.pattern
    return matcher.regex, re.compile(r"(?<!\w)" + body), sorted(matcher.phrases)


def _texts(phrases: list[str]) -> st.SearchStrategy[str]:
    pieces = st.one_of(st.sampled_from(phrases), st.sampled_from(_GLUE))
    return st.lists(pieces, max_size=25).map("".join)


def _same(scan: re.Pattern[str], old: re.Pattern[str], text: str, pad: str) -> None:
    assert list(word_spans(scan, text, pad)) == [m.span() for m in old.finditer(text)]


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_company_aliases_are_found_where_the_lookbehind_found_them(data: st.DataObject) -> None:
    scan, old, aliases = _company_patterns()
    _same(scan, old, data.draw(_texts(aliases)), "\n")


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_topic_phrases_are_found_where_the_lookbehind_found_them(data: st.DataObject) -> None:
    scan, old, phrases = _topic_patterns()
    _same(scan, old, data.draw(_texts(phrases)), " ")


def test_a_match_right_after_one_that_ends_in_punctuation() -> None:
    # The next scan starts on the last character of a match: "+" comes before "(shop)".
    scan, old, _ = _company_patterns()
    for text in ("alexa+(shop)", "amazon", "(amazon)", "xamazon amazon", "amazon-amazon", ""):
        _same(scan, old, text, "\n")
    assert list(word_spans(scan, "alexa+(shop)", "\n")) == [(0, 6), (6, 12)]


def test_an_empty_match_does_not_stall_the_scan() -> None:
    assert list(word_spans(re.compile(r"\W(?:a?)"), "b c", " ")) == [(0, 0), (2, 2)]
