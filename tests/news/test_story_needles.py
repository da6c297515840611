"""Needles (a regex's substrings one of which every match holds) and the event phrases' test
by them: a text without a needle is not read by the phrase's regex, so a needle missing from
a match would change what a text says."""

from __future__ import annotations

import re

import pytest

from bot.news.stories import wording
from bot.news.stories.lexicon import EVENT_PHRASES
from bot.news.stories.needles import needles
from tests.news import story_corpus


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"step(?:s|ping)? down", {"step down", "steps down", "stepping down"}),
        (r"f(?:a|e)ll short", {"fall short", "fell short"}),
        (r"(?<=price )cuts?", {"cut", "cuts"}),
        (r"tritt (?:\w+ )?zurück", {"tritt ", "tritt zurück"}),
        (r"[$€]\d", {"$", "€"}),
        (r"go-ahead|class action", {"go-ahead", "class action"}),
    ],
)
def test_needles_are_what_every_match_starts_with(pattern: str, expected: set[str]) -> None:
    assert needles(pattern) == frozenset(expected)


@pytest.mark.parametrize("pattern", [r"\w+ deal", r"(?i)deal", r"deal|.*", r"[^a]bc", r"(a"])
def test_no_needles_when_a_match_may_hold_none(pattern: str) -> None:
    assert needles(pattern) is None


def _texts() -> list[str]:
    items = [labelled.item for labelled in story_corpus.load()]
    texts = [text.lower() for item in items for text in (item.title, item.summary)]
    # What each phrase's own words look like in a text (the patterns' literal runs).
    texts += [re.sub(r"[^a-z ]+", " ", pattern) for _, _, pattern in EVENT_PHRASES]
    return [text for text in texts if text.isascii()]


def test_every_phrase_match_holds_one_of_its_needles() -> None:
    samples = [
        "amazon steps down as ceo",
        "temu cuts prices in france",
        "shein goes public in hong kong",
        "price cuts at walmart",
        "otto gets the green-light for its merger",
        "zalando fell short of estimates",
        *_texts(),
    ]
    checked = 0
    for index, (_, _, pattern) in enumerate(EVENT_PHRASES):
        regex, wanted = wording._lower_phrases(index)
        assert wanted == needles(pattern)
        for text in samples:
            if regex.search(text) is not None:
                checked += 1
                assert wanted is None or any(needle in text for needle in wanted), (pattern, text)
    assert checked >= 6


def test_event_tokens_read_phrases_after_the_needles_test() -> None:
    assert wording.event_tokens("Shopify CEO steps down after a year") == [
        "shopify",
        "ceo",
        "resign",
        "after",
        "a",
        "year",
    ]
    # A hint word without its phrase: the text is read as it stands.
    assert wording.event_tokens("The latest step in a year") == wording.tokens(
        "The latest step in a year"
    )
