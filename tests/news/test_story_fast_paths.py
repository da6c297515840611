"""The clusterer's fast paths against the straightforward code they replaced: the same
stories, merges and stored forms, item for item (a speed change must change no decision)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.news.stories import StoryClusterer, StoryConfig, StoryItem
from bot.news.stories.clusterer import _CANDIDATE_TERMS, _COMMON, _Story
from bot.news.stories.features import Prepared
from tests.news import story_corpus


class _Reference(StoryClusterer):
    """The plain versions: a scan of every story to forget, one sort by (score, id) of dict
    entries, dot products over every key."""

    def _forget_old(self) -> None:
        if self._newest is None:
            return
        cutoff = self._newest - 2 * self.config.window.total_seconds()
        for story_id in [s for s, story in self._stories.items() if story.last < cutoff]:
            self._drop(story_id)

    def _candidates(
        self,
        features: dict[str, float],
        start: float,
        end: float,
        exclude: int | None = None,
        limit: int | None = None,
    ) -> list[_Story]:
        looked = sorted(
            (len(posting), key)
            for key in features
            if (posting := self._postings.get(key)) is not None
            and len(posting) <= _COMMON
            and (exclude is None or len(posting) > 1 or exclude not in posting)
        )
        score: dict[int, float] = {}
        for _, key in looked[:_CANDIDATE_TERMS]:
            for story_id in self._postings[key]:
                score[story_id] = score.get(story_id, 0.0) + features[key]
        score.pop(exclude, None) if exclude is not None else None
        window = self.config.window.total_seconds()
        limit = limit or self.config.max_candidates
        ranked = sorted(score.items(), key=lambda pair: (pair[1], pair[0]), reverse=True)
        out = [
            self._stories[story_id]
            for story_id, _ in ranked[: 2 * limit]
            if self._stories[story_id].last >= start - window
            and self._stories[story_id].first <= end + window
        ]
        return out[:limit]

    @staticmethod
    def _cosine(features: dict[str, float], story: _Story) -> float:
        if story.norm2 <= 0.0:
            return 0.0
        dot = 0.0
        for key, weight in features.items():
            if key in story.centroid:
                dot += weight * story.centroid[key]
        return dot / math.sqrt(story.norm2)

    @staticmethod
    def _cosines(item: Prepared, story: _Story) -> tuple[float, float]:
        if story.norm2 <= 0.0:
            return 0.0, 0.0
        dot = event = 0.0
        for key, weight in item.features.items():
            if key in story.centroid:
                dot += weight * story.centroid[key]
                if key in item.event_features():
                    event += weight * story.centroid[key]
        norm = math.sqrt(story.norm2)
        return dot / norm, event / norm


def _run(
    clusterer: StoryClusterer, items: Sequence[StoryItem], batch: int
) -> tuple[dict[int, int], list[object]]:
    """Each item's story (merges applied, as storage does) and everything else it said."""
    stories: dict[int, int] = {}
    seen: list[object] = []
    for start in range(0, len(items), batch):
        stories.update(clusterer.assign(items[start : start + batch]))
        merges = clusterer.take_merges()
        for merge in merges:
            stories = {k: merge.into_id if v == merge.story_id else v for k, v in stories.items()}
        seen.append(merges)
        seen.append(sorted(clusterer.take_prepared().items()))
        seen.append(clusterer.story_ids())
    seen.append(clusterer.members())
    return stories, seen


@pytest.mark.parametrize(
    ("window_hours", "batch"),
    [(72, 50), (72, 500), (12, 50)],
    ids=["default-window", "cold-poll", "short-window"],
)
def test_fast_paths_place_every_item_as_the_plain_code_does(window_hours: int, batch: int) -> None:
    """The eval set (a short window makes forgetting run all along): every answer, merge,
    stored form and held story is the same."""
    items = [labelled.item for labelled in story_corpus.load()]
    config = StoryConfig(window=timedelta(hours=window_hours))
    fast, fast_said = _run(StoryClusterer(config), items, batch)
    plain, plain_said = _run(_Reference(config), items, batch)
    assert fast == plain
    assert fast_said == plain_said
    # Not trivially equal: many stories, some of several reports.
    assert 10 < len(set(fast.values())) < len(items) - 50


@pytest.mark.parametrize(
    "title",
    [
        "Flipkart in push to rival Amazon with faster delivery",
        "Myntra cuts fees to take on Shein and Ajio",
        "Temu's rival Shein raises prices in the US",
        "After Amazon, Walmart opens a marketplace in Chile",
        "Like Amazon, Walmart adds drone delivery",
        "Shopee vs Lazada: the price war heats up",
        "Shopee versus Lazada in Vietnam",
        "Meesho taking on Flipkart in small towns",
        "Walmart can beat Amazon on groceries, analysts say",
        "Coupang competitor Naver expands fulfilment",
        "Amazon and Walmart race to catch up with Temu",
        "Walmart takes on Amazon with a new membership",
        "ＡＭＡＺＯＮ rival Temu fined in Italy",
        "Amazon raises seller fees in Germany",
        "Walmart and Amazon report holiday sales",
    ],
)
def test_the_rival_gate_changes_no_company_weight(
    title: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``company_weights`` with its needle gate weighs every company as the plain code that
    reads every headline's rival patterns does."""
    from bot.news.stories import keyterms

    companies = "amazon walmart temu shein flipkart myntra ajio shopee lazada meesho coupang naver"
    gated = keyterms.company_weights(title, companies.split())
    monkeypatch.setattr(keyterms, "_may_name_rival", lambda lowered: True)
    assert gated == keyterms.company_weights(title, companies.split())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_rival_gate_opens_on_every_text_a_rival_pattern_matches(data: st.DataObject) -> None:
    """Any text either rival pattern matches passes the gate: a new wording in a pattern
    without a needle for it fails here, not silently in a headline's weights."""
    from bot.news.stories import keyterms

    pattern = data.draw(st.sampled_from([keyterms._RIVAL_VERB_RE, keyterms._RIVAL_OF_RE]))
    text = data.draw(st.from_regex(pattern))
    assert keyterms._may_name_rival(text.lower())
