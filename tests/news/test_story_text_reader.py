"""Half of a big batch's text read in a second process gives the features read here, and
the reader never outlives its owner or a failure."""

from __future__ import annotations

import os
import signal
from dataclasses import replace

import pytest

from bot.news.adapters import text_reader
from bot.news.adapters.parent_watch import alive
from bot.news.adapters.text_reader import SPLIT_FROM, TextReader
from bot.news.stories.features import Featurizer
from bot.news.stories.model import StoryConfig
from tests.news import story_corpus

_WAIT = 60.0  # a generous ceiling for a fresh interpreter to import the feature code


def _reader() -> tuple[TextReader, Featurizer]:
    if text_reader._cores() < 2:
        pytest.skip("one core: the reader is never started")
    config = StoryConfig()
    featurizer = Featurizer(config)
    return TextReader(config, featurizer), featurizer


def test_the_reader_reads_what_the_worker_would() -> None:
    items = [labelled.item for labelled in story_corpus.load()][: 2 * SPLIT_FROM + 1]
    reader, featurizer = _reader()
    try:
        texts = reader.read(items, _WAIT)
        assert reader.pid is not None and texts is not None
        assert texts == {item.item_id: featurizer.extract(item, "") for item in items}
        # A small batch is read as usual, by the clusterer.
        assert reader.read(items[: SPLIT_FROM - 1], _WAIT) is None
    finally:
        pid = reader.pid
        reader.close()
    assert pid is not None and not alive(pid)


def test_a_killed_reader_is_read_for_and_never_used_again() -> None:
    items = [labelled.item for labelled in story_corpus.load()][: 2 * SPLIT_FROM]
    reader, featurizer = _reader()
    try:
        assert reader.read(items, _WAIT) is not None
        pid = reader.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        # Either its half is read here, or (the pipe found closed first) the whole batch is
        # left to the clusterer.
        texts = reader.read(items, _WAIT)
        assert texts is None or texts == {
            item.item_id: featurizer.extract(item, "") for item in items
        }
        assert reader.pid is None
        assert reader.read(items, _WAIT) is None
    finally:
        reader.close()


def test_a_streamed_batch_keeps_the_reader_in_step() -> None:
    """Features asked for one by one are the ones read here; answers nobody asked for (items
    the clusterer held already) are received by ``finish``, so the next batch's answers are
    that batch's."""
    items = [labelled.item for labelled in story_corpus.load()][: 3 * text_reader.CHUNK + 7]
    reader, featurizer = _reader()
    try:
        streamed = reader.stream(items, None, _WAIT)
        assert streamed is not None and len(streamed) == len(items)
        for item in items[: len(items) // 3]:
            assert streamed[item.item_id] == featurizer.extract(item, "")
        assert streamed.get(-1) is None
        streamed.finish()
        later = list(reversed(items))
        assert reader.read(later, _WAIT) == {
            item.item_id: featurizer.extract(item, "") for item in later
        }
    finally:
        reader.close()


def test_what_the_reader_works_out_of_headlines_weighs_the_same() -> None:
    """The companies' weights, round-up and preview flags the reader works out beside the text
    (``TitleFacts``) are the worker's own, keyed by the item's strings, and weighing with them
    prepares each item as weighing without them does; facts worked out for other companies are
    not used."""
    items = [labelled.item for labelled in story_corpus.load()][: 2 * SPLIT_FROM]
    tagged = [
        replace(item, companies=("amazon", "temu") if i % 3 else ("walmart",))
        for i, item in enumerate(items)
    ]
    reader, featurizer = _reader()
    try:
        texts = reader.read(tagged, _WAIT)
        assert texts is not None
        # The first step's items are read here, as the clusterer asks for them: without facts.
        assert sum(texts[item.item_id].facts is None for item in tagged) == text_reader.CHUNK
        for item in tagged:
            text = texts[item.item_id]
            if text.facts is not None:
                assert text.facts == featurizer.title_facts(text, item.companies)
                assert all(any(k is c for c in item.companies) for k in text.facts.companies)
            plain = featurizer.extract(item, "")
            assert plain.facts is None
            for other in (item, replace(item, companies=("shein",))):
                with_facts = featurizer.weigh(text, other, None, lambda _: 1.5)
                without = featurizer.weigh(plain, other, None, lambda _: 1.5)
                assert with_facts.encode() == without.encode()
                assert with_facts.terms == without.terms
    finally:
        reader.close()
