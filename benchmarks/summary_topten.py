"""No event twice in a summary's top ten: each labelled set stored and placed as
``tests/storage/test_story_pipeline.py`` does (one poll per outlet, the real assigner), then
the 7-day and 30-day summaries read back through ``SummaryService``. ``--order published``
stores the reports as a running bot would meet them instead: one poll per outlet and hour, in
publication order, stories placed after each hour.

    uv run python benchmarks/summary_topten.py [--sets holdout4,holdout6] [--top 20] [--show]
        [--cache DIR] [--order feeds|published]

Per set and period it counts, among the top ten and the top ``--top``: events shown twice
(entries whose headline reports tell one event), and wrong folds (one entry whose folded
stories' headline reports tell different events: never acceptable). ``--cache`` keeps each
set's placed database so that a second run reads instead of placing again (placing does not
depend on the summary). The labelled sets are training data; the held-out set is not here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.news.model.vocabulary import TaggedDraft  # noqa: E402
from bot.news.rules.summary_ranking import RankedStory  # noqa: E402
from bot.news.services.story_assigner import StoryAssigner  # noqa: E402
from bot.news.services.summaries import SummaryOptions, SummaryService  # noqa: E402
from bot.news.tagging.company_tagger import Tagger  # noqa: E402
from storage import Database  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.news import story_holdout  # noqa: E402
from tests.storage.conftest import add_feed, draft, poll  # noqa: E402

SETS = story_holdout.TRAINING_ROWS


class _Clock:
    """The replay's poll-time clock."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


async def placed(rows: list[story_holdout.Row], path: Path, order: str) -> Database:
    """The set stored and placed in stories, in a database at ``path``: one poll per outlet
    (``feeds``), or per outlet and hour in publication order (``published``)."""
    end = max(r.published for r in rows) + timedelta(hours=1)
    database = await Database.open(path)
    tagger = Tagger.default()
    await database.items.register_companies(tagger.companies())
    clock = _Clock(end)
    assigner = StoryAssigner(stories=database.stories, clock=clock)
    feeds = {}
    for outlet in sorted({r.source for r in rows}):
        feeds[outlet] = await add_feed(database, outlet)
    # Poll time -> outlet -> its reports in that poll.
    rounds: dict[datetime, dict[str, list[story_holdout.Row]]] = defaultdict(
        lambda: defaultdict(list)
    )
    # One poll per outlet keeps the set's own order, as the pipeline test stores it.
    for row in rows if order == "feeds" else sorted(rows, key=lambda r: r.published):
        hour = row.published.replace(minute=0, second=0, microsecond=0)
        at = end - timedelta(minutes=30) if order == "feeds" else hour + timedelta(minutes=59)
        rounds[at][row.source].append(row)
    for at, by_outlet in rounds.items():
        for outlet, items in sorted(by_outlet.items()):
            drafts = [
                TaggedDraft(
                    draft(r.key, r.title, r.summary, published=r.published, link=r.link),
                    tagger.tag(r.title, r.summary),
                )
                for r in items
            ]
            await database.items.apply(poll(feeds[outlet], drafts, at=at))
        if order == "published":
            clock.moment = at
            while await assigner.run():
                pass
    clock.moment = end
    while await assigner.run():
        pass
    return database


def entry_events(entry: RankedStory, event_of: dict[str, str]) -> list[str]:
    """The event of each story an entry shows (its own, then those folded into it)."""
    stories = [entry.story, *entry.also]
    return [event_of[s.links[0]] for s in stories]


async def measure(
    name: str, cache: Path | None, top: int, show: bool, order: str
) -> dict[str, object]:
    rows = SETS[name]()
    event_of = {r.link: r.event for r in rows}
    end = max(r.published for r in rows) + timedelta(hours=1)
    path = (cache or Path("/tmp")) / f"{name}-{order}.db"
    if cache is None or not path.exists():
        path.unlink(missing_ok=True)
        database = await placed(rows, path.with_suffix(".tmp"), order)
        await database.close()
        shutil.move(path.with_suffix(".tmp"), path)
    database = await Database.open(path)
    figures: dict[str, object] = {"set": name, "order": order}
    try:
        service = SummaryService(
            stories=database.stories,
            companies=Tagger.default(),
            clock=FakeClock(end),
            options=SummaryOptions(stories=top),
        )
        for period in ("7d", "30d"):
            summary = await service.summary(period=period)
            shown = [entry_events(r, event_of) for r in summary.stories]
            for n in (10, top):
                heads = [events[0] for events in shown[:n]]
                twice = sorted(e for e, k in Counter(heads).items() if k > 1)
                # Twice also when a folded story's event is another entry's.
                owners = Counter(e for events in shown[:n] for e in set(events))
                twice = sorted(set(twice) | {e for e, k in owners.items() if k > 1})
                wrong = sum(1 for events in shown[:n] if len(set(events)) > 1)
                folds = sum(len(events) - 1 for events in shown[:n])
                figures[f"{period}_top{n}"] = {"twice": twice, "wrong": wrong, "folds": folds}
            if show:
                print(f"== {name} {period}")
                for i, r in enumerate(summary.stories):
                    events = shown[i]
                    print(
                        f"{i + 1:2d} {r.score:.3f} {events} n={r.story.item_count}"
                        f" src={len(r.story.sources)} {r.story.headline[:90]!r}"
                    )
    finally:
        await database.close()
        if cache is None:
            path.unlink(missing_ok=True)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--order", choices=("feeds", "published"), default="feeds")
    args = parser.parse_args()
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    totals: Counter[str] = Counter()
    for name in args.sets.split(","):
        figures = await measure(name, args.cache, args.top, args.show, args.order)
        print(json.dumps(figures), flush=True)
        for key, value in figures.items():
            if isinstance(value, dict):
                totals[f"{key}_twice"] += len(value["twice"])
                totals[f"{key}_wrong"] += value["wrong"]
                totals[f"{key}_folds"] += value["folds"]
    print(json.dumps({"total": dict(sorted(totals.items()))}))


if __name__ == "__main__":
    asyncio.run(main())
