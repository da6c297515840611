"""The story clusterer's whole state in one blob, so that a restart restores it instead of
rebuilding it item by item.

A rebuild (``StoryClusterer.rebuild``) reads each held item's stored features (10,000 rows,
about 1 kB of text each), decodes them and adds them one by one: most of a second at 10,000
items. The state itself is what that rebuild computes, so it is stored as it is, after every
run that placed something:

- ``marshal`` (never ``pickle``: loading it runs no code): plain dicts, lists and numbers;
- each story's bulky part (centroid, key-term bags, sources, members) is a blob of its own,
  decoded only when the story is first read (``_StoredStory``): a placement reads a few
  candidate stories, not all of them, and an untouched story is written back as the blob it
  was read from;
- the postings, story of each item and the forgetting heap are read at once: every placement
  needs them.

A snapshot answers only for the placements it was taken with: ``restore`` takes the (item,
story) pairs stored now and refuses a snapshot that disagrees with any of them (a run saved
after it, a merge, another process's placements). The caller then rebuilds from the stored
features as before, so a stale or foreign snapshot costs time, never a different decision.
"""

from __future__ import annotations

import hashlib
import marshal
from array import array
from collections.abc import Iterable
from dataclasses import fields
from itertools import accumulate
from operator import attrgetter
from typing import Any

from bot.news.stories.clusterer import StoryClusterer, _Story
from bot.news.stories.features import READING, Prepared
from bot.news.stories.keyterms import KeyTerms
from bot.news.stories.model import StoryConfig

__all__ = ["StateEncoder", "agrees", "load", "restore"]

_LIGHT = ("story_id", "norm2", "first", "last", "seconds", "roundup", "size")
"""A story's fields read for every candidate search (when it ended, how big it is)."""
_CACHES = ("views", "merge_view")
"""A story's fields computed again when needed."""
_HEAVY = tuple(
    f.name for f in fields(_Story) if f.name not in _LIGHT + _CACHES and f.name != "members"
)
_PREPARED = tuple(f.name for f in fields(Prepared) if not f.name.startswith("_"))
_TERMS = tuple(f.name for f in fields(KeyTerms))

_MARSHAL = 4
_FORMAT = (
    b"cs1:"
    + hashlib.blake2b(repr((_MARSHAL, _LIGHT, _HEAVY, _PREPARED, _TERMS)).encode(), digest_size=6)
    .hexdigest()
    .encode()
)
"""The blob's version: a snapshot of classes with other fields is never read."""


class _StoredStory(_Story):
    """A restored story whose bulky fields are decoded when one is first read."""

    __slots__ = ("_stored",)

    def __init__(self, light: tuple[Any, ...], stored: bytes | memoryview) -> None:
        """``light``: the values of ``_LIGHT``, in order. The bulky fields stay unset:
        reading one calls ``__getattr__``."""
        story_id, norm2, first, last, seconds, roundup, size = light
        self.story_id, self.norm2, self.first, self.last = story_id, norm2, first, last
        self.seconds, self.roundup, self.size = seconds, roundup, size
        self.views = self.merge_view = None
        self._stored: bytes | memoryview | None = stored

    def __getattr__(self, name: str) -> Any:
        # Called only for a slot never set: the bulky fields of a story not decoded yet.
        if name == "_stored":
            raise AttributeError(name)
        stored = self._stored
        if stored is None or name not in _BULKY:
            raise AttributeError(name)
        self._stored = None
        _fill(self, stored)
        return getattr(self, name)


_BULKY = frozenset((*_HEAVY, "members"))


def _fill(story: _Story, stored: bytes | memoryview) -> None:
    *heavy, members = marshal.loads(stored)
    for name, value in zip(_HEAVY, heavy, strict=True):
        setattr(story, name, value)
    story.members = {record[0]: _prepared(record, story.centroid) for record in members}


def _prepared(record: tuple[Any, ...], centroid: dict[str, float]) -> Prepared:
    values = dict(zip(_PREPARED, record, strict=True))
    # A story of one report: its centroid is that report's features (stored once).
    if values["features"] is None:
        values["features"] = dict(centroid)
    values["terms"] = KeyTerms(*values["terms"])
    return Prepared(**values)


def _record(prepared: Prepared, story: _Story) -> tuple[Any, ...]:
    values = [getattr(prepared, name) for name in _PREPARED]
    features = _PREPARED.index("features")
    if story.size == 1 and prepared.features == story.centroid:
        values[features] = None
    terms = prepared.terms
    values[_PREPARED.index("terms")] = tuple(_plain(getattr(terms, name)) for name in _TERMS)
    return tuple(values)


