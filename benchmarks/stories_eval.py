"""Story clustering benchmark: pairwise accuracy on the hand-written set (tuning half and
held-out half) and on the generated sets, and throughput.

    uv run python benchmarks/stories_eval.py                     # every set, 5 timing runs
    uv run python benchmarks/stories_eval.py --large 10000 --runs 3 --seeds 8
    uv run python benchmarks/stories_eval.py --holdout2           # also holdout2 (now tuning data)
    uv run python benchmarks/stories_eval.py --holdout3           # also holdout3 (now tuning data)
    uv run python benchmarks/stories_eval.py --holdout4           # also holdout4 (training data)
    uv run python benchmarks/stories_eval.py --holdout5           # also holdout5 (training data)
    uv run python benchmarks/stories_eval.py --holdout6           # also holdout6 (training data)
    uv run python benchmarks/stories_eval.py --holdout7           # also holdout7 (training data)
    uv run python benchmarks/stories_eval.py --holdout8           # also holdout8 (training data)
    uv run python benchmarks/stories_eval.py --holdout9           # also holdout9 (training data)
    uv run python benchmarks/stories_eval.py --holdout10          # also holdout10 (training data)
    uv run python benchmarks/stories_eval.py --holdout11          # also holdout11 (training data)
    uv run python benchmarks/stories_eval.py --holdout12          # also holdout12 (training data)
    uv run python benchmarks/stories_eval.py --holdout13          # also holdout13 (training data)
    uv run python benchmarks/stories_eval.py --holdout14          # also holdout14 (training data)
    uv run python benchmarks/stories_eval.py --holdout15          # also holdout15 (training data)

The hand-written set (``tests/data/stories_holdout``, see ``tests/news/story_holdout.py``) is
split by event: the defaults were tuned on the "tune" half; the "test" half was held out but
has been reported many times. Every set this script reads has been used to tune the method
(the seventh and eighth, ``--holdout7`` and ``--holdout8``, were each scored once as the
held-out set on 2026-12-07, and are training data since; so were the ninth, tenth and
eleventh, ``--holdout9``, ``--holdout10`` and ``--holdout11``, and the twelfth and thirteenth,
``--holdout12`` and ``--holdout13``, scored once together, and the fourteenth and fifteenth,
``--holdout14`` and ``--holdout15``, likewise); ``tests/data/stories_holdout16``
and ``stories_holdout17`` are held out, and are read by nothing here until they are scored,
once (``stories_heldout.py``).
Each half is assigned in two orders: by publication time in batches of
``--batch`` (feeds polled as items come out), and grouped by outlet in one batch of 500 (a
cold first poll of every feed). Merges are applied to earlier placements, as storage does.
The extra tuning sets (``tests/data/stories_tuning/part_c.jsonl`` and ``part_d.jsonl``, tuning
data only) are scored the same two ways, each on its own. ``--holdout2`` also scores
``tests/data/stories_holdout2`` the same two ways (held out once, reported, and tuning data
since). ``--holdout3`` scores ``tests/data/stories_holdout3`` (held out, reported three times,
and tuning data since). ``--holdout4`` and ``--holdout5`` score the fourth and fifth sets
(``tests/data/stories_holdout4``, ``stories_holdout5``), each held out until it was scored and
training data for the pair models since. ``--holdout6``
scores the sixth set (``tests/data/stories_holdout6``), written while the method was being
changed on the other five and held out until it was scored once; it is training data for the
pair models since (its figures are training scores). ``--holdout7``
scores the seventh set (``tests/data/stories_holdout7``), written after all six others had been
used to tune the method, scored once as a held-out set on 2026-12-07 and training data for the
pair models since.

Accuracy: items are assigned in batches of ``--batch`` (one poll's worth) in ingest order, as
the bot does. Pairwise precision, recall and F1 count pairs of items: a pair is found when both
items got the same story, expected when both report the same event. Also: stories found
against true stories, the largest story found against the largest true one (a giant cluster
shows here), and look-alike pairs (same template, another country, company or number) that
were merged. The 300-item set is ``tests/data/stories_eval.jsonl``; the large set comes from
the same generator (``tests/news/story_corpus.py``) with another seed, two weeks of events,
denser look-alikes and cut or missing descriptions. ``--seeds N`` adds N more 300-item sets
from seeds the defaults were never tuned on.

Throughput: the large set assigned from scratch ``--runs`` times on one core, each batch's
stored forms and merges taken as the bot's story worker takes them; the median run gives
items/s (wall clock, and CPU time, steadier on a busy machine). Two figures, labelled: reading
each item's text in process (what the bot does by default, ``story_text_at_ingest`` off: the
story worker reads the items' text, half of a batch of 100 or more on the other core), and
placing items whose text features were stored at ingest (``story_text_at_ingest`` on: parser
workers read the text, and placing only decodes them). The difference is the cost of reading
text. Rebuilding the clusterer from the large set's assignments (what a restart does) is timed
once.

Plain text first, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the corpus generator lives in the tests package

from bot.news.stories import PreparedItem, StoryClusterer, StoryConfig, StoryItem  # noqa: E402
from bot.news.stories.features import Featurizer  # noqa: E402
from bot.news.stories.pairscore import PairModel  # noqa: E402
from tests.news import story_corpus, story_holdout  # noqa: E402
from tests.news.story_corpus import LabelledItem  # noqa: E402


@dataclass(frozen=True, slots=True)
class Result:
    """How one set was clustered."""

    name: str
    items: int
    true_stories: int
    found_stories: int
    largest_true: int
    largest_found: int
    precision: float
    recall: float
    f1: float
    lookalike_pairs: int
    lookalikes_merged: int
    seconds: float

    def as_json(self) -> dict[str, float | int | str]:
        return {
            "items": self.items,
            "true_stories": self.true_stories,
            "found_stories": self.found_stories,
            "largest_true": self.largest_true,
            "largest_found": self.largest_found,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "lookalike_pairs": self.lookalike_pairs,
            "lookalikes_merged": self.lookalikes_merged,
            "seconds": round(self.seconds, 3),
        }


def _pairs(labels: Sequence[object]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(labels).values())


def assign(
    items: Sequence[LabelledItem],
    config: StoryConfig,
    batch: int,
    join_model: PairModel | None = None,
    merge_model: PairModel | None = None,
) -> tuple[dict[int, int], float]:
    """Item id -> story id, assigned batch by batch, and the seconds it took."""
    clusterer = StoryClusterer(config, join_model=join_model, merge_model=merge_model)
    plain = [labelled.item for labelled in items]
    started = time.perf_counter()
    out = place_in_batches(clusterer, plain, batch)
    return out, time.perf_counter() - started


def place_in_batches(
    clusterer: StoryClusterer, items: Sequence[StoryItem], batch: int
) -> dict[int, int]:
    """Item id -> story id, placed ``batch`` items at a time; each merge a batch made is
    applied to the earlier placements, in order, so a chain of merges ends in its last story."""
    out: dict[int, int] = {}
    for start in range(0, len(items), batch):
        out.update(clusterer.assign(items[start : start + batch]))
        for merge in clusterer.take_merges():
            out = {k: merge.into_id if v == merge.story_id else v for k, v in out.items()}
    return out


def evaluate(
    name: str,
    items: Sequence[LabelledItem],
    config: StoryConfig,
    batch: int,
    join_model: PairModel | None = None,
    merge_model: PairModel | None = None,
) -> Result:
    """Cluster ``items`` and score the result against their labels (with ``join_model`` and
    ``merge_model`` instead of the shipped weights, when given)."""
    assigned, seconds = assign(items, config, batch, join_model, merge_model)
    truth = [labelled.story for labelled in items]
    found = [assigned[labelled.item.item_id] for labelled in items]
    true_positives = _pairs(list(zip(truth, found, strict=True)))
    found_pairs, expected_pairs = _pairs(found), _pairs(truth)
    precision = true_positives / found_pairs if found_pairs else 1.0
    recall = true_positives / expected_pairs if expected_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    stories_of: dict[str, set[int]] = {}
    for labelled, story_id in zip(items, found, strict=True):
        stories_of.setdefault(labelled.story, set()).add(story_id)
    lookalikes = {tuple(sorted((li.story, other))) for li in items for other in li.lookalikes}
    merged = sum(1 for a, b in lookalikes if stories_of[a] & stories_of[b])
    return Result(
        name=name,
        items=len(items),
        true_stories=len(set(truth)),
        found_stories=len(set(found)),
        largest_true=max(Counter(truth).values()),
        largest_found=max(Counter(found).values()),
        precision=precision,
        recall=recall,
        f1=f1,
        lookalike_pairs=len(lookalikes),
        lookalikes_merged=merged,
        seconds=seconds,
    )


def show(result: Result) -> None:
    """One set's figures, as text."""
    print(
        f"{result.name}: {result.items} items, {result.true_stories} true stories,"
        f" {result.found_stories} found"
    )
    print(
        f"  pairwise precision {result.precision:.4f}  recall {result.recall:.4f}"
        f"  F1 {result.f1:.4f}"
    )
    print(
        f"  largest story found {result.largest_found} (largest true {result.largest_true});"
        f" look-alike pairs merged {result.lookalikes_merged} of {result.lookalike_pairs};"
        f" assigned in {result.seconds:.2f} s"
    )


