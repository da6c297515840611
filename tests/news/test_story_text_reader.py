"""Half of a big batch's text read in a second process gives the features read here, and
the reader never outlives its owner or a failure."""

from __future__ import annotations

import os
import signal

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
