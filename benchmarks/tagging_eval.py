"""Company-tagging benchmark: accuracy on the labelled set, and throughput.

    uv run python benchmarks/tagging_eval.py                  # the whole labelled set
    uv run python benchmarks/tagging_eval.py --lines 392:     # only the held-out tail
    uv run python benchmarks/tagging_eval.py --items 10000 --chars 300 --runs 7

Accuracy: micro precision, recall and F1 over (item, company) pairs of
``tests/data/tagging_eval.jsonl``, the same per company, then every false positive and false
negative. The set was written in three rounds: lines 1-300 while the tagger was designed,
301-391 before a round of fixes (which they motivated), 392-447 after the last change and never
tuned on; ``--lines`` evaluates one round.

Throughput: ``--items`` items whose title + summary are ``--chars`` characters long, built
deterministically from the labelled texts, tagged ``--runs`` times by one ``Tagger`` on one
core; the median run gives items/s (wall clock, and CPU time, which other processes on a busy
machine disturb less). Building the tagger (compiling the table) is timed apart.

Plain text first, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.news.tagging.companies import FAMILIES
from bot.news.tagging.company_tagger import Tagger

EVAL_PATH = Path(__file__).resolve().parents[1] / "tests" / "data" / "tagging_eval.jsonl"


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled item and the line it came from."""

    line: int
    title: str
    summary: str
    publisher: str | None
    companies: frozenset[str]


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision, recall and F1 from pair counts."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_json(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.true_positives,
            "fp": self.false_positives,
            "fn": self.false_negatives,
        }


def load(path: Path, first: int, last: int | None) -> list[Labelled]:
    """The labelled items on lines ``first``..``last`` (1-based, inclusive)."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if number < first or (last is not None and number > last) or not line.strip():
                continue
            raw = json.loads(line)
            rows.append(
                Labelled(
                    number,
                    raw["title"],
                    raw.get("summary", ""),
                    raw.get("publisher"),
                    frozenset(raw["companies"]),
                )
            )
    return rows


def parse_lines(spec: str) -> tuple[int, int | None]:
    """``"392:"`` -> (392, None); ``"1:300"`` -> (1, 300); ``""`` -> everything."""
    if not spec:
        return 1, None
    start, _, end = spec.partition(":")
    return int(start or 1), int(end) if end else None


def workload(rows: list[Labelled], items: int, chars: int) -> list[tuple[str, str, str | None]]:
    """``items`` (title, summary, publisher) triples of about ``chars`` characters each."""
    sentences = [s for row in rows for s in (row.title, row.summary) if s]
    out = []
    for i in range(items):
        row = rows[i % len(rows)]
        parts, size, j = [], len(row.title), i * 7
        while size < chars:
            sentence = sentences[j % len(sentences)]
            parts.append(sentence)
            size += len(sentence) + 1
            j += 3
        summary = " ".join(parts)[: max(0, chars - len(row.title))]
        out.append((row.title, summary.rsplit(" ", 1)[0], row.publisher))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--eval", type=Path, default=EVAL_PATH, help="labelled JSONL file")
    parser.add_argument("--lines", default="", help="evaluate lines START:END only (1-based)")
    parser.add_argument("--items", type=int, default=10_000, help="items per throughput run")
    parser.add_argument("--chars", type=int, default=300, help="title + summary length")
    parser.add_argument("--runs", type=int, default=7, help="throughput runs (median is kept)")
    args = parser.parse_args()

    started = time.perf_counter()
    tagger = Tagger(FAMILIES)
    build_seconds = time.perf_counter() - started

    first, last = parse_lines(args.lines)
    rows = load(args.eval, first, last)
    totals = Counter[str]()
    per_company: dict[str, Counter[str]] = {c.id: Counter() for c in tagger.companies()}
    false_positives: list[tuple[Labelled, tuple[str, ...]]] = []
    false_negatives: list[tuple[Labelled, tuple[str, ...]]] = []
    for row in rows:
        found = set(tagger.tag(row.title, row.summary, row.publisher))
        for company in found & row.companies:
            per_company[company]["tp"] += 1
        for company in found - row.companies:
            per_company[company]["fp"] += 1
        for company in row.companies - found:
            per_company[company]["fn"] += 1
        totals["tp"] += len(found & row.companies)
        totals["fp"] += len(found - row.companies)
        totals["fn"] += len(row.companies - found)
        if found - row.companies:
            false_positives.append((row, tuple(sorted(found - row.companies))))
        if row.companies - found:
            false_negatives.append((row, tuple(sorted(row.companies - found))))
    micro = Scores(totals["tp"], totals["fp"], totals["fn"])

    items = workload(load(args.eval, 1, None), args.items, args.chars)
    mean_chars = statistics.fmean(len(t) + len(s) for t, s, _ in items)
    timings, cpu_timings = [], []
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        for title, summary, publisher in items:
            tagger.tag(title, summary, publisher)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu_started)
    median = statistics.median(timings)
    cpu_median = statistics.median(cpu_timings)

    span = f"lines {first}-{last or rows[-1].line if rows else first}"
    print(f"Tagging accuracy on {len(rows)} labelled items ({args.eval.name}, {span})")
    print(
        f"  micro  precision {micro.precision:.4f}  recall {micro.recall:.4f}  F1 {micro.f1:.4f}"
        f"  (tp {micro.true_positives}, fp {micro.false_positives}, fn {micro.false_negatives})"
    )
    print(f"\n  {'company':<18} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    company_scores = {}
    for company, counts in per_company.items():
        scores = Scores(counts["tp"], counts["fp"], counts["fn"])
        company_scores[company] = scores
        support = counts["tp"] + counts["fn"]
        if support or counts["fp"]:
            print(
                f"  {company:<18} {scores.precision:6.3f} {scores.recall:6.3f}"
                f" {scores.f1:6.3f} {support:8d}"
            )
    print(f"\nFalse positives ({len(false_positives)} items)")
    for row, extra in false_positives:
        print(f"  line {row.line}: +{','.join(extra)}  {row.title!r}")
    print(f"False negatives ({len(false_negatives)} items)")
    for row, missing in false_negatives:
        print(f"  line {row.line}: -{','.join(missing)}  {row.title!r}")
    rate = len(items) / median
    print(
        f"\nThroughput: {len(items)} items of ~{mean_chars:.0f} chars, median of {args.runs} runs:"
        f" {median:.3f} s = {rate:,.0f} items/s ({1e6 / rate:.1f} µs/item);"
        f" CPU time {cpu_median:.3f} s (steadier when other processes share the machine);"
        f" building the tagger: {build_seconds * 1000:.1f} ms"
    )
    report = {
        "benchmark": "tagging_eval",
        "eval_items": len(rows),
        "lines": [first, last],
        "micro": micro.as_json(),
        "per_company": {c: s.as_json() for c, s in company_scores.items()},
        "false_positives": [{"line": r.line, "extra": list(x)} for r, x in false_positives],
        "false_negatives": [{"line": r.line, "missing": list(x)} for r, x in false_negatives],
        "throughput": {
            "items": len(items),
            "mean_chars": round(mean_chars, 1),
            "runs_s": [round(t, 4) for t in timings],
            "median_s": round(median, 4),
            "items_per_s": round(rate),
            "cpu_runs_s": [round(t, 4) for t in cpu_timings],
            "cpu_median_s": round(cpu_median, 4),
            "cpu_items_per_s": round(len(items) / cpu_median),
        },
        "build_ms": round(build_seconds * 1000, 1),
    }
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    main()
