"""Summary benchmark: `/news summary` over a week of ~5,000 items with stories precomputed.

    uv run python benchmarks/summary.py [--items 5000] [--rounds 30]

Stores the generated multi-source corpus (tests/news/story_corpus.py: ~770 events reported by
several sources, plus singletons, over two weeks, shifted to end now) through the storage
layer, groups it into stories with the real StoryAssigner, then times SummaryService.summary
for 7d with no filter, with a company, and 24h/30d. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import open_newsroom  # noqa: E402
from bot.news.model.vocabulary import (  # noqa: E402
    FeedPollResult,
    FeedStatus,
    ItemDraft,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
    TaggedDraft,
)
from bot.news.rules.summary_ranking import LateWindow  # noqa: E402
from bot.news.services.story_assigner import StoryAssigner  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from tests.news.story_corpus import large_corpus  # noqa: E402


class SteppedClock:
    """The poll-time clock of the replay."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def now(self) -> datetime:
        return self.moment


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    corpus = large_corpus(items=args.items)
    newest = max(entry.item.published for entry in corpus)
    shift = datetime.now(UTC) - timedelta(minutes=5) - newest
    figures: dict[str, object] = {"items": len(corpus)}

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            environ={"SHOPWIRE_DB": str(Path(tmp) / "s.db"), "SHOPWIRE_SEED_CATALOGUE": "0"}
        )
        async with open_newsroom(settings) as room:
            feeds = {}
            assigned = 0
            ordered = sorted(corpus, key=lambda e: e.item.published)
            started = time.perf_counter()
            # One poll per hour of the two weeks: items arrive in the order they were published.
            by_hour: dict[datetime, list[TaggedDraft]] = {}
            for entry in ordered:
                item = entry.item
                source = item.source
                if source not in feeds:
                    feeds[source] = await room.service.add_feed(
                        f"https://{hashlib.sha1(source.encode()).hexdigest()[:10]}.example/feed",
                        name=source,
                    )
                published = item.published + shift
                draft = ItemDraft(
                    key=f"k{item.item_id}",
                    title=item.title,
                    link=f"https://news.example/{item.item_id}",
                    author=None,
                    published=published,
                    summary=item.summary,
                    image_url=None,
                    categories=(),
                    publisher=source,
                    content_hash=hashlib.sha256(item.title.encode()).hexdigest(),
                )
                hour = published.replace(minute=0, second=0, microsecond=0)
                by_hour.setdefault(hour, []).append(TaggedDraft(draft, item.companies))
            clock = SteppedClock()
            assigner = StoryAssigner(stories=room.storage.stories, clock=clock)
            assign_s = 0.0
            for hour in sorted(by_hour):
                clock.moment = hour + timedelta(minutes=59)
                groups: dict[str, list[TaggedDraft]] = {}
                for tagged in by_hour[hour]:
                    groups.setdefault(tagged.draft.publisher or "", []).append(tagged)
                for source, drafts in groups.items():
                    await room.storage.items.apply(
                        FeedPollResult(
                            feed_id=feeds[source].id,
                            polled_at=hour + timedelta(minutes=59),
                            status=FeedStatus.OK,
                            next_due=datetime.now(UTC) + timedelta(days=1),
                            new_items=tuple(drafts),
                        )
                    )
                # As the bot does: stories are assigned after every poll.
                began = time.perf_counter()
                assigned += await assigner.run()
                assign_s += time.perf_counter() - began
            figures["store_and_assign_s"] = round(time.perf_counter() - started, 1)
            figures["assign_s"] = round(assign_s, 1)
            figures["assigned"] = assigned

            for label, kwargs in (
                ("7d", {"period": "7d"}),
                ("7d_company", {"period": "7d", "company": "temu"}),
                ("24h", {"period": "24h"}),
                ("30d", {"period": "30d"}),
            ):
                timings, cpu = [], []
                for _ in range(args.rounds):
                    began, began_cpu = time.perf_counter(), time.process_time()
                    summary = await room.summaries.summary(**kwargs)
                    timings.append(time.perf_counter() - began)
                    cpu.append(time.process_time() - began_cpu)
                figures[f"summary_{label}"] = {
                    "p50_ms": round(statistics.median(timings) * 1000, 1),
                    # CPU time (every thread of the process: SQLite works in aiosqlite's), the
                    # figure to compare on a loaded machine.
                    "cpu_p50_ms": round(statistics.median(cpu) * 1000, 1),
                    "p95_ms": round(percentile(timings, 0.95) * 1000, 1),
                    "stories": len(summary.stories),
                    "top_sources": len(summary.stories[0].story.sources) if summary.stories else 0,
                }
            # Weekly digests as the scheduler computes them, with a subscription's filters.
            now = datetime.now(UTC)
            # "_late": as the scheduler asks after the digest before (LateWindow): the week
            # before's stories that are new since it was read are read too. None are (the
            # usual case), or ("_all_late") every one is: the query's worst case.
            week = timedelta(days=7)
            for label, subscription_filter, late_window in (
                ("weekly_digest", SubscriptionFilter(), None),
                (
                    "weekly_digest_late",
                    SubscriptionFilter(),
                    LateWindow(now - 2 * week, now - week, now),
                ),
                (
                    "weekly_digest_all_late",
                    SubscriptionFilter(),
                    LateWindow(now - 2 * week, now - week, now - 2 * week),
                ),
                (
                    "weekly_digest_filtered",
                    SubscriptionFilter(
                        companies=("temu", "shein"), keywords=("tariff", "fees", "warehouse")
                    ),
                    None,
                ),
            ):
                subscription = Subscription(
                    id=0,
                    guild_id=1,
                    channel_id=1,
                    filter=subscription_filter,
                    mode=SubscriptionMode.WEEKLY,
                    created_at=now - timedelta(days=30),
                )
                timings, cpu = [], []
                for _ in range(args.rounds):
                    began, began_cpu = time.perf_counter(), time.process_time()
                    digest = await room.summaries.for_subscription(
                        subscription, now - week, now, late_window
                    )
                    timings.append(time.perf_counter() - began)
                    cpu.append(time.process_time() - began_cpu)
                figures[label] = {
                    "p50_ms": round(statistics.median(timings) * 1000, 1),
                    "cpu_p50_ms": round(statistics.median(cpu) * 1000, 1),
                    "p95_ms": round(percentile(timings, 0.95) * 1000, 1),
                    "stories": len(digest.stories),
                }
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
