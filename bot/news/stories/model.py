"""The vocabulary of stories: what clustering reads, how it is tuned, and what readers see.

Standard library only: ports and storage import these without loading any clustering code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

HEADLINE_SAMPLE = 10
"""How many of a story's earliest reports its headline and summary line are chosen from."""


@dataclass(frozen=True, slots=True)
class StoryConfig:
    """How items are grouped into stories.

    The defaults were tuned on hand-written reports of real-world-like events and checked on
    the generated sets of ``tests/data``.

    Whether an item joins a story, and whether two stories are one, is decided by small
    logistic-regression models (``pairscore.py``) trained on every labelled set (the halves of
    ``tests/data/stories_holdout``, ``stories_tuning``, ``stories_holdout2`` to ``6``) and
    judged by leave-one-set-out cross-validation (``benchmarks/stories_pairmodel.py``).

    - ``threshold``: how strict joining is. At the default the join model decides as trained;
      each step above asks its log-odds for what that much more cosine with the story's
      centroid gives (higher splits stories more, lower merges more).
    - ``merge_threshold``: the same for two stories becoming one, checked for every story an
      assignment run touched. This is what mends a story that arrival order split.
    - ``window``: an item only joins a story with a report within this time of it. Stories are
      kept for twice the window after their last report, then forgotten.
    - ``max_candidates``: how many stories are scored per item (those sharing the item's
      rarest terms); the rest are never considered.
    - ``time_slack``: no time signal within this much of a story's mean date.
    - ``event_floor``: how much of an item's cosine with a story must come from words that
      say what happened (not key terms, company or place names): a company and a country in
      common are not an event.
    - ``term_boost``: how much a key term weighs as a feature, against one word.
    - ``title_weight``: how much a title word counts against a description word.
    - ``summary_words``: how many words of a description are read (the lead says what
      happened; the rest is background shared with other stories).
    """

    threshold: float = 0.18
    merge_threshold: float = 0.22
    window: timedelta = timedelta(hours=72)
    max_candidates: int = 8
    time_slack: timedelta = timedelta(hours=12)
    event_floor: float = 0.10
    term_boost: float = 1.0
    title_weight: float = 2.5
    summary_words: int = 60

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0 or not 0.0 < self.merge_threshold < 1.0:
            raise ValueError("threshold and merge_threshold must be between 0 and 1")
        if self.window <= timedelta(0) or self.time_slack < timedelta(0):
            raise ValueError("window must be positive and time_slack not negative")
        if self.max_candidates < 1 or self.title_weight < 1 or self.summary_words < 0:
            raise ValueError("max_candidates and title_weight must be at least 1")
        weights = (self.term_boost, self.event_floor)
        if any(w < 0 or not math.isfinite(w) for w in weights):
            raise ValueError("weights must be finite and not negative")


@dataclass(frozen=True, slots=True)
class StoryItem:
    """What clustering needs of one stored item.

    ``summary`` is the stored plain-text summary; ``source`` the publisher (or feed name);
    ``companies`` the tagger's family ids. ``published`` should not lie in the future: use the
    earlier of the feed's date and when the item was first seen.
    """

    item_id: int
    title: str
    summary: str
    source: str
    published: datetime
    companies: tuple[str, ...] = ()
    # Its text features as a parser worker read them at ingest (``TextFeatures.encode``), when
    # they were stored: the clusterer then does not read the text again.
    text: str | None = None


@dataclass(frozen=True, slots=True)
class StorySummary:
    """A story as readers see it.

    The headline, the summary line and the story's link all come from one item,
    ``headline_item_id``: a headline never stands over another report's sentence or link.
    """

    story_id: int
    item_ids: tuple[int, ...]  # ascending
    sources: tuple[str, ...]  # distinct, sorted
    first_seen: datetime  # the earliest report's date
    last_seen: datetime  # the latest report's date
    companies: tuple[str, ...]  # union of the items', sorted
    headline: str  # the most central title
    summary_line: str  # the best sentence of that item's description, "" when none is usable
    headline_item_id: int | None = None  # the item the headline and line come from


@dataclass(frozen=True, slots=True)
class StoryMerge:
    """Two stories found to be one: ``story_id``'s items now belong to ``into_id``."""

    story_id: int
    into_id: int


@dataclass(frozen=True, slots=True)
class PreparedItem:
    """An item as the clusterer holds it, in a form that can be stored and read back.

    ``data`` is the clusterer's own encoding of the item's features and key terms; storing it
    with the item's story lets a restart rebuild the clusterer without reading item text.
    """

    item_id: int
    story_id: int
    data: str
