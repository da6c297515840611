"""Tests for story clustering: accuracy on the multi-source set, the same-template guard, the
window, giant clusters, restarts, determinism, and how a story reads."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.news.stories import (
    PreparedItem,
    StoryClusterer,
    StoryConfig,
    StoryItem,
    StorySummary,
    summarize_story,
)
from bot.news.tagging.company_tagger import Tagger
from tests.news import story_corpus, story_holdout
from tests.news.story_corpus import LabelledItem

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 5, 2, 8, 0, tzinfo=UTC)
BATCH = 50  # about one poll's worth of new items


def _item(
    item_id: int,
    title: str,
    summary: str = "",
    source: str = "Wire",
    hours: float = 0.0,
    companies: tuple[str, ...] | None = None,
) -> StoryItem:
    if companies is None:
        companies = Tagger.default().tag(title, summary)
    return StoryItem(item_id, title, summary, source, T0 + timedelta(hours=hours), companies)


def _assign_in_batches(
    items: Sequence[StoryItem], clusterer: StoryClusterer | None = None
) -> dict[int, int]:
    """Item id -> story id as storage would hold them: each batch's placements, with every
    merge applied to the items placed before it."""
    clusterer = clusterer or StoryClusterer()
    out: dict[int, int] = {}
    for start in range(0, len(items), BATCH):
        out.update(clusterer.assign(items[start : start + BATCH]))
        for merge in clusterer.take_merges():
            for item_id, story_id in out.items():
                if story_id == merge.story_id:
                    out[item_id] = merge.into_id
    return out


def _pairs(labels: Sequence[object]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(labels).values())


def pairwise_scores(truth: Sequence[str], predicted: Sequence[int]) -> tuple[float, float, float]:
    """Precision, recall and F1 over all pairs of items (same story or not)."""
    true_positives = _pairs(list(zip(truth, predicted, strict=True)))
    found, expected = _pairs(predicted), _pairs(truth)
    precision = true_positives / found if found else 1.0
    recall = true_positives / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@pytest.fixture(scope="module")
def corpus() -> list[LabelledItem]:
    return story_corpus.load()


@pytest.fixture(scope="module")
def assigned(corpus: list[LabelledItem]) -> dict[int, int]:
    return _assign_in_batches([labelled.item for labelled in corpus])


# --- the evaluation set -----------------------------------------------------------------------


def test_eval_set_is_what_the_generator_makes() -> None:
    # Regenerate with `uv run python -m tests.news.story_corpus` after changing the generator.
    generated = "".join(story_corpus.to_json_line(i) + "\n" for i in story_corpus.eval_corpus())
    assert story_corpus.EVAL_PATH.read_text(encoding="utf-8") == generated


def test_eval_set_has_the_shape_the_tests_need(corpus: list[LabelledItem]) -> None:
    assert len(corpus) >= 300
    sources: dict[str, set[str]] = {}
    for labelled in corpus:
        sources.setdefault(labelled.story, set()).add(labelled.item.source)
    multi = [names for names in sources.values() if len(names) > 1]
    assert len(multi) >= 12
    assert all(3 <= len(names) <= 8 for names in multi)
    assert sum(1 for names in sources.values() if len(names) == 1) >= 30  # singletons
    lookalikes = {tuple(sorted((li.story, other))) for li in corpus for other in li.lookalikes}
    assert len(lookalikes) >= 20
    # Different wording: within a story, most titles are unique.
    titles: dict[str, list[str]] = {}
    for labelled in corpus:
        titles.setdefault(labelled.story, []).append(labelled.item.title.lower())
    distinct = sum(len(set(t)) for t in titles.values()) / sum(len(t) for t in titles.values())
    assert distinct > 0.9
    published = [labelled.item.published for labelled in corpus]
    assert max(published) - min(published) > timedelta(days=3)


def test_pairwise_f1_on_the_eval_set(corpus: list[LabelledItem], assigned: dict[int, int]) -> None:
    truth = [labelled.story for labelled in corpus]
    predicted = [assigned[labelled.item.item_id] for labelled in corpus]
    precision, recall, f1 = pairwise_scores(truth, predicted)
    print(f"pairwise precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}")
    # Measured 0.874 (P 0.792, R 0.975); 0.907 (P 0.845) before names quoted in a text stopped
    # costing a report its story and title-only posts needed less evidence, which lets more of
    # the templates' one-slot look-alikes (another quoted person) through. This generated set
    # is a regression guard against a collapse: its look-alikes favoured the old character
    # n-gram method tuned on it (0.966), which failed on real wording (0.66 on a hand-written
    # set). The hand-written sets are what the defaults are tuned and judged on.
    assert f1 >= 0.84
    assert precision >= 0.76 and recall >= 0.92


def test_lookalike_stories_are_hardly_ever_merged(
    corpus: list[LabelledItem], assigned: dict[int, int]
) -> None:
    stories_of: dict[str, set[int]] = {}
    for labelled in corpus:
        stories_of.setdefault(labelled.story, set()).add(assigned[labelled.item.item_id])
    merged = {
        tuple(sorted((labelled.story, other)))
        for labelled in corpus
        for other in labelled.lookalikes
        if stories_of[labelled.story] & stories_of[other]
    }
    assert len(merged) <= 8  # measured 4 of 465 pairs


def test_no_giant_cluster_at_5000_items() -> None:
    corpus = story_corpus.large_corpus()
    assert len(corpus) >= 5000
    assigned = _assign_in_batches([labelled.item for labelled in corpus])
    largest_true = max(Counter(labelled.story for labelled in corpus).values())
    largest = max(Counter(assigned.values()).values())
    assert largest <= 3 * largest_true
    truth = [labelled.story for labelled in corpus]
    _, _, f1 = pairwise_scores(truth, [assigned[li.item.item_id] for li in corpus])
    assert f1 >= 0.70  # measured 0.74 (P 0.61, R 0.94); see benchmarks/stories_eval.py


# --- the hand-written set ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("half", "order", "batch", "f1_floor", "precision_floor"),
    [
        # Tuned on: measured F1 0.941 (P 0.965) and 0.940 (P 0.976); 0.952 (P 1.000, 0.989)
        # before the tuning sets grew by stories_holdout2, which traded some of this half's
        # precision for recall on the others.
        ("tune", "published", BATCH, 0.92, 0.95),
        ("tune", "feeds", 500, 0.92, 0.95),
        # Held out but reported many times: measured F1 0.947 (P 0.964) and 0.947 (P 0.931).
        ("test", "published", BATCH, 0.90, 0.93),
        ("test", "feeds", 500, 0.91, 0.90),
    ],
)
def test_pairwise_scores_on_the_hand_written_set(
    half: story_holdout.Half,
    order: story_holdout.Order,
    batch: int,
    f1_floor: float,
    precision_floor: float,
) -> None:
    corpus = story_holdout.load(half, order)
    clusterer = StoryClusterer()
    assigned: dict[int, int] = {}
    items = [labelled.item for labelled in corpus]
    for start in range(0, len(items), batch):
        assigned.update(clusterer.assign(items[start : start + batch]))
        for merge in clusterer.take_merges():
            assigned = {k: merge.into_id if v == merge.story_id else v for k, v in assigned.items()}
    truth = [labelled.story for labelled in corpus]
    precision, _, f1 = pairwise_scores(truth, [assigned[i.item_id] for i in items])
    assert f1 >= f1_floor
    assert precision >= precision_floor


def test_hand_written_set_has_the_shape_the_issue_asks_for() -> None:
    rows = story_holdout.rows()
    assert len(rows) >= 400
    outlets: dict[str, set[str]] = {}
    for row in rows:
        outlets.setdefault(row.event, set()).add(row.source)
    main = {e: names for e, names in outlets.items() if "-" not in e}
    assert len(main) >= 20 and all(len(names) >= 8 for names in main.values())
    assert sum(1 for row in rows if row.lookalike_of) >= 60
    assert {row.half for row in rows} == {"tune", "test"}


# --- behaviour on hand-written items ----------------------------------------------------------


def test_one_event_in_many_wordings_is_one_story() -> None:
    items = [
        _item(
            1,
            "Temu pauses US shipments as de minimis ends",
            "The Chinese discount app will stop shipping directly from China to US customers.",
            "Retail Dive",
        ),
        _item(2, "De minimis loophole closes; Temu halts direct China parcels", "", "Axios", 1),
        _item(
            3,
            "Reuters: Temu stops shipping from China to US",
            "Temu has stopped shipping goods directly from China to the United States.",
            "Tamebay",
            2,
        ),
    ]
    assignments = StoryClusterer().assign(items)
    assert len({story for _, story in assignments}) == 1


def test_amounts_in_other_units_and_words_for_a_listing_do_not_split_a_story() -> None:
    fine = [
        _item(1, "EU fines Temu €200 million over unsafe toys", "", "Reuters"),
        _item(
            2,
            "Temu hit with 200m euro penalty by Brussels",
            "The European Commission fined Temu under the Digital Services Act.",
            "Politico Europe",
            1,
        ),
        _item(
            3,
            "Temu slapped with $220 million EU fine",
            "The European Commission penalised Temu 200 million euros over unsafe products.",
            "CNBC",
            2,
        ),
    ]
    listing = [
        _item(11, "Shein confidentially files for Hong Kong listing", "", "Bloomberg"),
        _item(
            12,
            "Shein turns to Hong Kong for IPO after London plans stall",
            "The fast-fashion retailer filed confidentially with the Hong Kong exchange.",
            "Financial Times",
            3,
        ),
        _item(13, "SHEIN eyes IPO in Hong Kong", "", "Axios", 5),
    ]
    story = dict(StoryClusterer().assign(fine + listing))
    assert story[1] == story[2] == story[3]
    assert story[11] == story[12] == story[13] != story[1]


def test_title_only_forum_threads_and_changelog_lines_stay_apart() -> None:
    threads = [
        "How do I set up shipping profiles for international orders?",
        "Anyone else seeing a drop in conversions this week?",
        "Best apps for product reviews on Shopify?",
        "Shopify Payments payout delayed - is this normal?",
        "Question about theme customization on Shopify",
        "Is Shopify Plus worth it for a small store?",
    ]
    changelog = [
        "Added support for bulk editing product variants",
        "Fixed an issue with webhook retries for orders",
        "Added order webhooks for partial refunds",
        "Fixed product variant images not syncing",
    ]
    items = [_item(n, title, "", "r/shopify", n * 0.5) for n, title in enumerate(threads, 1)]
    items += [
        _item(20 + n, title, "", "Shop API changelog", n * 0.5)
        for n, title in enumerate(changelog, 1)
    ]
    assignments = StoryClusterer().assign(items)
    assert len({story for _, story in assignments}) == len(items)


def test_the_merge_pass_mends_stories_that_arrival_order_split() -> None:
    # A cold first poll stores each outlet's items together, so an event's reports arrive far
    # apart and start several stories; merging them back is what keeps recall up there.
    corpus = story_holdout.load("tune", "feeds")
    items = [labelled.item for labelled in corpus]
    truth = [labelled.story for labelled in corpus]
    merging = StoryClusterer()
    merged = dict(merging.assign(items))
    merges = merging.take_merges()
    assert merges and merging.take_merges() == []
    # Every id the merges name as gone is gone from the answer.
    assert not {m.story_id for m in merges} & set(merged.values())
    never = dict(StoryClusterer(StoryConfig(merge_threshold=0.99)).assign(items))
    _, with_merges, _ = pairwise_scores(truth, [merged[i.item_id] for i in items])
    _, without, _ = pairwise_scores(truth, [never[i.item_id] for i in items])
    assert with_merges > without + 0.05


def test_same_template_different_place_or_number_stays_apart() -> None:
    items = [
        _item(1, "SHEIN fined €40m in France", "France's watchdog fined Shein 40 million euros."),
        _item(2, "SHEIN fined €10m in Italy", "Italy's AGCM fined Shein 10 million euros.", "B", 1),
        _item(
            3,
            "French regulator hits Shein with 40 million euro penalty",
            "The DGCCRF said Shein misled shoppers with fake discounts.",
            "C",
            2,
        ),
        _item(4, "Amazon raises fees in Germany", "Amazon will raise fees for German sellers."),
        _item(5, "Amazon raises fees in Japan", "Amazon will raise fees for Japanese sellers."),
        _item(6, "Amazon hikes German seller fees", "Sellers in Germany will pay more, it said."),
    ]
    story = dict(StoryClusterer().assign(items))
    assert story[1] == story[3] != story[2]
    assert story[4] == story[6] != story[5]


def test_an_item_silent_on_the_place_is_not_pushed_away() -> None:
    clusterer = StoryClusterer()
    [(_, story_id)] = clusterer.assign(
        [_item(1, "SHEIN fined €40m in France over misleading discounts")]
    )
    # Names no country: no disagreement, only what the text shares.
    silent = _item(2, "SHEIN fined €40m over misleading discounts", source="Axios", hours=1)
    italy = _item(3, "SHEIN fined €40m in Italy over misleading discounts", source="Axios", hours=1)
    # The join model's log-odds: an item joins at 0 or more.
    assert clusterer.score(silent, story_id) >= 0.0
    assert clusterer.score(italy, story_id) < 0.0


def test_window_splits_one_story_reported_days_apart() -> None:
    first = _item(1, "Zalando opens fulfilment centre near Leipzig", "It will employ 1,200.")
    again = replace(first, item_id=2, published=first.published + timedelta(days=5))
    clusterer = StoryClusterer(StoryConfig(window=timedelta(hours=72)))
    assert clusterer.assign([first]) == [(1, 1)]
    assert clusterer.assign([again]) == [(2, 2)]
    # Within the window, the same headline from another outlet joins. (From the same outlet a
    # day later the join model reads it as that outlet's next post, not another report.)
    near = replace(
        first, item_id=3, source="Other", published=first.published + timedelta(hours=30)
    )
    assert clusterer.assign([near]) == [(3, 1)]


def test_future_dates_are_capped_by_now() -> None:
    first = _item(1, "Vinted launches in Turkey with a returns hub", "Vinted opened on Monday.")
    future = replace(first, item_id=2, published=first.published + timedelta(days=30))
    clusterer = StoryClusterer()
    clusterer.assign([first], now=first.published)
    assert clusterer.assign([future], now=first.published + timedelta(hours=1)) == [(2, 1)]


def test_the_same_item_twice_keeps_its_story() -> None:
    items = [_item(1, "Coupang to cut 1,500 jobs"), _item(2, "Etsy enters Canada")]
    clusterer = StoryClusterer()
    first = clusterer.assign(items)
    assert clusterer.assign(list(reversed(items))) == first
    assert clusterer.assign([items[0], items[0]]) == first[:1]
    assert len(clusterer.members()) == 2


def test_empty_and_textless_items() -> None:
    clusterer = StoryClusterer()
    assert clusterer.assign([]) == []
    assert clusterer.assign([_item(1, ""), _item(2, "")]) == [(1, 1), (2, 2)]


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        StoryConfig(threshold=0.0)
    with pytest.raises(ValueError):
        StoryConfig(window=timedelta(0))
    with pytest.raises(ValueError):
        StoryConfig(merge_threshold=1.5)
    with pytest.raises(ValueError):
        StoryConfig(term_boost=-0.1)


# --- restarts and determinism -----------------------------------------------------------------


def test_rebuilt_clusterer_assigns_the_next_batch_identically(
    corpus: list[LabelledItem],
) -> None:
    items = [labelled.item for labelled in corpus]
    cut = 250
    live = StoryClusterer()
    _assign_in_batches(items[:cut], live)

    # What a storage layer keeps: each held item's prepared form and its story id, as text.
    saved = [PreparedItem(r.item_id, r.story_id, str(r.data)) for r in live.members()]
    restored = StoryClusterer.rebuild(saved, next_story_id=live.next_story_id)

    assert restored.story_ids() == live.story_ids()
    assert restored.next_story_id == live.next_story_id
    for start in range(cut, len(items), BATCH):
        batch = items[start : start + BATCH]
        assert restored.assign(batch) == live.assign(batch)
        assert restored.take_merges() == live.take_merges()


def test_items_placed_before_features_were_stored_are_prepared_once(
    corpus: list[LabelledItem],
) -> None:
    items = [labelled.item for labelled in corpus[:120]]
    live = StoryClusterer()
    placed = _assign_in_batches(items, live)
    upgraded = StoryClusterer()
    upgraded.hold([(item, placed[item.item_id]) for item in items])
    assert sorted(upgraded.take_prepared()) == [item.item_id for item in items]
    assert upgraded.story_ids() == sorted(set(placed.values()))
    assert upgraded.take_prepared() == {}


def test_prepared_forms_of_another_version_are_skipped() -> None:
    item = _item(1, "Allegro raises seller fees in Poland")
    clusterer = StoryClusterer()
    clusterer.assign([item])
    [record] = clusterer.members()
    stale = PreparedItem(1, record.story_id, "0" + record.data[1:])
    rebuilt = StoryClusterer.rebuild([stale])
    assert rebuilt.story_ids() == [] and rebuilt.unreadable == [1]
    assert StoryClusterer.rebuild([record]).story_ids() == [record.story_id]


def test_rebuild_numbers_new_stories_after_every_known_id() -> None:
    item = _item(1, "Allegro raises seller fees in Poland")
    clusterer = StoryClusterer()
    clusterer.assign([item])
    [record] = clusterer.members()
    held = PreparedItem(record.item_id, 7, record.data)
    restored = StoryClusterer.rebuild([held], next_story_id=40)
    assert restored.next_story_id == 40
    assert StoryClusterer.rebuild([held]).next_story_id == 8
    [(_, story_id)] = restored.assign([_item(2, "Rakuten names Yuki Tanaka chief executive")])
    assert story_id == 40


def test_old_stories_are_forgotten() -> None:
    clusterer = StoryClusterer()
    clusterer.assign([_item(1, "Shopee enters Poland")])
    clusterer.assign([_item(2, "Etsy names a new chief executive", hours=24 * 7)])
    assert clusterer.story_ids() == [2]
    assert [record.item_id for record in clusterer.members()] == [2]


def _fingerprint(assignments: Sequence[tuple[int, int]]) -> str:
    return hashlib.sha256(json.dumps(list(assignments)).encode()).hexdigest()


_FINGERPRINT_SCRIPT = """
import hashlib, json
from bot.news.stories import StoryClusterer
from tests.news import story_corpus, story_holdout
items = [labelled.item for labelled in story_corpus.load()]
clusterer = StoryClusterer()
out = []
for start in range(0, len(items), 50):
    out.extend(clusterer.assign(items[start:start + 50]))
