"""Dump the company and topic tags of every item a change to tagging must leave byte-identical.

    uv run python benchmarks/dump_tags.py OUT.txt    # then ``cmp`` two dumps

Items, each tagged as ``parse_job`` tags them (``Tagger.tag`` then ``TopicTagger.tag``, tags
in the order returned): ``benchmarks/ingest.py``'s 200 x 50 corpus as ``parse_feed`` reads it
(title, summary, publisher); the 13 hand-labelled training sets of ``stories_pairmodel.SETS``
(without and with their source as the publisher, so that stripping a publisher is covered);
the generated eval and 10k story sets; ``tests/data/tagging_eval.jsonl``,
``topics_eval.jsonl`` and ``real_titles.jsonl``. The held-out story sets are never read.
With ``--time`` it prints the CPU seconds (``time.process_time``) spent tagging, per set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import Corpus  # noqa: E402
from benchmarks.stories_pairmodel import SETS  # noqa: E402
from bot.news.adapters.feed_parse import parse_feed  # noqa: E402
from bot.news.tagging.company_tagger import Tagger  # noqa: E402
from bot.news.tagging.topics import TopicTagger  # noqa: E402
from tests.news import story_corpus  # noqa: E402

_Row = tuple[str, str, str | None]  # title, summary, publisher


def _ingest_corpus() -> list[_Row]:
    corpus = Corpus(200, 50)
    now = datetime.now(UTC) + timedelta(hours=1)
    return [
        (draft.title, draft.summary, draft.publisher)
        for feed in range(200)
        for draft in parse_feed(
            corpus.document(feed), url=f"http://127.0.0.1/{feed}", content_type=None, now=now
        ).items
    ]


def _jsonl(name: str) -> list[_Row]:
    rows: list[_Row] = []
    for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append((str(row.get("title", "")), str(row.get("summary", "")), None))
    return rows


def sets() -> Iterator[tuple[str, list[_Row]]]:
    """Each set's name and rows, in a fixed order."""
    yield "ingest", _ingest_corpus()
    for name, load in SETS.items():
        items = [li.item for li in load("published")]
        yield name, [(i.title, i.summary, None) for i in items]
        yield f"{name}/source", [(i.title, i.summary, i.source) for i in items]
    yield "eval", [(li.item.title, li.item.summary, None) for li in story_corpus.load()]
    large = story_corpus.large_corpus(items=10000)
    yield "large", [(li.item.title, li.item.summary, li.item.source) for li in large]
    for name in ("tagging_eval.jsonl", "topics_eval.jsonl", "real_titles.jsonl"):
        yield name, _jsonl(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--time", action="store_true", help="print tagging CPU per set")
    args = parser.parse_args()
    companies, topics = Tagger.default(), TopicTagger.default()
    companies.compile_all()
    topics.compile_all()
    total = 0.0
    with args.out.open("w", encoding="utf-8") as out:
        for name, rows in sets():
            started = time.process_time()
            tags = [(companies.tag(*row), topics.tag(row[0], row[1])) for row in rows]
            spent = time.process_time() - started
            total += spent
            for n, (found, about) in enumerate(tags):
                out.write(f"{name} {n} {','.join(found)} {','.join(about)}\n")
            if args.time:
                print(f"{name}: {len(rows)} items, {spent:.3f} s", flush=True)
    if args.time:
        print(f"total tagging CPU {total:.3f} s")


if __name__ == "__main__":
    main()
