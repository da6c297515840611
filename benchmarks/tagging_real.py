"""Topic and company tag precision on real headlines (``tests/data/real_titles.jsonl``).

    uv run python benchmarks/tagging_real.py                 # held-out half: the figure to quote
    uv run python benchmarks/tagging_real.py --half tune     # the half the rules were tuned on
    uv run python benchmarks/tagging_real.py --half all --errors
    uv run python benchmarks/tagging_real.py --summaries ../shared/data/real-feeds

The set is 494 real headlines, labelled by hand (see ``tests/data/real_titles.md``), split by a
hash of the title into a tuning half and a held-out half. Only titles are tagged, as the file
holds no summaries. Per topic and per company: precision (of the tags given, how many are
right), recall, and the counts; then micro averages. ``--errors`` lists every wrong or missed
tag of the chosen half.

``--summaries DIR`` reads the feed documents the titles came from (not part of the project) and
tags topics from title and summary, as the bot does; topic labels describe the whole item, so
they hold for both. Company labels name what the title names, so companies stay title-only.

Plain text first, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import html
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.news.adapters.feed_parse import FeedParseError, parse_feed
from bot.news.tagging.company_tagger import Tagger
from bot.news.tagging.topics import TopicTagger

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "real_titles.jsonl"


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled headline."""

    title: str
    half: str
    topics: frozenset[str]
    companies: frozenset[str]


@dataclass(frozen=True, slots=True)
class Counts:
    """True positives, false positives and false negatives of one label."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def as_json(self) -> dict[str, float | int | None]:
        p, r = self.precision, self.recall
        return {
            "precision": None if p is None else round(p, 3),
            "recall": None if r is None else round(r, 3),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def load(path: Path, half: str) -> list[Row]:
    """The rows of ``half`` ("tune", "held_out" or "all")."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        if half in ("all", raw["half"]):
            rows.append(
                Row(
                    raw["title"],
                    raw["half"],
                    frozenset(raw["topics"]),
                    frozenset(raw["companies"]),
                )
            )
    return rows


def summaries_from(folder: Path) -> dict[str, str]:
    """Each item's summary by its title, from the feed documents under ``folder``."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".xml", ".rss", ".atom"):
            continue
        try:
            feed = parse_feed(
                path.read_bytes(),
                url="https://example.com/",
                content_type=None,
                now=datetime.now(UTC),
            )
        except FeedParseError:
            continue
        for item in feed.items:
            if item.summary:
                found.setdefault(html.unescape(item.title), item.summary)
    return found


def score(
    rows: list[Row], predicted: list[frozenset[str]], expected: list[frozenset[str]]
) -> tuple[dict[str, Counts], list[str]]:
    """Counts per label, and one line per error."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    errors = []
    for row, got, want in zip(rows, predicted, expected, strict=True):
        for label in got & want:
            tp[label] += 1
        for label in sorted(got - want):
            fp[label] += 1
            errors.append(f"  FP {label:<12} {row.title}")
        for label in sorted(want - got):
            fn[label] += 1
            errors.append(f"  FN {label:<12} {row.title}")
    labels = sorted(set(tp) | set(fp) | set(fn))
    return {label: Counts(tp[label], fp[label], fn[label]) for label in labels}, errors


def micro(counts: dict[str, Counts]) -> Counts:
    return Counts(
        sum(c.tp for c in counts.values()),
        sum(c.fp for c in counts.values()),
        sum(c.fn for c in counts.values()),
    )


def show(name: str, counts: dict[str, Counts]) -> None:
    def pct(value: float | None) -> str:
        return "  -  " if value is None else f"{value:5.3f}"

    print(f"{name:<14} precision recall   tp  fp  fn")
    for label, c in [*counts.items(), ("(micro)", micro(counts))]:
        print(f"  {label:<12} {pct(c.precision)}    {pct(c.recall)} {c.tp:4} {c.fp:3} {c.fn:3}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DATA, help="labelled JSONL file")
    parser.add_argument("--half", choices=("held_out", "tune", "all"), default="held_out")
    parser.add_argument("--errors", action="store_true", help="list every wrong or missed tag")
    parser.add_argument(
        "--summaries", type=Path, help="folder of the source feed documents: tag topics with them"
    )
    args = parser.parse_args()

    rows = load(args.data, args.half)
    summaries = summaries_from(args.summaries) if args.summaries else {}
    topics, companies = TopicTagger.default(), Tagger.default()
    topic_counts, topic_errors = score(
        rows,
        [frozenset(topics.tag(r.title, summaries.get(r.title, ""))) for r in rows],
        [r.topics for r in rows],
    )
    company_counts, company_errors = score(
        rows, [frozenset(companies.tag(r.title)) for r in rows], [r.companies for r in rows]
    )
    with_summary = sum(1 for r in rows if r.title in summaries)
    print(f"{len(rows)} headlines ({args.half}); topics tagged with a summary: {with_summary}")
    show("topic", topic_counts)
    show("company", company_counts)
    if args.errors:
        print("topic errors:", *topic_errors, sep="\n")
        print("company errors:", *company_errors, sep="\n")
    print(
        json.dumps(
            {
                "half": args.half,
                "items": len(rows),
                "with_summary": with_summary,
                "topics": {k: v.as_json() for k, v in topic_counts.items()},
                "topics_micro": micro(topic_counts).as_json(),
                "companies": {k: v.as_json() for k, v in company_counts.items()},
                "companies_micro": micro(company_counts).as_json(),
            }
        )
    )


if __name__ == "__main__":
    main()