print(hashlib.sha256(json.dumps(out).encode()).hexdigest())
"""


def test_assignments_are_deterministic_across_runs_and_processes(
    corpus: list[LabelledItem],
) -> None:
    items = [labelled.item for labelled in corpus]
    runs = set()
    for _ in range(2):
        clusterer = StoryClusterer()
        out: list[tuple[int, int]] = []
        for start in range(0, len(items), BATCH):
            out.extend(clusterer.assign(items[start : start + BATCH]))
        runs.add(_fingerprint(out))
    assert len(runs) == 1
    # Other processes, other string-hash seeds: features must not depend on hash().
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", _FINGERPRINT_SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() in runs


def test_the_vocabulary_imports_without_numpy() -> None:
    # ports and storage import StoryItem and StorySummary; only a clusterer needs numpy.
    code = "import sys, bot.news.stories; print('numpy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --- how a story reads ------------------------------------------------------------------------


def test_summary_fields() -> None:
    items = [
        _item(3, "Temu halts direct China parcels to the US - Reuters", "", "Reuters", 5),
        _item(1, "Temu pauses US shipments", "", "Retail Dive", 0, ("temu",)),
        _item(2, "Temu stops US shipping", "", "Retail Dive", 2, ("temu", "shein")),
    ]
    summary = summarize_story(9, items)
    assert isinstance(summary, StorySummary)
    assert summary.story_id == 9
    assert summary.item_ids == (1, 2, 3)
    assert summary.sources == ("Retail Dive", "Reuters")
    assert summary.first_seen == T0
    assert summary.last_seen == T0 + timedelta(hours=5)
    assert summary.companies == ("shein", "temu")
    assert summary.summary_line == ""  # no descriptions at all


def test_headline_is_the_most_central_title() -> None:
    items = [
        _item(1, "Exclusive: Analysts weigh what a quiet week means for marketplaces"),
        _item(2, "Temu pauses US shipments as de minimis ends - Retail Dive", "", "Retail Dive"),
        _item(3, "Temu pauses shipments to US as de minimis exemption ends"),
        _item(4, "De minimis ends: Temu pauses US shipments"),
    ]
    headline = summarize_story(1, items).headline
    assert headline in {
        "Temu pauses US shipments as de minimis ends",
        "Temu pauses shipments to US as de minimis exemption ends",
    }
    assert not headline.endswith("Retail Dive")


def test_summary_line_is_informative_and_never_boilerplate() -> None:
    title = "SHEIN fined €40m in France"
    items = [
        _item(
            1,
            title,
            "Read more. The post SHEIN fined €40m in France appeared first on Tamebay.",
            "Tamebay",
        ),
        _item(
            2,
            "French watchdog fines Shein 40 million euros",
            "The DGCCRF fined Shein 40 million euros on Tuesday for misleading discount claims"
            " on its French site. Shares were little changed. Click here to subscribe.",
        ),
        _item(
            3,
            "Shein hit with €40m French penalty",
            "France fined Shein €40m over misleading discounts, the DGCCRF said. Continue"
            " reading...",
        ),
        _item(4, f"{title} - Reuters", f"{title}  Reuters", "Reuters"),
    ]
    line = summarize_story(1, items).summary_line
    assert "misleading discount" in line
    assert "Read more" not in line and "appeared first" not in line
    assert "subscribe" not in line.lower() and "Continue reading" not in line


def test_summary_line_is_cut_on_a_word_boundary() -> None:
    long_sentence = (
        "Amazon said on Tuesday that it would raise referral fees for sellers in Germany, France,"
        " Italy and Spain by between three and five percentage points in most categories from"
        " the first of July, citing higher logistics and advertising costs across the region."
    )
    summary = summarize_story(1, [_item(1, "Amazon raises EU seller fees", long_sentence)])
    assert len(summary.summary_line) <= 200
    assert summary.summary_line.endswith("…")
    assert long_sentence.startswith(summary.summary_line[:-1].rstrip())
    assert summary.summary_line[:-1] == summary.summary_line[:-1].rstrip(" ,")


def test_summarize_needs_items() -> None:
    with pytest.raises(ValueError):
        summarize_story(1, [])


def test_summaries_of_the_eval_set_are_sane(corpus: list[LabelledItem]) -> None:
    by_story: dict[str, list[StoryItem]] = {}
    for labelled in corpus:
        by_story.setdefault(labelled.story, []).append(labelled.item)
    for story_id, items in enumerate(by_story.values(), start=1):
        summary = summarize_story(story_id, items)
        titles = {item.title for item in items}
        assert any(
            title.startswith(summary.headline) or summary.headline in title for title in titles
        )
        assert len(summary.summary_line) <= 200
        assert "appeared first on" not in summary.summary_line
        assert not summary.summary_line.lower().startswith(("read more", "click here", "sign up"))


def test_summary_line_drops_markdown_markers_from_plain_text_fields() -> None:
    from datetime import UTC, datetime

    from bot.news.stories import StoryItem, summarize_story

    item = StoryItem(
        item_id=1,
        title="Recommend Category API gains product context",
        summary="# Summary ## What is changing The Recommend Category API now accepts **five** "
        "optional fields from the source platform. Use `v202607` or later.",
        source="TikTok Shop Partner Center",
        published=datetime(2026, 11, 1, tzinfo=UTC),
    )
    line = summarize_story(7, [item]).summary_line
    assert line
    assert "#" not in line and "**" not in line and "`" not in line


def test_a_results_preview_stays_apart_from_the_results_it_previews() -> None:
    """A preview shares the company, the period and most words with the results, but is
    written days before and tells none of the figures: another event."""
    items = [
        _item(1, "PDD Holdings Q4 earnings preview: Temu revenue growth in focus", "", "Preview"),
        _item(2, "PDD Holdings Q4 earnings: Temu revenue growth beats estimates", hours=2),
        _item(3, "PDD Holdings Q4 revenue rises as Temu growth beats estimates", "", "Desk", 3),
        _item(4, "PDD Holdings Q4 earnings top estimates on Temu revenue growth", "", "Other", 4),
    ]
    placed = _assign_in_batches(items)
    assert placed[2] == placed[3] == placed[4]
    assert placed[1] != placed[2]