def _plain(value: Any) -> Any:
    """``value`` as marshal takes it: a bag read from text is a ``Counter``, which it does
    not (one decoded from the stored form is a dict, as this gives)."""
    return dict(value) if isinstance(value, dict) and type(value) is not dict else value


class StateEncoder:
    """Encodes one clusterer's state; a story unchanged since the last call (same size: every
    addition grows it, and a story id is never used twice) is not encoded again."""

    def __init__(self) -> None:
        self._blobs: dict[int, tuple[int, bytes | memoryview]] = {}

    def encode(self, clusterer: StoryClusterer) -> bytes:
        """The state as one blob (``restore`` reads it): a header, then each story's blob."""
        stories = list(clusterer._stories.values())
        blobs = [self._blob(story) for story in stories]
        self._blobs = {
            story.story_id: (story.size, blob) for story, blob in zip(stories, blobs, strict=True)
        }
        header = marshal.dumps(
            (
                _settings(clusterer.config),
                clusterer._next_id,
                clusterer._newest,
                list(map(_light, stories)),
                array("q", map(len, blobs)).tobytes(),
                clusterer._postings,
                clusterer._story_of,
                clusterer._ends,
            ),
            _MARSHAL,
        )
        return b"".join((_FORMAT, len(header).to_bytes(8, "little"), header, *blobs))

    def _blob(self, story: _Story) -> bytes | memoryview:
        if isinstance(story, _StoredStory) and story._stored is not None:
            return story._stored
        cached = self._blobs.get(story.story_id)
        if cached is not None and cached[0] == story.size:
            return cached[1]
        heavy = [_plain(getattr(story, name)) for name in _HEAVY]
        members = tuple(_record(prepared, story) for prepared in story.members.values())
        return marshal.dumps((*heavy, members), _MARSHAL)


_light = attrgetter(*_LIGHT)


def restore(
    data: bytes,
    config: StoryConfig,
    placed: Iterable[tuple[int, int]],
    next_story_id: int,
) -> StoryClusterer | None:
    """``load``, and None also when the clusterer disagrees with ``placed`` (``agrees``)."""
    clusterer = load(data, config, next_story_id)
    return clusterer if clusterer is not None and agrees(clusterer, placed) else None


def agrees(clusterer: StoryClusterer, placed: Iterable[tuple[int, int]]) -> bool:
    """Whether ``clusterer`` holds every (item id, story id) pair of ``placed`` (each item
    stored in a story for the recent window), in that story."""
    story_of = clusterer._story_of
    return all(story_of.get(item_id) == story_id for item_id, story_id in placed)


def _settings(config: StoryConfig) -> str:
    return f"{config!r}|{READING}"


def load(data: bytes, config: StoryConfig, next_story_id: int) -> StoryClusterer | None:
    """The clusterer ``data`` holds, or None when it is of another format or settings, or
    damaged. New stories are numbered from ``next_story_id`` on, or after the snapshot's last,
    whichever is higher. Use it only if it ``agrees`` with the stories stored."""
    if not data.startswith(_FORMAT):
        return None
    view = memoryview(data)
    start = len(_FORMAT) + 8
    try:
        end = start + int.from_bytes(view[len(_FORMAT) : start], "little")
        header = marshal.loads(view[start:end])
        settings, next_id, newest, light, sizes, postings, story_of, ends = header
        lengths = array("q")
        lengths.frombytes(sizes)
    except (EOFError, ValueError, TypeError):
        return None
    # A state made with other settings (a window, a threshold) or from text read under other
    # rules (an upgrade's word lists) is not this clusterer's.
    if (
        settings != _settings(config)
        or len(lengths) != len(light)
        or end + sum(lengths) != len(data)
    ):
        return None
    clusterer = StoryClusterer(config, next_story_id=max(next_id, next_story_id))
    clusterer._newest = newest
    clusterer._postings = postings
    clusterer._story_of = story_of
    clusterer._ends = ends
    # Each story keeps a slice of ``data`` (no copy) until it is first read.
    offsets = accumulate(lengths, initial=end)
    clusterer._stories = {
        values[0]: _StoredStory(values, view[offset : offset + length])
        for values, offset, length in zip(light, offsets, lengths, strict=False)
    }
    return clusterer
