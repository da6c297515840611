"""``shopwire summary``'s text and JSON for an entry that shows two stories of one event (the
summary's fold, ``services/story_folding.py``): the other story is named under the entry."""

from __future__ import annotations

import argparse
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from bot.cli import Console, _cmd_summary
from bot.news.model.vocabulary import StoryRecord
from bot.news.rules.summary_ranking import NewsSummary, RankedStory

START = datetime(2026, 11, 20, 12, tzinfo=UTC)


def story(story_id: int, headline: str, sources: int) -> StoryRecord:
    return StoryRecord(
        id=story_id,
        headline=headline,
        summary_line="",
        first_seen=START,
        last_seen=START,
        item_count=sources,
        sources=tuple(f"Outlet {n}" for n in range(sources)),
        companies=(),
        links=(f"https://news.example/{story_id}",),
        topics=(),
    )


WIRES = story(1, "Amazon to pay $2.5 billion to settle FTC case over Prime", 12)
EXPLAINER = story(2, "What Amazon's $2.5 Billion Prime Settlement Means For You", 1)
RECAP = story(3, "Amazon's $2.5 billion FTC settlement, explained", 2)


@dataclass
class _Summaries:
    answer: NewsSummary

    async def summary(self, **_: Any) -> NewsSummary:
        return self.answer


@dataclass
class _Room:
    summaries: _Summaries


async def run(*also: StoryRecord, as_json: bool = False) -> str:
    summary = NewsSummary(
        period="7d",
        since=START - timedelta(days=7),
        until=START,
        company=None,
        topic=None,
        stories=(RankedStory(WIRES, 1.0, also=also),),
        company_counts=(),
        rising_terms=(),
    )
    out = io.StringIO()
    args = argparse.Namespace(period="7d", company=None, topic=None, json=as_json)
    code = await _cmd_summary(cast(Any, _Room(_Summaries(summary))), args, Console(out, out))
    assert code == 0
    return out.getvalue()


async def test_the_text_names_the_folded_story_under_the_entry() -> None:
    lines = (await run(EXPLAINER)).splitlines()
    at = lines.index(f"1. {WIRES.headline}  (12 sources)")
    assert lines[at + 1 : at + 3] == [
        "   https://news.example/1",
        f"   also reported as: {EXPLAINER.headline} (1 source)",
    ]


async def test_several_folded_stories_are_one_line() -> None:
    lines = (await run(RECAP, EXPLAINER)).splitlines()
    assert f"   also reported as: {RECAP.headline} (2 sources) and 1 more" in lines
    assert sum("also reported as" in line for line in lines) == 1


async def test_an_entry_without_a_fold_has_no_such_line() -> None:
    assert "also reported as" not in await run()


async def test_json_lists_the_folded_stories() -> None:
    document = json.loads(await run(EXPLAINER, as_json=True))
    assert document["stories"][0]["also"] == [
        {"id": 2, "headline": EXPLAINER.headline, "source_count": 1}
    ]
