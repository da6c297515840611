"""The learned join and merge scores (``bot/news/stories/pairscore.py``) and the script that
trains and cross-validates them (``benchmarks/stories_pairmodel.py``)."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.news.stories.pairscore import (
    JOIN_MODEL,
    JOIN_SIGNALS,
    MERGE_MODEL,
    MERGE_SIGNALS,
    PairModel,
)
from tests.news.story_corpus import LabelledItem
from tests.news.story_holdout import Order

ROOT = Path(__file__).resolve().parents[2]


def _join(**given: float) -> list[float]:
    """A join signal vector: a plausible report against a small story, with ``given`` set."""
    base = dict.fromkeys(JOIN_SIGNALS, 0.0)
    base.update(cosine=0.3, event_cosine=0.2, log_size=math.log(3))
    base.update(given)
    base["cosine_x_log_size"] = base["cosine"] * base["log_size"]
    return [base[name] for name in JOIN_SIGNALS]


def _merge(**given: float) -> list[float]:
    base = dict.fromkeys(MERGE_SIGNALS, 0.0)
    base.update(cosine=0.3, member_logit_mean=0.0, member_logit_min=-1.0)
    base.update(log_small=math.log(2), log_large=math.log(5))
    base.update(given)
    return [base[name] for name in MERGE_SIGNALS]


def test_the_shipped_weights_load_and_match_their_signals() -> None:
    assert len(JOIN_MODEL.weights) == len(JOIN_SIGNALS)
    assert len(MERGE_MODEL.weights) == len(MERGE_SIGNALS)
    for model in (JOIN_MODEL, MERGE_MODEL):
        assert all(math.isfinite(w) for w in (*model.weights, model.bias))
        # Small and regularised: no weight a set could only have been memorised with.
        assert max(abs(w) for w in model.weights) < 200


def test_a_model_refuses_weights_that_are_not_numbers() -> None:
    with pytest.raises(ValueError):
        PairModel((1.0, math.nan), 0.0)


def test_the_join_score_rises_with_words_in_common() -> None:
    scores = [JOIN_MODEL.logit(_join(cosine=c, event_cosine=c * 0.7)) for c in (0.1, 0.3, 0.6)]
    assert scores == sorted(scores)
    assert scores[0] < 0.0 < scores[-1]


def test_the_join_score_falls_with_disagreement_and_distance() -> None:
    plain = JOIN_MODEL.logit(_join())
    assert JOIN_MODEL.logit(_join(place_miss=1.0)) < plain
    assert JOIN_MODEL.logit(_join(company_miss=1.0)) < plain
    assert JOIN_MODEL.logit(_join(same_source=1.0)) < plain
    assert JOIN_MODEL.logit(_join(time_gap=0.5)) < plain


def test_the_merge_score_rises_with_words_and_falls_with_conflict() -> None:
    # (The members' mean join score is not pinned: it moves with the centroid cosine, and
    # the fit shares their weight between the two as the data have it.)
    plain = MERGE_MODEL.logit(_merge())
    assert MERGE_MODEL.logit(_merge(cosine=0.6)) > plain
    assert MERGE_MODEL.logit(_merge(place_miss=1.0)) < plain
    assert MERGE_MODEL.logit(_merge(number_miss=1.0)) < plain
    assert MERGE_MODEL.logit(_merge(shared_sources=1.0)) < plain
    assert MERGE_MODEL.logit(_merge(time_gap=0.5)) < plain


def test_probability_is_the_logistic_of_the_logit() -> None:
    signals = _join()
    p = JOIN_MODEL.probability(signals)
    assert 0.0 < p < 1.0
    assert math.isclose(math.log(p / (1 - p)), JOIN_MODEL.logit(signals), rel_tol=1e-9)


def test_the_training_script_cross_validates_on_a_tiny_subset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    sys.modules.pop("benchmarks.stories_pairmodel", None)
    from benchmarks import stories_pairmodel as script

    # Two small sets, two events in three dropped: one round, so the test stays quick.
    def tiny(name: str) -> script.Loader:
        load = script.SETS[name]

        def loaded(order: Order) -> list[LabelledItem]:
            kept = [li for li in load(order) if sum(map(ord, li.story[:3])) % 3 == 0]
            events = {li.story for li in kept}
            return [
                replace(li, lookalikes=tuple(e for e in li.lookalikes if e in events))
                for li in kept
            ]

        return loaded

    monkeypatch.setattr(script, "SETS", {"part_c": tiny("part_c"), "part_d": tiny("part_d")})
    report = script.cross_validate(["part_c", "part_d"], script.Settings(rounds=1))
    table = report["table"]
    assert isinstance(table, dict) and set(table) == {"part_c", "part_d"}
    assert 0.0 <= float(report["f1_min"]) <= float(report["f1_mean"]) <= 1.0  # type: ignore[arg-type]


def test_the_next_set_check_trains_on_earlier_sets_less_a_lag_or_the_last_few(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    sys.modules.pop("benchmarks.stories_pairmodel", None)
    from benchmarks import stories_pairmodel as script

    names = list(script.SETS)
    before = names[: names.index("holdout9")]
    assert script.earlier_sets(names, "holdout9") == before
    assert script.earlier_sets(names, "holdout9", lag=1) == before[:-1]
    assert script.earlier_sets(names, "holdout9", last=3) == before[-3:]
    assert script.earlier_sets(names, "holdout9", lag=1, last=3) == before[-4:-1]
    assert "holdout10" not in script.earlier_sets(names, "holdout10")
