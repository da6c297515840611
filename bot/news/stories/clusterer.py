"""Grouping items into stories as they arrive, and mending stories that arrival order split.

Each new item is compared with the centroids of recent stories that share its rarest terms;
it joins the one a learned model (``pairscore.JOIN_MODEL``, a logistic regression over the
cosine and the key-term, source, time and size signals below) rates most likely to tell the
same event, if that reaches even odds with a margin, or starts a story. Then every story the
run touched is compared with its neighbours, story against story, and a second model
(``pairscore.MERGE_MODEL``) decides whether two are one (the smaller into the larger; the
merge is reported so that storage moves the items durably). Both models are trained on the
hand-labelled sets by ``benchmarks/stories_pairmodel.py`` and judged by leave-one-set-out
cross-validation: hand-set weights fitted the sets they were tuned on and fell to 0.83-0.86
F1 on each new one.

Why it is built like this:

- Items are compared with story *centroids* (the sum of the members' unit vectors), never
  with single members: one odd wording cannot chain two events together, which is how "join
  anything above a threshold" collapses into one giant cluster on thousands of items.
- Centroid-only online assignment fragments a big story by arrival order: the first reports
  of an event can land in two stories before either has the words they share. The merge pass
  fixes that where it happens, for the stories just touched, at a cost bounded by the number
  of candidates, not by the size of the stories. A story that a run grew by less than about a
  quarter does not look again: its centroid barely moved, and a story that appeared since
  looks for it.
- A report in another language shares too few words to reach the threshold; it still joins
  a story of other outlets that names the same company and the same amount at the same time.
- Key-term signals, not just similarity, keep look-alikes apart: a report about Italy does
  not join a story about France (a hard veto, as for another headline company), a source
  does not report one event twice, and title-only posts (forum threads, changelog lines)
  need a key term in common, not just common words. A merge also needs the smaller story's
  reports, one by one, to be joins the join model would make on average (give or take
  ``_MEMBERS_FLOOR``); where they would not, the two must share more than a company's name.
- Every comparison iterates the item's (or the smaller story's) features only, and centroids
  keep their norm up to date as they grow: placing an item costs the same whether its story
  has 3 items or 300.
- State survives a restart through each item's prepared form (``members``/``rebuild``), so a
  restart reads no item text and recomputes nothing.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.news.stories import batchplan
from bot.news.stories.companynames import family_words
from bot.news.stories.features import Featurizer, Prepared, TextFeatures
from bot.news.stories.keyterms import (
    Bag,
    TermView,
    Views,
    view_agreement,
    view_disjoint,
    views_of,
)
from bot.news.stories.model import PreparedItem, StoryConfig, StoryItem, StoryMerge
from bot.news.stories.pairscore import (
    JOIN_MODEL,
    JOIN_SIGNALS,
    MERGE_MODEL,
    MERGE_SIGNALS,
    PairModel,
)

__all__ = ["StoryClusterer"]

# How many of an item's rarest terms are looked up to find candidate stories.
_CANDIDATE_TERMS = 8
# How many neighbours a touched story is compared with in the merge pass.
_MERGE_CANDIDATES = 6
# The largest story that looks for a story to merge with.
_MERGE_FROM_SIZE = 32
# The sizes at which a touched story looks for a story to merge with (about a quarter apart):
# a run that grew it past none of them leaves it as it was.
_LOOK_AT = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 19, 24, 30)
# From this many reports on, a story's headline places need a third of them behind them to keep
# another story out (``_Story.merge_views``).
_PLACES_FROM = 4
# A term in more stories than this finds no candidates: it would make hundreds of stories
# candidates, and the rarest few terms are enough to find the right story among the rest.
_COMMON = 40
# How many of a term's stories (the newest) its lookup scores.
_NEWEST = 10
# IDF is smoothed as if this many more stories, none using the term, were held: with only a
# few stories held (a new install), a term shared by two of them would otherwise weigh far
# less than one in neither, and paraphrases would fall apart.
_IDF_PRIOR = 100
# How many merges one touched story may take part in per run (a bound, not a tuning knob).
_MAX_MERGES_PER_STORY = 4
# A name's weight is 2 in a headline and 1 in a text; a view's ``full`` is half the heaviest.
_HEADLINE_NAME = 1.0
# A company's weight is 3 in a headline and 1 in a text (``keyterms.company_weights``).
_HEADLINE_COMPANY = 1.5
# The cosine below which a candidate is not scored by the join model: the shipped model joins
# 1 pair in 3,765 below it on the labelled sets, and scoring only the plausible few keeps an
# item's cost where the hand-set rule had it.
_JOIN_FLOOR = 0.12
# A title-only post (a forum thread, a changelog line) that shares no company, amount or name
# with a story joins it only on more words than one in common: "How do I set up shipping for
# international orders?" and "Fixed an issue with webhook retries for orders" share "orders"
# (cosine 0.21), which the join model alone let through once headlines' lead words became
# names. Issue 8: short items merge only on strong evidence.
_SHORT_FLOOR = 0.25
# The same for two stories' centroids in the merge pass (the shipped model merges none below).
_MERGE_FLOOR = 0.10
# A member's join log-odds below this count as this in a merge's signals (a vetoed one stops
# the merge outright).
_LOGIT_FLOOR = -10.0
# What the smaller story's reports must score against the larger on average (join log-odds)
# for a merge to be considered at all: a merge is never what the joins one by one would
# clearly refuse (two title-only posts sharing a word are not one event because their stories
# are). Chosen by leave-one-set-out CV among 0, -0.75 and -1.5 (best lowest F1 and precision).
_MEMBERS_FLOOR = -0.75
_DEFAULTS = StoryConfig()


@dataclass(slots=True)
class _Story:
    story_id: int
    centroid: dict[str, float] = field(default_factory=dict)
    norm2: float = 0.0
    first: float = math.inf
    last: float = -math.inf
    seconds: float = 0.0  # the sum of the members' POSIX timestamps
    places: Bag = field(default_factory=dict)
    title_places: Bag = field(default_factory=dict)
    numbers: Bag = field(default_factory=dict)
    companies: Bag = field(default_factory=dict)
    names: Bag = field(default_factory=dict)
    sources: Bag = field(default_factory=dict)
    members: dict[int, Prepared] = field(default_factory=dict)
    views: Views | None = None  # when needed
    merge_view: Views | None = None  # when needed
    roundup: bool = False  # a round-up's own story: nothing joins it, it merges with nothing
    preview: bool = False  # a story of results previews: only previews join it
    denial: bool = False  # a story of refusals ("rules out a surcharge"): only refusals join it
    size: int = 0  # len(members), read in every comparison

    def term_views(self) -> Views:
        """Places that can be disputed, numbers, companies, names: for comparisons."""
        if self.views is None:
            if self.size == 1:
                # A story of one report has its report's key terms: its views are the same
                # (and most stories are of one report when they are first compared).
                (only,) = self.members.values()
                self.views = only.views()
            else:
                self.views = views_of(self.title_places, self.numbers, self.companies, self.names)
        return self.views

    def merge_views(self) -> Views:
        """``term_views`` for comparing with another story: headline places that few of a
        big story's reports name ("Saudi customers among those hit") are those reports'
        detail, not where the story is, so they do not keep another story out. (A report
        still meets them one by one: leniency there lets a story snowball through places.)
        """
        if self.merge_view is None:
            places = self.title_places
            size = self.size
            views = self.term_views()
            if size >= _PLACES_FROM and places and max(places.values()) * 3 < size:
                views = (TermView.of({}), views[1], views[2], views[3])
            self.merge_view = views
        return self.merge_view


class StoryClusterer:
    """Assigns items to stories a batch at a time, comparing each with recent stories.

    It holds the stories whose last report is within twice the window of the newest item it
    has seen, and forgets older ones (nothing new could join them). ``members`` gives the held
    items in their stored form and ``rebuild`` restores the state from it after a restart.

    Not thread-safe: use one instance from one task (or behind a lock), or off the event loop
    in one worker thread at a time.
    """

    def __init__(
        self,
        config: StoryConfig | None = None,
        *,
        next_story_id: int = 1,
        join_model: PairModel | None = None,
        merge_model: PairModel | None = None,
    ) -> None:
        """An empty clusterer; its first new story gets ``next_story_id``. ``join_model``
        decides whether an item joins a story and ``merge_model`` whether two stories are
        one (the shipped weights unless given: the training script passes others)."""
        self.config = config or StoryConfig()
        self._join_model = join_model or JOIN_MODEL
        self._merge_model = merge_model or MERGE_MODEL
        # ``threshold`` and ``merge_threshold`` still say how strict joining and merging are:
        # a step above the defaults asks the log-odds for what that much more cosine gives.
        self._join_bar = self._join_model.weights[0] * (self.config.threshold - _DEFAULTS.threshold)
        self._merge_bar = self._merge_model.weights[0] * (
            self.config.merge_threshold - _DEFAULTS.merge_threshold
        )
        if len(self._join_model.weights) != len(JOIN_SIGNALS) or len(
            self._merge_model.weights
        ) != len(MERGE_SIGNALS):
            raise ValueError("a model's weights do not match its signals")
        self._featurizer = Featurizer(self.config)
        self._stories: dict[int, _Story] = {}
        self._story_of: dict[int, int] = {}  # held item id -> story id
        self._postings: dict[str, dict[int, None]] = {}  # feature -> story ids (ordered set)
        self._next_id = next_story_id
        self._newest: float | None = None
        self._prepared: dict[int, str] = {}  # item id -> stored form, not yet taken
        self._merges: list[StoryMerge] = []
        self.unreadable: list[int] = []  # held items ``rebuild`` could not read
        self._merged_into: dict[int, int] = {}  # merged story id -> the story it joined
        # (last report, story id) of every story, pushed again whenever its last report moves:
        # forgetting pops the stories that ended before the cutoff instead of scanning all.
        # Entries of stories dropped or grown since are skipped when popped.
        self._ends: list[tuple[float, int]] = []

    # --- building and restoring -------------------------------------------------------------

    @classmethod
    def rebuild(
        cls,
        held: Iterable[PreparedItem],
        config: StoryConfig | None = None,
        *,
        next_story_id: int | None = None,
    ) -> StoryClusterer:
        """A clusterer holding ``held`` items (as ``members`` gave them) in their stories.

        Pass every prepared item of every story with a report in the last ``2 * window``
        (more is harmless: older stories are dropped again). ``next_story_id`` must be above
        every story id ever given out, merged and forgotten ones included; it is at least one
        above the highest held. Items whose stored form is of another format are left out
        and listed in ``unreadable``: prepare them again with ``hold``.
        """
        records = sorted(held, key=lambda r: r.item_id)
        highest = max((r.story_id for r in records), default=0)
        clusterer = cls(config, next_story_id=max(next_story_id or 1, highest + 1))
        # Each story's members in item id order, as adding them one by one would take them.
        stories: dict[int, list[Prepared]] = {}
        for record in records:
            prepared = Prepared.decode(record.item_id, record.data)
            if prepared is None:
                clusterer.unreadable.append(record.item_id)
            elif record.item_id not in clusterer._story_of:
                clusterer._story_of[record.item_id] = record.story_id
                stories.setdefault(record.story_id, []).append(prepared)
        for story_id, members in stories.items():
            if len(members) == 1:
                clusterer._add_alone(members[0], story_id)
            else:
                for prepared in members:
                    clusterer._add(prepared, story_id)
        clusterer._forget_old()
        return clusterer

    def hold(self, held: Iterable[tuple[StoryItem, int]], now: datetime | None = None) -> None:
        """Hold (item, story id) pairs whose prepared form was never stored (a database from
        before it was): each item is prepared now, in item id order, and its stored form
        waits in ``take_prepared``."""
        for item, story_id in sorted(held, key=lambda pair: pair[0].item_id):
            if item.item_id not in self._story_of:
                self._next_id = max(self._next_id, story_id + 1)
                prepared = self._prepare(item, now)
                self._add(prepared, story_id)
                self._prepared[item.item_id] = prepared.encode()
        self._forget_old()

    # --- assigning --------------------------------------------------------------------------

    def assign(
        self,
        items: Sequence[StoryItem],
        now: datetime | None = None,
        texts: Mapping[int, TextFeatures] | None = None,
    ) -> list[tuple[int, int]]:
        """(item id, story id) for each of ``items``, in item id order.

        Items are placed in publication order, a step at a time (``batchplan``: a cold first
        poll is placed as a running bot would have placed its items), and each can join a
        story started earlier in the same batch. After each step the stories it touched are
        compared with their neighbours and merged where they tell one event (see
        ``take_merges``); the ids returned are the ones after merging. An item already held
        keeps its story: a batch handed over twice is answered the same way twice. ``now``, if
        given, caps publication dates that lie in the future. ``texts``: items' text
        features read elsewhere (item id -> ``Featurizer.extract`` of it), used instead of
        reading their text here.
        """
        ordered = sorted(items, key=lambda i: i.item_id)
        fresh: list[StoryItem] = []
        seen: set[int] = set()
        for item in ordered:
            if item.item_id not in self._story_of and item.item_id not in seen:
                seen.add(item.item_id)
                fresh.append(item)
        if fresh:
            newest = max(batchplan.when(item, now) for item in fresh)
            if self._newest is None or newest > self._newest:
                self._newest = newest
            self._forget_old()
        for step in batchplan.steps(fresh, now):
            # Each step is weighed by the stories held before it, all of it before any is placed.
            idf = self._idf_now()
            self._place([self._weighed(item, now, idf, texts) for item in step])
        out: list[tuple[int, int]] = []
        for item in ordered:
            story_id = self._story_of.get(item.item_id)
            if story_id is not None and (not out or out[-1][0] != item.item_id):
                out.append((item.item_id, story_id))
        return out

    def _weighed(
        self,
        item: StoryItem,
        now: datetime | None,
        idf: Callable[[str], float],
        texts: Mapping[int, TextFeatures] | None,
    ) -> Prepared:
        """``item`` prepared: its text read here, or taken from ``texts`` when read elsewhere."""
        text = texts.get(item.item_id) if texts else None
        if text is None:
            return self._prepare(item, now, idf)
        return self._featurizer.weigh(text, item, now, idf)

    def _place(self, fresh: Sequence[Prepared]) -> None:
        """Place ``fresh`` in its order, then let the stories it touched look for a merge."""
        touched: dict[int, int] = {}  # story id -> its size before this run
        for prepared in fresh:
            story_id = self._best_story(prepared)
            if story_id is None:
                story_id = self._next_id
                self._next_id += 1
            if story_id not in touched:
                held = self._stories.get(story_id)
                touched[story_id] = held.size if held is not None else 0
            if story_id in self._stories:
                self._add(prepared, story_id)
            else:
                self._add_alone(prepared, story_id)  # the same state, in fewer steps
            self._prepared[prepared.item_id] = prepared.encode()
        self._merge_touched(touched)

    def take_prepared(self) -> dict[int, str]:
        """The stored form of every item prepared since the last call (item id -> data)."""
        taken, self._prepared = self._prepared, {}
        return taken

    def take_merges(self) -> list[StoryMerge]:
        """The merges made since the last call, in the order they were made, each naming the
        story its items are in now (a chain a -> b -> c is reported as a -> c, b -> c)."""
        taken = [StoryMerge(m.story_id, self._resolve(m.story_id)) for m in self._merges]
        self._merges = []
        self._merged_into.clear()
        return taken

    def members(self) -> list[PreparedItem]:
        """Every held item in its stored form with its story, in item id order: what
        ``rebuild`` takes."""
        out = [
            PreparedItem(item_id, story.story_id, prepared.encode())
            for story in self._stories.values()
            for item_id, prepared in story.members.items()
        ]
        out.sort(key=lambda r: r.item_id)
        return out

    def story_ids(self) -> list[int]:
        """The ids of the stories held, ascending."""
        return sorted(self._stories)

    @property
    def next_story_id(self) -> int:
        """The id the next new story will get."""
        return self._next_id

    def number_from(self, first_id: int) -> None:
        """New stories get ids from ``first_id`` on: a block the database reserved for this
        clusterer (``StoryRepository.reserve_story_ids``). Ids only move forward."""
        if first_id < self._next_id:
            raise ValueError(f"story id {first_id} was given out already")
        self._next_id = first_id

    def score(self, item: StoryItem, story_id: int) -> float:
        """The join model's log-odds for ``item`` against a held story (it joins at 0 or more
        with the default ``threshold``; -inf when a hard rule keeps it out), for tests."""
        prepared = self._prepare(item, None)
        story = self._stories[story_id]
        cosine, event = self._cosines(prepared, story)
        signals = self._join_signals(prepared, story, cosine, event)
        return -math.inf if signals is None else self._join_model.logit(signals)

    # --- internals ----------------------------------------------------------------------------

    def _idf(self, key: str) -> float:
        held = len(self._stories)
        posting = self._postings.get(key)
        df = len(posting) if posting is not None else 0
        return math.log((1 + held + _IDF_PRIOR) / (1 + df)) + 1.0

    def _prepare(
        self, item: StoryItem, now: datetime | None, idf: Callable[[str], float] | None = None
    ) -> Prepared:
        """``item`` weighed by the IDF of the stories held now (``idf``: an ``_idf_now()``
        made since the last change of what is held, shared by a batch's items)."""
        return self._featurizer.prepare(item, now, idf or self._idf_now())

    def _idf_now(self) -> Callable[[str], float]:
        """``_idf`` as the held stories give it now, remembered per feature: valid until the
        held stories change (a batch's items are all weighed before any is placed, and share
        most of their words and key terms). The same expression, bit for bit."""
        return _IdfTable(self._postings, 1 + len(self._stories) + _IDF_PRIOR).__getitem__

    def _add(self, item: Prepared, story_id: int) -> None:
        story = self._stories.get(story_id)
        if story is None:
            story = _Story(story_id, preview=item.preview, denial=item.denial)
            self._stories[story_id] = story
        centroid, postings = story.centroid, self._postings
        norm2 = story.norm2
        for key, weight in item.features.items():
            old = centroid.get(key)
            if old is None:
                # The general case below with old = 0.0, which changes neither sum.
                posting = postings.get(key)
                if posting is None:
                    postings[key] = {story_id: None}
                else:
                    posting[story_id] = None
                centroid[key] = weight
                norm2 += weight * weight
                continue
            new = old + weight
            centroid[key] = new
            norm2 += new * new - old * old
        story.norm2 = norm2
        story.first = min(story.first, item.published)
        if item.published > story.last:
            story.last = item.published
            heapq.heappush(self._ends, (story.last, story_id))
        story.seconds += item.published
        terms = item.terms
        for bag, into in (
            (terms.places, story.places),
            (terms.title_places, story.title_places),
            (terms.numbers, story.numbers),
            (terms.companies, story.companies),
            (terms.names, story.names),
        ):
            for term, count in bag.items():
                into[term] = into.get(term, 0) + count
        story.sources[item.source] = story.sources.get(item.source, 0) + 1
        story.members[item.item_id] = item
        story.size = len(story.members)
        story.roundup = story.roundup or item.roundup
        story.views = None
        story.merge_view = None
        self._story_of[item.item_id] = story_id
        if self._newest is None or item.published > self._newest:
            self._newest = item.published

    def _add_alone(self, item: Prepared, story_id: int) -> None:
        """``_add`` for the first item of a story, the same state in far fewer steps (most
        stories a restart restores hold one report): the sums it would start from 0 are the
        item's own values (weights are never negative, so ``0.0 + w`` is ``w``)."""
        centroid = dict(item.features)
        norm2 = 0.0
        for weight in centroid.values():
            norm2 += weight * weight
        postings = self._postings
        for key in centroid:
            posting = postings.get(key)
            if posting is None:
                postings[key] = {story_id: None}
            else:
                posting[story_id] = None
        terms, published = item.terms, item.published
        self._stories[story_id] = _Story(
            story_id,
            centroid=centroid,
            norm2=norm2,
            first=published,
            last=published,
            seconds=published,
            places=dict(terms.places),
            title_places=dict(terms.title_places),
            numbers=dict(terms.numbers),
            companies=dict(terms.companies),
            names=dict(terms.names),
            sources={item.source: 1},
            members={item.item_id: item},
            size=1,
            roundup=item.roundup,
            preview=item.preview,
            denial=item.denial,
        )
        heapq.heappush(self._ends, (published, story_id))
        self._story_of[item.item_id] = story_id
        if self._newest is None or published > self._newest:
            self._newest = published

    def _forget_old(self) -> None:
        if self._newest is None:
            return
        cutoff = self._newest - 2 * self.config.window.total_seconds()
        # Which stories are dropped matters, not the order: each takes only its own entries.
        ends, stories = self._ends, self._stories
        while ends and ends[0][0] < cutoff:
            _, story_id = heapq.heappop(ends)
            story = stories.get(story_id)
            if story is not None and story.last < cutoff:
                self._drop(story_id)

    def _drop(self, story_id: int) -> _Story:
        story = self._stories.pop(story_id)
        for key in story.centroid:
            posting = self._postings[key]
            del posting[story_id]
            if not posting:
                del self._postings[key]
        for item_id in story.members:
            del self._story_of[item_id]
        return story

    def _candidates(
        self,
        features: dict[str, float],
        start: float,
        end: float,
        exclude: int | None = None,
        limit: int | None = None,
    ) -> list[_Story]:
        """Stories overlapping ``[start - window, end + window]`` that share the most
        (weighted) of the rarest of ``features``, best first."""
        if not self._stories:
            return []
        common = _COMMON
        postings = self._postings
        get = postings.get
        looked: list[tuple[int, str]] = []
        for key in features:
            posting = get(key)
            if posting is not None:
                df = len(posting)
                # A term only the excluded story has finds nothing: it would take a slot.
                if df <= common and (exclude is None or df > 1 or exclude not in posting):
                    looked.append((df, key))
        looked.sort()
        score: dict[int, float] = {}
        found = score.get
        newest = _NEWEST
        for df, key in looked[:_CANDIDATE_TERMS]:
            weight = features[key]
            posting = postings[key]
            # A term of many stories counts for the newest of them: the ones most likely to
            # be in the window, and a bound on what one term costs. (By id, not by when they
            # took the term: a rebuilt clusterer picks the same ones.)
            for story_id in posting if df <= newest else sorted(posting)[-newest:]:
                score[story_id] = found(story_id, 0.0) + weight
        if exclude is not None:
            score.pop(exclude, None)
        window = self.config.window.total_seconds()
        earliest, latest = start - window, end + window
        limit = limit or self.config.max_candidates
        out: list[_Story] = []
        # Best first, ties to the newer story; the few outside the window are skipped. Two
        # stable sorts of plain numbers (by id, then by score) order as one sort by (score,
        # id) would, several times faster than comparing tuples.
        ranked = sorted(score, reverse=True)
        ranked.sort(key=score.__getitem__, reverse=True)
        stories = self._stories
        for story_id in ranked[: 2 * limit]:
            story = stories[story_id]
            if story.last >= earliest and story.first <= latest:
                out.append(story)
                if len(out) == limit:
                    break
        return out

    @staticmethod
    def _cosine(features: dict[str, float], story: _Story) -> float:
        """Cosine with the story's centroid."""
        if story.norm2 <= 0.0:
            return 0.0
        centroid = story.centroid
        dot = 0.0
        # The shared keys in ``features``' order (the sum's order), found at C speed.
        for key in filter(centroid.__contains__, features):
            dot += features[key] * centroid[key]
        return dot / math.sqrt(story.norm2)

    @staticmethod
    def _cosines(item: Prepared, story: _Story) -> tuple[float, float]:
        """Cosine with the story's centroid, and the part of it that comes from words saying
        what happened (``Prepared.event_features``), in one pass."""
        if story.norm2 <= 0.0:
            return 0.0, 0.0
        centroid, features = story.centroid, item.features
        event_keys = item.event_features()
        dot = event = 0.0
        for key in filter(centroid.__contains__, features):
            product = features[key] * centroid[key]
            dot += product
            if key in event_keys:
                event += product
        norm = math.sqrt(story.norm2)
        return dot / norm, event / norm

    def _best_story(self, item: Prepared) -> int | None:
        # A round-up lists several events: joined to one, it would pull in the others' reports.
        if not item.features or item.roundup:
            return None
        candidates = self._candidates(item.features, item.published, item.published)
        best: tuple[float, int] | None = None
        for logit, story in self._join_scores(item, candidates):
            if logit >= self._join_bar and (best is None or (logit, story.story_id) > best):
                best = (logit, story.story_id)
        return best[1] if best is not None else self._anchored(item, candidates)

    def _join_scores(self, item: Prepared, candidates: list[_Story]) -> list[tuple[float, _Story]]:
        """The join model's log-odds for each candidate worth scoring: not a round-up, some
        words about what happened in common (``event_floor``), not vetoed."""
        floor, model = self.config.event_floor, self._join_model
        out: list[tuple[float, _Story]] = []
        for story in candidates:
            # The hard rules first: they keep out most candidates (six in seven on the
            # generated 10k set), and the views they read are kept, where a cosine is not.
            if story.roundup or self._blocked(item, story):
                continue
            cosine, event = self._cosines(item, story)
            if event < floor or cosine < _JOIN_FLOOR:
                continue
            if item.short and cosine < _SHORT_FLOOR and not _shares_key_term(item, story):
                continue
            signals = self._join_signals(item, story, cosine, event)
            if signals is not None:
                out.append((model.logit(signals), story))
        return out

    def _join_signals(
        self, item: Prepared, story: _Story, cosine: float, event: float
    ) -> tuple[float, ...] | None:
        """What the join model reads (``pairscore.JOIN_SIGNALS``), or None when a hard rule
        keeps the item out: another headline company or place than the story's, or a
        title-only post against a story only its own source told."""
        if self._blocked(item, story):
            return None
        mine, theirs = item.views(), story.term_views()  # both kept once made
        same_source = item.source in story.sources
        config = self.config
        agreements = _agreements(mine, theirs)
        shares = _shares_key_term(item, story)
        middle = story.seconds / story.size
        gap = abs(item.published - middle) - config.time_slack.total_seconds()
        log_size = math.log(story.size)
        return (
            cosine,
            event,
            *agreements,
            1.0 if same_source else 0.0,
            1.0 if item.short else 0.0,
            1.0 if item.short and not shares else 0.0,
            1.0 if shares else 0.0,
            max(gap, 0.0) / config.window.total_seconds(),
            log_size,
            cosine * log_size,
        )

    def _anchored(self, item: Prepared, candidates: list[_Story]) -> int | None:
        """A story that ``item`` shares its headline company and an exact amount with, told
        by other outlets within ``time_slack``: the story with the best cosine among those.

        A report in another language shares almost no words with a story told in English,
        so its cosine stays under the threshold; but the same company quoting the same
        figure ("€59mn", "59 Mio. Euro") at the same time, with no place or company against
        it, is one event. A story of one report is not enough: it may be a look-alike.
        """
        terms = item.terms
        if not terms.numbers or not terms.companies:
            return None
        companies = item.views()[2]
        # Only a company the headline is about anchors: one the text merely names (a rival,
        # "Amazon challenger OnBuy") says nothing of which event this is.
        if companies.full < _HEADLINE_COMPANY:
            return None
        main = companies.main.keys()
        slack = self.config.time_slack.total_seconds()
        found: list[tuple[float, int]] = []
        for story in candidates:
            if (
                story.roundup
                or story.size < 2
                or item.source in story.sources
                or main.isdisjoint(story.companies)
                or terms.numbers.keys().isdisjoint(story.numbers)
                or abs(item.published - story.seconds / story.size) > slack
                or self._blocked(item, story)
            ):
                continue
            found.append((self._cosine(item.features, story), story.story_id))
        return max(found)[1] if found else None

    @staticmethod
    def _blocked(item: Prepared, story: _Story) -> bool:
        """Whether an item may never join a story, whatever the join model says: another
        headline place or company, or a title-only post against its own source's story."""
        # A report about other companies than the story's is another event, whatever else it
        # shares ("Allegro under scrutiny in Turkey" / "TikTok Shop faces Turkish probe").
        if _vetoed(item.views(), story.term_views()):
            return True
        # A preview of results and the results are two events ("Adyen Q1 preview" days
        # before "Adyen's Q1 volume up 20%"), whatever words and company they share.
        if item.preview != story.preview:
            return True
        # So are one party's move and another's refusal to follow ("Evri adds a peak
        # surcharge" / "Royal Mail rules out peak surcharge"), whatever words they share.
        if item.denial != story.denial:
            return True
        # A title-only post (a forum thread, a changelog line) never joins a story that only
        # its own source told: that is the source's next post, not another report. (A wire's
        # update still joins a story that other outlets told too.)
        return item.short and len(story.sources) == 1 and item.source in story.sources

    # --- merging ------------------------------------------------------------------------------

    def _merge_touched(self, touched: dict[int, int]) -> None:
        for first_id, size_before in touched.items():
            story_id = first_id
            for _ in range(_MAX_MERGES_PER_STORY):
                story_id = self._resolve(story_id)
                story = self._stories.get(story_id)
                # A fragment looks for the story it belongs to; a big story is found by its
                # fragments (and looking from it would cost in proportion to its size).
                if story is None or story.size > _MERGE_FROM_SIZE or story.roundup:
                    break
                # A story that grew by less than a step since the last run barely moved: it
                # would find what it found then. (A story that appeared since looks for it
                # itself: the scores are symmetric.) Sizes, not a record of the last look, so
                # that a rebuilt clusterer decides the same.
                if story_id == first_id and bisect_right(_LOOK_AT, size_before) == bisect_right(
                    _LOOK_AT, story.size
                ):
                    break
                other = self._merge_partner(story)
                if other is None:
                    break
                self._merge(story, other)

    def _resolve(self, story_id: int) -> int:
        while story_id in self._merged_into:
            story_id = self._merged_into[story_id]
        return story_id

    def _merge_partner(self, story: _Story) -> _Story | None:
        """The held story that tells the same event as ``story`` best, if the merge model
        says any does."""
        # The story's heaviest terms find its neighbours: a centroid's light terms are the
        # odd words of single reports.
        centroid = story.centroid
        top = centroid
        if len(centroid) > 2 * _CANDIDATE_TERMS:
            # What ``heapq.nlargest`` gives (a stable sort's first few), at C speed.
            heaviest = sorted(centroid, key=centroid.__getitem__, reverse=True)
            top = {key: centroid[key] for key in heaviest[: 2 * _CANDIDATE_TERMS]}
        candidates = self._candidates(
            top, story.first, story.last, exclude=story.story_id, limit=_MERGE_CANDIDATES
        )
        model = self._merge_model
        best: tuple[float, int] | None = None
        for other in candidates:
            # The hard rule first, as in ``_join_scores``: it keeps out most candidates.
            if other.roundup or self._stories_blocked(story, other):
                continue
            cosine = _centroid_cosine(story, other)
            if cosine < _MERGE_FLOOR:
                continue
            signals = self._merge_signals(story, other, cosine)
            if signals is None:
                continue
            logit = model.logit(signals)
            if logit >= self._merge_bar and (best is None or (logit, other.story_id) > best):
                best = (logit, other.story_id)
        if best is not None:
            return self._stories[best[1]]
        # Words alone fall short: the same company and amount at the same time may still
        # make them one.
        return self._anchored_partner(story, candidates)

    def _merge_signals(self, a: _Story, b: _Story, cosine: float) -> tuple[float, ...] | None:
        """What the merge model reads (``pairscore.MERGE_SIGNALS``), the smaller story as
        ``a``; None when a rule keeps them apart: their headlines name other places or
        companies, one of the smaller one's reports could never join the larger, a title-only
        one with no key term in common would not, or its reports would not on average
        (``_MEMBERS_FLOOR``; below the join bar, they must share an amount, a place or a name
        that is not a company's: ``_shares_anchor``). Bounded: only stories of up to
        ``_MERGE_FROM_SIZE`` reports look for a partner."""
        if (a.size, a.story_id) > (b.size, b.story_id):
            a, b = b, a
        if self._stories_blocked(a, b):
            return None
        mine, theirs = a.merge_views(), b.merge_views()  # both kept once made
        join_model = self._join_model
        logits: list[float] = []
        for item in a.members.values():
            item_cosine, event = self._cosines(item, b)
            signals = self._join_signals(item, b, item_cosine, event)
            if signals is None:
                return None
            logit = join_model.logit(signals)
            # A title-only post with no company, amount or name in common moves only where it
            # would have joined on its own: a word in common with one other post is weak
            # evidence, and a merge of two one-report stories would otherwise be a join by a
            # more lenient model.
            if item.short and logit < self._join_bar and not _shares_key_term(item, b):
                return None
            logits.append(max(logit, _LOGIT_FLOOR))
        mean = sum(logits) / len(logits)
        if mean < _MEMBERS_FLOOR + self._join_bar:
            return None
        # A merge the joins one by one would refuse (a mean below the join bar) is allowed
        # for reports that share few words with the story (another language, another angle),
        # and those still name what the event is about besides its company: an amount, a
        # place, a product or person. Two stories that share only a company's name are that
        # company's two events ("Walmart gives sellers an AI assistant" / "Flipkart launches
        # cross-border selling to UAE"; "Spain opens a case against Temu" / "Italy fines Temu").
        if mean < self._join_bar and not _shares_anchor(a, b):
            return None
        config = self.config
        shared = len(a.sources.keys() & b.sources.keys()) / len(a.sources)
        gap = abs(a.seconds / a.size - b.seconds / b.size) - config.time_slack.total_seconds()
        return (
            cosine,
            mean,
            min(logits),
            *_agreements(mine, theirs),
            shared,
            max(gap, 0.0) / config.window.total_seconds(),
            math.log(a.size),
            math.log(b.size),
        )

    def _anchored_partner(self, story: _Story, candidates: list[_Story]) -> _Story | None:
        """``_anchored`` for two stories: reports in one language that started a story of
        their own (the first outlet to report was a local one) join the story the others
        tell, when both name the same main company and amount at the same time, each was
        told by two or more outlets, none by both, and nothing vetoes it."""
        if story.roundup or story.size < 2 or not story.numbers or not story.companies:
            return None
        mine = story.term_views()
        # Only companies the headlines are about anchor, on both sides (as in ``_vetoed``):
        # rivals the texts merely name ("Amazon challenger OnBuy"; Amazon and Mercado Libre in
        # a piece on Liverpool's stake in 99minutos) made two funding stories one on "60m".
        if mine[2].full < _HEADLINE_COMPANY:
            return None
        slack = self.config.time_slack.total_seconds()
        middle = story.seconds / story.size
        found: list[tuple[float, int]] = []
        for other in candidates:
            if (
                other.roundup
                or other.size < 2
                or not story.sources.keys().isdisjoint(other.sources)
            ):
                continue
            theirs = other.term_views()
            if (
                theirs[2].full < _HEADLINE_COMPANY
                or mine[2].main.keys().isdisjoint(theirs[2].main.keys())
                or (
                    mine[1].main.keys().isdisjoint(other.numbers)
                    and theirs[1].main.keys().isdisjoint(story.numbers)
                )
                or abs(middle - other.seconds / other.size) > slack
                or self._stories_blocked(story, other)
            ):
                continue
            found.append((_centroid_cosine(story, other), other.story_id))
        return self._stories[max(found)[1]] if found else None

    @staticmethod
    def _stories_blocked(a: _Story, b: _Story) -> bool:
        """Whether two stories may never become one: the smaller one headlined with another
        place or company than the larger ("halts parcels to Germany" / "... to the US"),
        however alike their words. A report silent on the place may join either, but it never
        makes them one."""
        if a.preview != b.preview or a.denial != b.denial:
            return True
        if a.size > b.size:
            a, b = b, a
        return _vetoed(a.merge_views(), b.merge_views())

    def _merge(self, a: _Story, b: _Story) -> None:
        """One story of two: the smaller's items move into the larger (ties: the older)."""
        if (a.size, -a.story_id) > (b.size, -b.story_id):
            a, b = b, a
        gone = self._drop(a.story_id)
        for item in gone.members.values():
            self._add(item, b.story_id)
        self._merges.append(StoryMerge(story_id=a.story_id, into_id=b.story_id))
        self._merged_into[a.story_id] = b.story_id


class _IdfTable(dict[str, float]):
    """Feature -> its IDF over the held stories (``StoryClusterer._idf``), filled as asked:
    a lookup of a feature asked before is a dict's, at C speed. Its logarithms are kept by
    document frequency: most features share a handful."""

    def __init__(self, postings: dict[str, dict[int, None]], top: int) -> None:
        super().__init__()
        self._postings = postings
        self._top = top
        self._by_df: dict[int, float] = {}

    def __missing__(self, key: str) -> float:
        posting = self._postings.get(key)
        df = len(posting) if posting is not None else 0
        value = self._by_df.get(df)
        if value is None:
            value = self._by_df[df] = math.log(self._top / (1 + df)) + 1.0
        self[key] = value
        return value


def _agreements(mine: Views, theirs: Views) -> list[float]:
    """(agree, miss) for places, numbers, companies and names in turn: how far the item's (or
    smaller story's) main terms are among the story's, 0, 0 when either side is silent.
    Places and companies miss squared (a partial overlap costs little; none costs fully);
    names count only when the item's headline names someone."""
    out: list[float] = []
    for kind, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        applies = a.full >= _HEADLINE_NAME if kind == 3 else a.main_total > 0
        if applies and b.full:
            agree = view_agreement(a, b, both_ways=False)
            miss = 1.0 - agree
            out += (agree, miss * miss if kind in (0, 2) else miss)
        else:
            out += (0.0, 0.0)
    return out


def _centroid_cosine(a: _Story, b: _Story) -> float:
    if a.norm2 <= 0.0 or b.norm2 <= 0.0:
        return 0.0
    small, large = (a, b) if len(a.centroid) <= len(b.centroid) else (b, a)
    mine, other = small.centroid, large.centroid
    dot = 0.0
    for key in filter(other.__contains__, mine):
        dot += mine[key] * other[key]
    return dot / math.sqrt(a.norm2 * b.norm2)


def _vetoed(
    mine: Views,
    theirs: Views,
) -> bool:
    """Whether a report (or a smaller story) is about another place or company than a story:
    its headline places are none of the story's (nor in a region of theirs), or its main
    companies are none of the story's main ones. Merely mentioned is not enough for companies
    ("Rival Walmart is watching"), or a story snowballs through every company its reports
    name."""
    # Companies first: a set test at C speed, and the rule that keeps most candidates out.
    # Both sides must have a headline company (``full`` is half the heaviest weight, 3 in a
    # headline): companies only a text mentions ("the courier that rode Shopee's rise", a
    # rival in the last paragraph) say what the report compares, not what it is about, and
    # weigh in the join model's company signals instead.
    companies, their_companies = mine[2], theirs[2]
    if (
        companies.full >= _HEADLINE_COMPANY
        and their_companies.full >= _HEADLINE_COMPANY
        and companies.main.keys().isdisjoint(their_companies.main)
    ):
        return True
    places, their_places = mine[0], theirs[0]
    return bool(places.main_total and their_places.full and view_disjoint(places, their_places))


def _shares_anchor(a: _Story, b: _Story) -> bool:
    """Whether two stories share a key term beyond their companies' names: an amount, a
    place, or a name that is none of their companies' (a product, a person, a small firm the
    tagger does not know)."""
    if not a.numbers.keys().isdisjoint(b.numbers) or not a.places.keys().isdisjoint(b.places):
        return True
    shared = a.names.keys() & b.names.keys()
    if not shared:
        return False
    for company in (*a.companies, *b.companies):
        shared -= family_words(company)
    return bool(shared)


def _shares_key_term(item: Prepared, story: _Story) -> bool:
    """Whether an item shares a company, an amount or a name with a story."""
    terms = item.terms
    return (
        not terms.companies.keys().isdisjoint(story.companies.keys())
        or not terms.numbers.keys().isdisjoint(story.numbers.keys())
        or not terms.names.keys().isdisjoint(story.names.keys())
    )