@dataclass(frozen=True, slots=True)
class Timed:
    """Placing one set from scratch, several times: wall-clock and CPU seconds of each run."""

    runs: list[float]
    cpu_runs: list[float]
    clusterer: StoryClusterer  # the last run's

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_runs)

    def as_json(self, items: int) -> dict[str, object]:
        return {
            "runs_s": [round(t, 4) for t in self.runs],
            "median_s": round(self.median, 4),
            "items_per_s": round(items / self.median),
            "cpu_runs_s": [round(t, 4) for t in self.cpu_runs],
            "cpu_median_s": round(self.cpu_median, 4),
            "cpu_items_per_s": round(items / self.cpu_median),
        }


def _throughput(items: Sequence[StoryItem], config: StoryConfig, batch: int, runs: int) -> Timed:
    """``items`` placed from scratch ``runs`` times, a batch at a time, each batch's stored
    forms and merges taken as the bot's story worker takes them (``place_batch``)."""
    timings, cpu_timings = [], []
    clusterer = StoryClusterer(config)
    for _ in range(runs):
        clusterer = StoryClusterer(config)
        started, cpu_started = time.perf_counter(), time.process_time()
        for start in range(0, len(items), batch):
            clusterer.assign(items[start : start + batch])
            clusterer.take_prepared()
            clusterer.take_merges()
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu_started)
    return Timed(timings, cpu_timings, clusterer)


