"""In which order, and in which steps, a batch of new items is placed in stories.

A batch is placed in publication order, ``STEP`` items at a time: each step is prepared (its
features weighted by the IDF of the stories held) just before it is placed, and the stories it
touched look for a merge after it. So a new user's first poll, a few thousand items stored feed
by feed, is placed as a running bot would have placed the same items as they came out.

Why: placed in one go, in the order they were stored, a cold batch went wrong in two ways.
Every item was weighted against an empty clusterer, where every word has the same IDF, so
"shares", "Amazon" and "fined" counted as much as the rare words that tell events apart; and
one outlet's items came one after another, so its look-alikes seeded stories that the other
outlets' reports of an event then joined. In leave-one-set-out CV over the nine labelled sets,
the "feeds" order (a cold first poll) had pairwise precision 0.958 on average and 0.899 at
worst against 0.972 and 0.936 in publication order (see ``benchmarks/stories_pairmodel.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from bot.news.model.vocabulary import utc
from bot.news.stories.model import StoryItem

__all__ = ["STEP", "steps", "when"]

# Items per step: the batch a running bot's assigner placed when the method was tuned (the
# "published" order's batches of 50). Smaller steps (25) did no better in CV.
STEP = 50


def when(item: StoryItem, now: datetime | None) -> float:
    """The item's publication time as the clusterer holds it: POSIX seconds, capped at
    ``now`` (``Featurizer.weigh`` caps it the same way)."""
    published = utc(item.published)
    if now is not None and published > utc(now):
        published = utc(now)
    return published.timestamp()


def steps(fresh: Sequence[StoryItem], now: datetime | None) -> Iterator[Sequence[StoryItem]]:
    """``fresh`` in publication order (ties by item id), ``STEP`` items at a time."""
    ordered = sorted(fresh, key=lambda item: (when(item, now), item.item_id))
    for start in range(0, len(ordered), STEP):
        yield ordered[start : start + STEP]
