"""Whole-word matches of a large alternation, found without a lookbehind in front of it.

Both taggers find their phrases with one regex each, a trie of every phrase with a word
boundary before it. Written as a lookbehind (``(?<!\\w)(?:trie)``), the pattern gives Python's
regex engine nothing to skip ahead on: it enters the pattern at every position of the text and
runs the lookbehind there, most of a scan's cost on long summaries. Written as "a character that
may come before a word, then the trie" (``\\W(?:trie)``), the pattern starts with a character
set, and the engine looks for the next such character in a tight C loop, entering the pattern
only there. ``word_spans`` turns the matches of that form back into the spans the lookbehind
form finds, in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["word_spans"]


def word_spans(regex: re.Pattern[str], text: str, before_start: str) -> Iterator[tuple[int, int]]:
    """The spans in ``text`` that ``(?<!B)P`` finds, given ``regex`` compiled from ``[^B]P``
    (one character outside the lookbehind's class ``B``, then the same pattern ``P``).

    ``before_start`` is a character of that class standing for the text's start (where the
    lookbehind holds too). Each next search starts at the last character of the match before,
    which may itself come before the next match ("alexa+amazon"): so no span is lost that the
    lookbehind form finds right after another, and none overlaps the one before, as with
    ``finditer``. (Both taggers refuse a phrase that matches the empty string; one would still
    not stall the scan.)
    """
    search = regex.search
    padded = before_start + text
    position = 0
    while (match := search(padded, position)) is not None:
        start = match.start()
        end = match.end() - 1  # in ``text``: one character was put in front
        yield start, end
        position = end if end > start else start + 1
