"""Tests for topic tagging: the table, the rules and their negatives, picking a topic, speed,
and accuracy on a labelled set.

About ``tests/data/topics_eval.jsonl`` (377 hand-written items, none copied from real feeds):
rows 1-227 were written first and the rules were tuned on them; rows 228-307 and 308-377 were
then written as two blind checks, each scored once before any rule was changed because of it.
On first sight they scored micro precision/recall 0.886/0.775 and 0.875/0.800; the rules were
then improved (general patterns only) and those rows kept in the set. The figures asserted
below are therefore on partly seen data: expect new kinds of headline to score lower.

Labelling conventions: ``policy`` is what governments and regulators do (laws, tariffs, customs,
taxes, bans, investigations), not a marketplace's own rules; ``legal`` is courts, fines,
settlements, counterfeits, fraud, recalls, product safety and breaches, whoever is involved, so
a regulator's fine is both; a new warehouse is ``logistics``, not ``launches``; mergers and job
cuts are none of the six.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.news.tagging.topics import (
    MEDIUM,
    RULES,
    STRONG,
    THRESHOLD,
    TITLE_FACTOR,
    TOPICS,
    WEAK,
    Cue,
    Topic,
    TopicRules,
    TopicTagger,
    _branches,
    _clean,
)
from tests.ceiling import returns_within

EVAL_PATH = Path(__file__).resolve().parents[1] / "data" / "topics_eval.jsonl"
IDS = ("fees", "policy", "logistics", "earnings", "launches", "legal")


@pytest.fixture(scope="module")
def tagger() -> TopicTagger:
    return TopicTagger.default()


def tags(tagger: TopicTagger, title: str, summary: str = "") -> set[str]:
    return set(tagger.tag(title, summary))


# --- the table --------------------------------------------------------------------------------


def test_the_six_topics_in_display_order() -> None:
    assert tuple((t.id, t.name) for t in TOPICS) == (
        ("fees", "Fees & pricing"),
        ("policy", "Policy, tariffs & de minimis"),
        ("logistics", "Logistics & fulfilment"),
        ("earnings", "Earnings & funding"),
        ("launches", "Launches & expansion"),
        ("legal", "Legal & safety"),
    )
    assert all(t.description.strip() for t in TOPICS)
    assert TopicTagger.default().topics() == TOPICS


def test_every_topic_has_strong_cues_and_weights_are_the_named_levels() -> None:
    for rules in RULES:
        assert any(cue.weight == STRONG for cue in rules.cues), rules.topic.id
        for cue in rules.cues:
            assert cue.weight in (WEAK, MEDIUM, STRONG) or cue.weight < 0, cue


def test_the_weights_mean_what_the_module_says() -> None:
    assert STRONG >= THRESHOLD
    assert MEDIUM < THRESHOLD <= MEDIUM * TITLE_FACTOR
    assert WEAK * TITLE_FACTOR < THRESHOLD


def test_default_is_built_once() -> None:
    assert TopicTagger.default() is TopicTagger.default()


def test_topic_lookup(tagger: TopicTagger) -> None:
    assert tagger.topic("fees") == TOPICS[0]
    assert tagger.topic("nope") is None


def _rules(*cues: Cue, masks: tuple[str, ...] = (), topic_id: str = "t") -> TopicRules:
    return TopicRules(Topic(topic_id, topic_id.upper(), "test"), cues, masks)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ((_rules(Cue("x", STRONG)), _rules(Cue("y", STRONG))), "duplicate topic ids"),
        ((_rules(Cue("(fee)", STRONG)),), "capturing group"),
        ((_rules(Cue("fees?|", STRONG)),), "empty string"),
        ((_rules(Cue("Fee", STRONG)),), "lower case"),
        ((_rules(Cue("fee(", STRONG)),), "bad pattern"),
        ((_rules(Cue("fee", 0)),), "no weight"),
        ((_rules(Cue("fee", STRONG), Cue("fee", WEAK)),), "twice"),
        ((_rules(Cue(r"\w+ fee", STRONG)),), "does not start with a known character"),
        ((_rules(Cue("fee", STRONG), masks=("(?=x)fee",)),), "does not start"),
    ],
)
def test_a_malformed_table_is_refused(rules: tuple[TopicRules, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TopicTagger(rules)


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TopicTagger(threshold=0)


def test_a_custom_table_tags_by_its_own_rules() -> None:
    tagger = TopicTagger(
        (
            _rules(Cue("widgets?", STRONG), masks=("widget factory",), topic_id="w"),
            _rules(Cue("gadget", MEDIUM), topic_id="g"),
        )
    )
    assert tagger.tag("Widgets everywhere") == ("w",)
    assert tagger.tag("A widget factory") == ()
    assert tagger.tag("A gadget") == ("g",)  # title: counted twice
    assert tagger.tag("News", "A gadget.") == ()
    assert tagger.tag("News", "A gadget, and another gadget.") == ("g",)


# --- rules and negatives ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        # fees and pricing
        ("Etsy raises listing fee to 25 cents", "", {"fees"}),
        ("The best coffee makers for your kitchen", "Tested by our editors.", set()),
        ("Target lowers its free shipping threshold", "", {"fees"}),
        ("Free shipping now starts at $25", "", {"fees"}),
        ("Stripe introduces a dispute fee", "", {"fees"}),  # a new fee is no launch
        ("Anyone else's FBA fees gone up?", "", {"fees"}),  # a fulfilment fee is a fee
        # policy, tariffs and de minimis
        ("New tariff on Chinese goods", "", {"policy"}),
        ("De minimis ends for low-value parcels", "", {"policy"}),
        ("Commission opens DSA case against marketplace", "", {"policy"}),
        ("EU regulator weighs in", "", {"policy"}),
        ("Wedding customs around the world", "Couples want experiences.", set()),
        ("Heavy-duty shelving on sale", "", set()),
        # logistics and fulfilment
        ("Amazon builds a new warehouse", "", {"logistics"}),
        ("New fulfilment centre for Leeds", "", {"logistics"}),
        ("New fulfillment center in Ohio", "", {"logistics"}),
        ("Last-mile delivery robots", "", {"logistics"}),
        ("Last mile delivery robots", "", {"logistics"}),
        ("Parcel volumes slump", "", {"logistics"}),
        ("Amazon opens new fulfilment centre", "", {"logistics"}),  # a warehouse is no launch
        ("Data warehouse tips for analysts", "", set()),
        ("Costco is the warehouse club Gen Z loves", "", set()),
        ("Startups bring ups and downs", "", set()),
        ("Return on ad spend tips", "", set()),
        # earnings and funding
        ("AI shopping startup raises $50m", "", {"earnings"}),
        ("Shopify Q3 revenue tops forecasts", "", {"earnings"}),
        ("Email benchmarks for Q3", "Open rates were flat.", set()),
        ("5 ways to boost revenue with email", "", set()),
        # launches and expansion
        ("Vinted opens in Ireland", "", {"launches"}),
        ("Allegro expands to Hungary", "", {"launches"}),
        ("Amazon launches a grocery app", "", {"launches"}),
        ("Rocket launch delayed by weather", "The satellite launch window opens next week.", set()),
        ("SpaceX launches in Florida", "The rocket carried satellites into orbit.", set()),
        ("How to launch a Shopify store", "", set()),
        ("What I learned launching my first shop", "", set()),
        ("Amazon launches investigation into fake reviews", "", {"legal"}),
        # legal and safety
        ("Shopper files lawsuit against Temu", "", {"legal"}),
        ("Shein fined €10m", "", {"legal"}),
        ("Counterfeit bags seized", "", {"legal"}),
        ("Product safety rules tighten", "", {"legal"}),
        ("Data breach at retailer", "", {"legal"}),
        ("Walmart recalls 10,000 air fryers", "", {"legal"}),
        ("I recall the early days of Etsy", "", set()),
        ("Brand safety and ad recall study", "", set()),
        ("Fine-tune your listings", "", set()),
        ("Court shoes are back", "", set()),
        # several topics, and none
        ("Tariffs push sellers to raise prices", "", {"fees", "policy"}),
        ("Temu launches in Chile with zero commission", "", {"launches", "fees"}),
        ("Weekly round-up", "Nothing much happened this week.", set()),
        ("", "", set()),
    ],
)
def test_rules(tagger: TopicTagger, title: str, summary: str, expected: set[str]) -> None:
    assert tags(tagger, title, summary) == expected


def test_result_is_sorted_and_deterministic(tagger: TopicTagger) -> None:
    found = tagger.tag("Temu launches in Chile as tariffs push prices up")
    assert found == tuple(sorted(found)) == ("fees", "launches", "policy")
    assert tagger.tag("Temu launches in Chile as tariffs push prices up") == found


def test_a_headline_counts_more_than_a_summary(tagger: TopicTagger) -> None:
    assert tags(tagger, "Prices") == {"fees"}
    assert tags(tagger, "Weekly round-up", "Prices.") == set()
    assert tags(tagger, "Weekly round-up", "Prices rose. Prices fell.") == {"fees"}
    scores = tagger.scores("Prices", "Prices.")
    assert scores["fees"] == MEDIUM * TITLE_FACTOR + MEDIUM
    assert set(scores) == set(IDS)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Amazon&#8217;s FBA fees rise", {"fees"}),
        ("Amazon&amp;eBay raise fees", {"fees"}),
        ("<b>Tariffs</b> bite", {"policy"}),
        ("ＴＡＲＩＦＦＳ bite", {"policy"}),  # fullwidth letters, NFKC
        ("Last\u2011mile costs rise", {"logistics"}),  # non-breaking hyphen
        ("Last\u2013mile costs rise", {"logistics"}),  # en dash
        ("Ware\u00adhouse jobs", {"logistics"}),  # soft hyphen
        ("Zero\u200bwidth: tariffs", {"policy"}),
        ("TARIFFS AND DUTIES", {"policy"}),
        ("See https://example.com/fees/tariffs for details", set()),  # a URL says nothing
    ],
)
def test_input_is_unescaped_and_normalised(
    tagger: TopicTagger, title: str, expected: set[str]
) -> None:
    assert tags(tagger, title) == expected


def test_a_phrase_does_not_run_from_the_title_into_the_summary(tagger: TopicTagger) -> None:
    assert tags(tagger, "Everything is free", "Shipping delays hit sellers.") == {"logistics"}


def test_summary_only_evidence_can_tag(tagger: TopicTagger) -> None:
    found = tags(
        tagger,
        "Inside Temu's new playbook",
        "Sellers now hold stock in local warehouses, cutting delivery times to five days.",
    )
    assert found == {"logistics"}


# --- the fast scanner is the plain one ----------------------------------------------------------


@functools.cache
def _reference() -> tuple[re.Pattern[str], tuple[dict[int, int], ...]]:
    """The documented semantics, without the trie: one ordered alternation, a group a branch."""
    masks: dict[str, None] = {}
    cues: dict[str, dict[int, int]] = {}
    first: dict[str, int] = {}
    for index, rules in enumerate(RULES):
        for mask in rules.masks:
            masks.update(dict.fromkeys(_branches(mask)))
        for cue in rules.cues:
            for branch in _branches(cue.pattern):
                cues.setdefault(branch, {})[index] = cue.weight
                first.setdefault(branch, len(first))
    no_effects: dict[int, int] = {}
    ordered = [(mask, no_effects) for mask in masks] + [
        (branch, cues[branch]) for branch in sorted(cues, key=lambda b: (-len(b), first[b]))
    ]
    regex = re.compile(r"(?<!\w)(?:" + "|".join(f"({b})" for b, _ in ordered) + r")(?!\w)")
    return regex, tuple(effects for _, effects in ordered)


def _reference_scores(title: str, summary: str) -> dict[str, int]:
    regex, effects = _reference()
    clean_title = _clean(title)
    text = f"{clean_title} | {_clean(summary)}" if summary else clean_title
    totals = dict.fromkeys(IDS, 0)
    for match in regex.finditer(text):
        assert match.lastindex is not None
        times = TITLE_FACTOR if match.start() < len(clean_title) else 1
        for index, weight in effects[match.lastindex - 1].items():
            totals[IDS[index]] += weight * times
    return totals


def test_the_trie_scanner_scores_like_a_plain_alternation(tagger: TopicTagger) -> None:
    rows = load_eval()
    items = [(row.title, row.summary) for row in rows]
    # Mixed-up texts too, so that phrases meet neighbours they never meet in the set.
    items += [
        (a.title + " " + b.summary[:50], c.summary + " " + a.title)
        for a, b, c in zip(rows[::2], rows[7::2], rows[13::2], strict=False)
    ]
    for title, summary in items:
        assert tagger.scores(title, summary) == _reference_scores(title, summary), title


# --- picking a topic --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fees", "fees"),
        ("FEES", "fees"),
        ("Fees & pricing", "fees"),
        ("fees and pricing", "fees"),
        ("pricing", "fees"),
        ("tariffs", "policy"),
        ("tariff", "policy"),
        ("de minimis", "policy"),
        ("De-Minimis", "policy"),
        ("customs", "policy"),
        ("Policy, tariffs & de minimis", "policy"),
        ("logistics", "logistics"),
        ("fulfilment", "logistics"),
        ("Fulfillment", "logistics"),
        ("logistics and fulfillment", "logistics"),
        ("earnings", "earnings"),
        ("funding", "earnings"),
        ("IPO", "earnings"),
        ("launch", "launches"),
        ("expansion", "launches"),
        ("legal", "legal"),
        ("Legal & Safety", "legal"),
        ("safety", "legal"),
        ("recalls", "legal"),
        ("recall", "legal"),
        ("  legal  ", "legal"),
    ],
)
def test_resolve(tagger: TopicTagger, text: str, expected: str) -> None:
    topic = tagger.resolve(text)
    assert topic is not None and topic.id == expected


@pytest.mark.parametrize("text", ["", "   ", "&", "zzz", "amazon", "and"])
def test_resolve_unknown(tagger: TopicTagger, text: str) -> None:
    assert tagger.resolve(text) is None


def test_suggest(tagger: TopicTagger) -> None:
    assert tagger.suggest("") == TOPICS
    assert tagger.suggest("", limit=2) == TOPICS[:2]
    assert tagger.suggest("anything", limit=0) == ()
    assert [t.id for t in tagger.suggest("tar")] == ["policy"]
    assert tagger.suggest("le")[0].id == "legal"
    assert tagger.suggest("pol")[0].id == "policy"
    assert [t.id for t in tagger.suggest("ship")] == ["logistics"]
    assert [t.id for t in tagger.suggest("de min")] == ["policy"]
    # Near misses.
    assert [t.id for t in tagger.suggest("tarrifs")] == ["policy"]
    assert [t.id for t in tagger.suggest("logistcs")] == ["logistics"]
    assert tagger.suggest("zzzz") == ()


def test_suggest_puts_own_names_first(tagger: TopicTagger) -> None:
    found = [t.id for t in tagger.suggest("f")]
    assert found[0] == "fees"
    assert len(found) == len(set(found))


# --- speed --------------------------------------------------------------------------------------


def test_ten_thousand_items_are_tagged_under_a_ceiling(tagger: TopicTagger) -> None:
    rows = load_eval()
    items = [
        (a.title, (a.summary + " " + b.summary + " " + b.title)[:300])
        for a, b in zip(rows * 30, rows[5:] * 30, strict=False)
    ][:10_000]
    assert len(items) == 10_000
    # About 0.3 s of CPU, measured by benchmarks/tagging_eval.py: a figure a busy machine
    # cannot fail a test with. Here only a hang or a blow-up fails, at the ceiling.
    with returns_within("tagging 10,000 items"):
        tagged = [tagger.tag(title, summary) for title, summary in items]
    assert len(tagged) == 10_000


@pytest.mark.parametrize(
    "text",
    [
        "$" + "1," * 50_000,  # a word start at every digit
        "fee " * 20_000,
        "introduces a b c " * 5_000,
        "-" * 100_000,
        "a" * 200_000,
        "<" * 50_000 + "&amp;" * 10_000,
    ],
)
def test_hostile_input_stays_fast(tagger: TopicTagger, text: str) -> None:
    # Four times the text above: linear, well under a second; a quadratic scan would take
    # minutes and fail at the ceiling (no figure asserted: a busy machine makes any flaky).
    hostile = text * 4
    with returns_within("tagging hostile text"):
        tagger.tag(hostile, hostile)


# --- accuracy on the labelled set ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Labelled:
    title: str
    summary: str
    topics: frozenset[str]


def load_eval() -> tuple[Labelled, ...]:
    rows = []
    with EVAL_PATH.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                raw = json.loads(line)
                rows.append(Labelled(raw["title"], raw["summary"], frozenset(raw["topics"])))
    return tuple(rows)


def test_eval_set_is_well_formed() -> None:
    rows = load_eval()
    assert len(rows) >= 150
    assert all(row.title.strip() and row.summary.strip() for row in rows)
    assert all(row.topics <= set(IDS) for row in rows)
    assert len({row.title for row in rows}) == len(rows)
    assert sum(1 for row in rows if not row.topics) >= 40  # plain and hard negatives
    assert sum(1 for row in rows if len(row.topics) >= 2) >= 30
    per_topic = Counter(topic for row in rows for topic in row.topics)
    assert all(per_topic[topic] >= 30 for topic in IDS), per_topic


def _confusion(tagger: TopicTagger) -> dict[str, Counter[str]]:
    counts = {topic: Counter[str]() for topic in IDS}
    for row in load_eval():
        found = set(tagger.tag(row.title, row.summary))
        for topic in IDS:
            if topic in found:
                counts[topic]["tp" if topic in row.topics else "fp"] += 1
            elif topic in row.topics:
                counts[topic]["fn"] += 1
    return counts


def test_micro_precision_and_recall_on_the_eval_set(tagger: TopicTagger) -> None:
    counts = _confusion(tagger)
    tp = sum(c["tp"] for c in counts.values())
    fp = sum(c["fp"] for c in counts.values())
    fn = sum(c["fn"] for c in counts.values())
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    # Measured: precision 0.963, recall 0.989 (360 right, 14 extra, 4 missed).
    assert precision >= 0.9, precision
    assert recall >= 0.85, recall


def test_no_topic_is_far_worse_than_the_rest(tagger: TopicTagger) -> None:
    for topic, c in _confusion(tagger).items():
        assert c["tp"] / (c["tp"] + c["fp"]) >= 0.85, (topic, c)
        assert c["tp"] / (c["tp"] + c["fn"]) >= 0.85, (topic, c)


# --- generic words need an e-commerce context (issue 9) -------------------------------------
#
# Stored items were tagged "fees" for a peace deal and a football transfer window, and "policy"
# for an ad agency. The summaries below paraphrase those items' own.


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        (
            "Russia-backed Syrian peace talks agree deal on new constitution",
            "A 50-strong commission representing most of Syrian society will draft a new"
            " constitution, the UN and Russia agreed.",
            set(),
        ),
        (
            "Giroud and Aubameyang deals go through: transfer deadline day - live!",
            "The latest transfer deals in Europe; City end interest in Mahrez over his"
            " £95m price tag.",
            set(),
        ),
        ("Agency AI pitches are starting to face harder questions", "", set()),
        ("Peace deal signed after months of talks", "", set()),
        ("Club agrees loan deals for two players", "", set()),
        ("Angie's List sets price range for its IPO at $11 to $13 a share", "", {"earnings"}),
        ("How to build a recurring revenue strategy for your store", "", set()),
        ("In-Stock Head Start vs Pre-Launch Vine", "", set()),
        # The same words where they are about shopping still count.
        ("Prime Day deals: the best discounts on Amazon devices", "", {"fees"}),
        ("Temu cuts its commission for new sellers", "", {"fees"}),
        ("Etsy sellers balk at new commission", "Etsy will charge a 6.5% commission.", {"fees"}),
        ("Federal agency fines Temu over fake discounts", "", {"fees", "legal", "policy"}),
        ("Hospitals face stricter price transparency rules", "", {"policy"}),
        ("New APIs for TikTok LIVE analytics", "", {"launches"}),
        ("Shopify Collective is now available", "", {"launches"}),
        ("WFS shipment creation issue", "", {"logistics"}),
        # Politics at large, and words that only look like a topic's.
        (
            "Climate change threatens half of US bases, Pentagon report finds",
            "Findings run counter to White House views on climate.",
            set(),
        ),
        (
            "Trump's speech promised unity",
            "Trump spoke for an hour; Democrats said Trump had learned nothing.",
            set(),
        ),
        ("A new index shows a global fall in basic justice", "The Rule of Law Index ...", set()),
        (
            "Insider Sells 1500 Shares of Stock",
            "The insider sold 1,500 shares of the company's stock on Friday.",
            set(),
        ),
        ("Weekly links", "Here is what recently landed in my inbox.", set()),
        ("A farmer's story", "Now safe, he recalls his first years.", set()),
        ("Senate passes de minimis bill", "", {"policy"}),
        ("Temu lands in Japan", "", {"launches"}),
    ],
)
def test_generic_words_need_an_ecommerce_context(
    tagger: TopicTagger, title: str, summary: str, expected: set[str]
) -> None:
    assert tags(tagger, title, summary) == expected


REAL_TITLES = Path(__file__).resolve().parents[1] / "data" / "real_titles.jsonl"


def test_precision_on_real_headlines_does_not_fall() -> None:
    # tests/data/real_titles.md: real headlines; the rules were tuned on the "tune" half. The
    # held-out half measured micro precision 0.811 (43 right, 10 wrong), companies 1.000 (40).
    # A floor, not the figure: a rule change that costs precision on real text shows here.
    from bot.news.tagging.company_tagger import Tagger

    rows = [json.loads(line) for line in REAL_TITLES.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 450 and {row["half"] for row in rows} == {"tune", "held_out"}
    topics, companies = TopicTagger.default(), Tagger.default()
    for half, topic_floor in (("tune", 0.85), ("held_out", 0.78)):
        right = wrong = company_right = company_wrong = 0
        for row in rows:
            if row["half"] != half:
                continue
            found = set(topics.tag(row["title"]))
            right += len(found & set(row["topics"]))
            wrong += len(found - set(row["topics"]))
            named = set(companies.tag(row["title"]))
            company_right += len(named & set(row["companies"]))
            company_wrong += len(named - set(row["companies"]))
        assert right / (right + wrong) >= topic_floor, (half, right, wrong)
        assert company_right / (company_right + company_wrong) >= 0.95, (half, company_wrong)
