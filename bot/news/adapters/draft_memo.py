"""The drafts of each feed's last parse, kept so that a poll reads only what changed.

Why: most of a feed document is the same from one poll to the next (a few new items on top of
the ones seen before), and turning one entry into an ``ItemDraft`` (its text made plain, its
links resolved and made canonical, its hash) is about 60% of what parsing it costs. A parser
worker keeps, per feed URL, the entries it read the last time with their drafts, and takes a
draft back when the same entry comes again: on ``benchmarks/ingest.py``'s incremental poll (40
feeds of 55 entries, 5 of them new) that halves the CPU of parsing a document the worker saw.

An entry is looked up by its raw id (else its raw link) and reused only when it is equal, value
for value, to the one remembered (what the XML reader made of it: every value a draft is built
from), read at the same URL (relative links resolve against it). A draft is a pure function of
those two and of ``now``, which only bounds plausible dates: the caller checks the date again
on every reuse (``feed_parse._remembered_draft``). Comparing costs microseconds where building costs
about a hundred, and a first parse pays only for keeping the entries.

Memory is bounded: the entries and drafts of the last parse of at most ``max_drafts`` entries
and about ``max_chars`` characters of text in all, the feeds parsed longest ago forgotten
first; an entry with more text than ``MAX_ENTRY_CHARS`` (a full article in content:encoded) is
not remembered. The lock makes one memo safe to share
between threads (the pool's thread mode).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from bot.news.model.vocabulary import ItemDraft

__all__ = ["DraftMemo", "FeedDrafts"]

DEFAULT_MAX_DRAFTS = 10_000
"""Entries remembered in all, with their drafts: a few KB each (a summary is at most 1,000
characters, the entry's text as the feed wrote it)."""

DEFAULT_MAX_CHARS = 40_000_000
"""Characters of entry text remembered in all (a character is 1-4 bytes in memory)."""

MAX_ENTRY_CHARS = 50_000
"""An entry with more text than this is read again each time rather than kept."""

_Remembered = dict[str, tuple[Mapping[str, Any], ItemDraft]]


def _chars(entry: Mapping[str, Any]) -> int:
    """About how many characters of text ``entry`` holds: its title, summary and contents (where
    long text is; the other values are short, and scanning them all cost more than the rest
    of remembering an entry)."""
    chars = 0
    for field in ("title", "summary"):
        value = entry.get(field)
        if isinstance(value, str):
            chars += len(value)
    contents = entry.get("content")
    if isinstance(contents, list):
        for content in contents:
            if isinstance(content, Mapping):
                value = content.get("value")
                chars += len(value) if isinstance(value, str) else 0
    return chars


def _handle(entry: Mapping[str, Any]) -> str | None:
    """What an entry is looked up by: its raw id, else its raw link (None: not remembered)."""
    for field in ("id", "link"):
        # dict.get: FeedParserDict.get remaps some keys (see ``feed_parse._get``).
        value = dict.get(entry, field) if isinstance(entry, dict) else entry.get(field)
        if isinstance(value, str) and value:
            return value
    return None


class FeedDrafts:
    """One parse of one feed: the entries and drafts of its last parse, and this parse's."""

    __slots__ = ("_before", "chars", "drafts", "reused")

    def __init__(self, before: _Remembered) -> None:
        self._before = before
        self.drafts: _Remembered = {}
        self.reused = 0
        self.chars = 0  # of the entries in ``drafts``

    def draft(
        self, entry: Mapping[str, Any], build: Callable[[], ItemDraft | None]
    ) -> tuple[ItemDraft | None, bool]:
        """The draft of ``entry`` and True when it is the one built for an equal entry last
        time; else ``build()`` and False."""
        handle = _handle(entry)
        if handle is None:
            return build(), False
        known = self._before.get(handle)
        if known is not None and known[0] == entry:
            self._keep(handle, entry, known[1])
            self.reused += 1
            return known[1], True
        draft = build()
        if draft is not None:
            self._keep(handle, entry, draft)
        return draft, False

    def _keep(self, handle: str, entry: Mapping[str, Any], draft: ItemDraft) -> None:
        # The first of two entries with one id is kept: a document repeats an item rarely.
        if handle in self.drafts:
            return
        chars = _chars(entry)
        if chars <= MAX_ENTRY_CHARS:
            self.drafts[handle] = (entry, draft)
            self.chars += chars


class DraftMemo:
    """Per feed URL, the entries and drafts of its last parse (see the module docstring)."""

    def __init__(
        self, max_drafts: int = DEFAULT_MAX_DRAFTS, max_chars: int = DEFAULT_MAX_CHARS
    ) -> None:
        self._max = max_drafts
        self._max_chars = max_chars
        # Per URL: its entries and drafts, and the characters of text they hold.
        self._by_url: dict[str, tuple[_Remembered, int]] = {}
        self._count = 0
        self._chars = 0
        self._lock = threading.Lock()
        # Drafts taken back, over this memo's life (tests and benchmarks look).
        self.reused = 0

    def begin(self, url: str) -> FeedDrafts:
        """Start a parse of ``url``; ``finish`` it with the result. Until then (or if the parse
        fails) the URL has nothing remembered."""
        with self._lock:
            before, chars = self._by_url.pop(url, ({}, 0))
            self._count -= len(before)
            self._chars -= chars
        return FeedDrafts(before)

    def finish(self, url: str, parse: FeedDrafts) -> None:
        """Remember this parse's entries and drafts for the next parse of ``url``."""
        with self._lock:
            self._forget(url)  # a parse of the same URL that ran alongside
            self._by_url[url] = (parse.drafts, parse.chars)
            self._count += len(parse.drafts)
            self._chars += parse.chars
            self.reused += parse.reused
            # Dicts keep insertion order: the first URL is the one parsed longest ago.
            while (self._count > self._max or self._chars > self._max_chars) and self._by_url:
                self._forget(next(iter(self._by_url)))

    def _forget(self, url: str) -> None:
        drafts, chars = self._by_url.pop(url, ({}, 0))
        self._count -= len(drafts)
        self._chars -= chars

    def __len__(self) -> int:
        """How many entries are remembered."""
        return self._count
