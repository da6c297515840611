"""At most ``MAX_TAGS`` categories per entry, on both parsing paths.

feedparser keeps an entry's categories in a list and adds one only if no equal one is in it
yet: a walk of the list per category, quadratic in one item's categories (8,000 distinct
``<category>`` took 1.6 s of CPU, 30,000 the parse worker's whole 10 s limit; a 10 MB document
holds 400,000). ``feed_parse`` keeps 10 of them (``MAX_CATEGORIES``), so both paths stop
adding at ``MAX_TAGS`` distinct ones: ``fast_feed`` in its own ``_add_tag`` and feedparser
through ``install``, which wraps its mixin's. The kept categories are the same unless the first
100 hold fewer than 10 usable ones, which no real feed does.
"""

from __future__ import annotations

from typing import Any

import feedparser.mixin

__all__ = ["MAX_TAGS", "install"]

MAX_TAGS = 100
"""Distinct categories read per entry (or per feed) at most."""

_Mixin: Any = feedparser.mixin._FeedParserMixin


def install() -> None:
    """Make feedparser's parsers stop adding an entry's categories at ``MAX_TAGS``."""
    original = _Mixin._add_tag
    if getattr(original, "capped", False):
        return

    def add_tag(self: Any, term: Any, scheme: Any, label: Any) -> None:
        tags = self._get_context().get("tags")
        if tags is not None and len(tags) >= MAX_TAGS:
            return
        original(self, term, scheme, label)

    add_tag.capped = True  # type: ignore[attr-defined]
    _Mixin._add_tag = add_tag