def _at_least_one(text: str) -> int:
    """A count of 1 or more (the throughput runs need items, and a median needs a run)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--large", type=_at_least_one, default=5000, help="items in the large set")
    parser.add_argument("--batch", type=_at_least_one, default=50, help="items per assign() call")
    parser.add_argument(
        "--runs", type=_at_least_one, default=5, help="timing runs (median is kept)"
    )
    parser.add_argument("--seeds", type=int, default=0, help="extra 300-item sets to score")
    parser.add_argument(
        "--holdout2",
        action="store_true",
        help="also score stories_holdout2 (reported once, now tuning data)",
    )
    parser.add_argument(
        "--holdout3",
        action="store_true",
        help="also score stories_holdout3 (reported three times, now tuning data)",
    )
    parser.add_argument(
        "--holdout4",
        action="store_true",
        help="also score holdout4 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout5",
        action="store_true",
        help="also score holdout5 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout6",
        action="store_true",
        help="also score holdout6 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout7",
        action="store_true",
        help="also score holdout7 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout8",
        action="store_true",
        help="also score holdout8 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout9",
        action="store_true",
        help="also score holdout9 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout10",
        action="store_true",
        help="also score holdout10 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout11",
        action="store_true",
        help="also score holdout11 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout12",
        action="store_true",
        help="also score holdout12 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout13",
        action="store_true",
        help="also score holdout13 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout14",
        action="store_true",
        help="also score holdout14 (held out once, training data since)",
    )
    parser.add_argument(
        "--holdout15",
        action="store_true",
        help="also score holdout15 (held out once, training data since)",
    )
    args = parser.parse_args()
    config = StoryConfig()

    halves: dict[str, Result] = {}
    for half in ("tune", "test"):
        for order, batch in (("published", args.batch), ("feeds", 500)):
            name = f"hand-written {half} half, {order} order"
            result = evaluate(name, story_holdout.load(half, order), config, batch)  # type: ignore[arg-type]
            halves[f"{half}_{order}"] = result
            show(result)
    extra_tuning: dict[str, dict[str, Result]] = {}
    for part in story_holdout.EXTRA_TUNING_PARTS:
        for order, batch in (("published", args.batch), ("feeds", 500)):
            items = story_holdout.load_extra_tuning(order, (part,))  # type: ignore[arg-type]
            name = f"extra tuning set ({part}), {order} order"
            result = evaluate(name, items, config, batch)
            extra_tuning.setdefault(part, {})[order] = result
            show(result)
    held_sets = (
        ("fresh_holdout2", args.holdout2, story_holdout.load_holdout2, "stories_holdout2"),
        ("fresh_holdout3", args.holdout3, story_holdout.load_holdout3, "stories_holdout3"),
        ("fresh_holdout4", args.holdout4, story_holdout.load_holdout4, "stories_holdout4"),
        ("fresh_holdout5", args.holdout5, story_holdout.load_holdout5, "stories_holdout5"),
        ("fresh_holdout6", args.holdout6, story_holdout.load_holdout6, "stories_holdout6"),
        ("fresh_holdout7", args.holdout7, story_holdout.load_holdout7, "stories_holdout7"),
        ("fresh_holdout8", args.holdout8, story_holdout.load_holdout8, "stories_holdout8"),
        ("fresh_holdout9", args.holdout9, story_holdout.load_holdout9, "stories_holdout9"),
        ("fresh_holdout10", args.holdout10, story_holdout.load_holdout10, "stories_holdout10"),
        ("fresh_holdout11", args.holdout11, story_holdout.load_holdout11, "stories_holdout11"),
        ("fresh_holdout12", args.holdout12, story_holdout.load_holdout12, "stories_holdout12"),
        ("fresh_holdout13", args.holdout13, story_holdout.load_holdout13, "stories_holdout13"),
        ("fresh_holdout14", args.holdout14, story_holdout.load_holdout14, "stories_holdout14"),
        ("fresh_holdout15", args.holdout15, story_holdout.load_holdout15, "stories_holdout15"),
    )
    held_out: dict[str, dict[str, Result]] = {}
    for key, wanted, load, label in held_sets:
        if not wanted:
            continue
        for order, batch in (("published", args.batch), ("feeds", 500)):
            items = load(order)  # type: ignore[arg-type]
            # Held out once each, training data since: none is still held out here.
            name = f"hand-written set ({label}), {order} order"
            held_out.setdefault(key, {})[order] = evaluate(name, items, config, batch)
            show(held_out[key][order])
    small = evaluate("eval set (tests/data)", story_corpus.load(), config, args.batch)
    show(small)
    started = time.perf_counter()
    large_items = story_corpus.large_corpus(items=args.large)
    generated_in = time.perf_counter() - started
    large = evaluate(f"large set ({args.large} asked)", large_items, config, args.batch)
    show(large)

    extra: list[Result] = []
    for seed in range(1, args.seeds + 1):
        items = story_corpus.generate(seed, stories=48, singletons=60, days=4.0)
        extra.append(evaluate(f"seed {seed}", items, config, args.batch))
    if extra:
        scores = [r.f1 for r in extra]
        print(
            f"{len(extra)} more 300-item sets (seeds 1-{args.seeds}): F1 mean"
            f" {statistics.fmean(scores):.4f}, min {min(scores):.4f}, max {max(scores):.4f};"
            f" look-alike pairs merged {sum(r.lookalikes_merged for r in extra)}"
            f" of {sum(r.lookalike_pairs for r in extra)}"
        )

    plain = [labelled.item for labelled in large_items]
    from_text = _throughput(plain, config, args.batch, args.runs)
    # The same items with their text features read at ingest (``parse_job``, when
    # ``story_text_at_ingest`` is on): what the bot's story worker places then.
    featurizer = Featurizer(config)
    stored = [replace(item, text=featurizer.extract(item).encode()) for item in plain]
    from_stored = _throughput(stored, config, args.batch, args.runs)
    clusterer = from_text.clusterer
    # What a restart reads back: each held item's stored form, as text.
    held = [PreparedItem(r.item_id, r.story_id, str(r.data)) for r in clusterer.members()]
    started = time.perf_counter()
    StoryClusterer.rebuild(held, config)
    rebuild_seconds = time.perf_counter() - started
    for label, timed in (
        ("reading each item's text", from_text),
        ("text features stored at ingest", from_stored),
    ):
        print(
            f"Throughput, {label}: {len(plain)} items in batches of {args.batch}, median of"
            f" {args.runs} runs: {timed.median:.3f} s = {len(plain) / timed.median:,.0f}"
            f" items/s; CPU {timed.cpu_median:.3f} s = {len(plain) / timed.cpu_median:,.0f}"
            " items/s."
        )
    print(
        f"Rebuild after a restart ({len(held)} held items): {rebuild_seconds:.3f} s."
        f" (Generating the large set took {generated_in:.2f} s.)"
    )
    report: dict[str, object] = {
        "benchmark": "stories_eval",
        "config": {
            "threshold": config.threshold,
            "merge_threshold": config.merge_threshold,
            "window_hours": config.window.total_seconds() / 3600,
            "max_candidates": config.max_candidates,
        },
        "hand_written": {key: result.as_json() for key, result in halves.items()},
        **{
            f"extra_tuning_{part}": {key: result.as_json() for key, result in results.items()}
            for part, results in extra_tuning.items()
        },
        **{
            key: {order: result.as_json() for order, result in results.items()}
            for key, results in held_out.items()
        },
        "eval_set": small.as_json(),
        "large_set": large.as_json(),
        "seeds": [r.as_json() for r in extra],
        "throughput": {
            "items": len(plain),
            "batch": args.batch,
            **from_text.as_json(len(plain)),
            "stored_text": from_stored.as_json(len(plain)),
            "rebuild_items": len(held),
            "rebuild_s": round(rebuild_seconds, 4),
        },
    }
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    main()
