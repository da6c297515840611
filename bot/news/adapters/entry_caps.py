"""At most ``MAX_REPEATS`` of each repeatable element per entry, on both parsing paths.

feedparser keeps every ``<link>``, ``<enclosure>``, ``<author>``, ``<category>``,
``<media:content>``... of an entry, each through a handler that costs 50-100 us of pure
Python: one item with 20,000 of them took 1-3 s of CPU, and a 10 MB document holds ten
times as many, past the parse worker's time limit. ``feed_parse`` reads one link, one author,
one image and 10 categories from an entry, so elements past the first 100 of a kind
can never change a draft in a real feed (none of the corpora has more than a few dozen of any
kind in one item) while a hostile one is cut off at what a hundred cost.

The cap is applied as early as each parser allows: feedparser (strict and loose alike)
drops the 101st element of a kind and everything inside it at its first event, before any
handler, namespace or attribute work (``install`` wraps its mixin's tag and text callbacks);
``fast_feed`` skips the same children of its (already C-built) tree without reading them.
Kinds are feedparser's handler names (``dc_creator``, ``media_content``), which
``fast_feed._Reader._name`` reproduces, so both paths drop the same elements.
"""

from __future__ import annotations

from typing import Any

import feedparser.mixin
import feedparser.parsers.strict

__all__ = ["CAPPED_KINDS", "MAX_REPEATS", "install"]

MAX_REPEATS = 100
"""Elements of one kind read per entry at most."""

CAPPED_KINDS = frozenset(
    {
        "link",
        "enclosure",
        "author",
        "contributor",
        "dc_creator",
        "dc_author",
        "dc_contributor",
        "itunes_author",
        "category",
        "dc_subject",
        "itunes_category",
        "itunes_keywords",
        "media_category",
        "media_keywords",
        "media_content",
        "media_thumbnail",
    }
)
"""The elements that add to a list of the entry (links, authors, tags, media) each time."""

_Mixin: Any = feedparser.mixin._FeedParserMixin


def kind_of(tag: str, namespacemap: dict[str, str]) -> str:
    """The handler name feedparser's ``unknown_starttag`` gives ``tag`` (``dc:creator``)."""
    prefix, colon, suffix = tag.partition(":")
    if not colon:
        return tag
    prefix = namespacemap.get(prefix, prefix)
    return prefix + "_" + suffix if prefix else suffix


def install() -> None:
    """Make feedparser's parsers skip an entry's elements of a kind past ``MAX_REPEATS``."""
    if getattr(_Mixin.unknown_starttag, "capped", False):
        return
    start, end, data = _Mixin.unknown_starttag, _Mixin.unknown_endtag, _Mixin.handle_data
    charref, entityref = _Mixin.handle_charref, _Mixin.handle_entityref
    # Per parser instance (class defaults until first set): the skip in progress and the
    # counts of the entry (by its index in ``entries``) being read.
    _Mixin._skipping = 0  # strict: depth inside a skipped element; loose: in its text
    _Mixin._counted_entry = -1
    _Mixin._counts = None
    # SAX pairs every start with its end, so the strict parser skips whole subtrees. The loose
    # parser (malformed documents) gets tags as written, unclosed ones included: skipping up
    # to an end that never comes would lose the rest of the document, so it drops only the
    # capped elements' own tags and text and still reads what they enclose.
    feedparser.parsers.strict._StrictFeedParser._balanced = True
    _Mixin._balanced = False

    def unknown_starttag(self: Any, tag: str, attrs: Any) -> Any:
        if self._balanced:
            if self._skipping:
                self._skipping += 1
                return None
        else:
            self._skipping = 0
        if self.inentry and not self.incontent and _over_cap(self, tag, opening=True):
            self._skipping = 1
            return None
        return start(self, tag, attrs)

    def unknown_endtag(self: Any, tag: str) -> Any:
        if self._balanced:
            if self._skipping:
                self._skipping -= 1
                return None
        else:
            self._skipping = 0
            if self.inentry and not self.incontent and _over_cap(self, tag, opening=False):
                return None
        return end(self, tag)

    def handle_data(self: Any, text: str, escape: int = 1) -> Any:
        return None if self._skipping else data(self, text, escape)

    def handle_charref(self: Any, ref: str) -> Any:
        return None if self._skipping else charref(self, ref)

    def handle_entityref(self: Any, ref: str) -> Any:
        return None if self._skipping else entityref(self, ref)

    unknown_starttag.capped = True  # type: ignore[attr-defined]
    _Mixin.unknown_starttag = unknown_starttag
    _Mixin.unknown_endtag = unknown_endtag
    _Mixin.handle_data = handle_data
    _Mixin.handle_charref = handle_charref
    _Mixin.handle_entityref = handle_entityref


def _over_cap(parser: Any, tag: str, *, opening: bool) -> bool:
    """Count ``tag`` for the current entry; True when it is past its kind's ``MAX_REPEATS``.

    Start tags count as read; in the loose parser an end tag past as many as were read
    closes a skipped element (ends match the read starts first).
    """
    kind = kind_of(tag, parser.namespacemap)
    if kind not in CAPPED_KINDS:
        return False
    entry = len(parser.entries)
    if parser._counted_entry != entry or parser._counts is None:
        parser._counted_entry, parser._counts = entry, {}
    counts: dict[tuple[str, bool], int] = parser._counts
    seen = counts.get((kind, opening), 0)
    limit = MAX_REPEATS if opening else counts.get((kind, True), 0)
    if seen >= limit:
        return True
    counts[(kind, opening)] = seen + 1
    return False
