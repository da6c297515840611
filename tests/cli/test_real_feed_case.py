"""The outside tester's real-feed case, end to end: the `shopwire` CLI and a loopback feed server.

A fresh database gets four feeds shaped like the captured real ones (tests/fixtures/feeds/
realcase/: a partner-API changelog with markdown in its descriptions, a subreddit of short
title-only threads, two news feeds), their dates spread over the last seven days, and one
`shopwire poll`. Trends, periods and summaries must then follow publication dates (a trend once
put every story on the poll day, and `trend --period 24h` found none), and no markdown may reach
a summary line. Stories must hold too: six different threads of one forum stay six stories,
and a story's headline and link come from the same item.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bot.charts import format_day
from tests.cli.test_cli_end_to_end import ROOT, Run, shopwire
from tests.fakes.feedserver import FeedServer

FIXTURES = ROOT / "tests" / "fixtures" / "feeds" / "realcase"
FEEDS = {
    "changelog.xml": "Seller API Changelog",
    "reddit.xml": "r/ecommerce",
    "retailwire.xml": "Retail Wire Daily",
    "ledger.xml": "Marketplace Ledger",
}
ITEMS = 20

# {{day-N HH:MM}}: that UTC time N days before the poll's day; {{now-Nh}}: N hours before the
# poll. Older items sit on whole days (day-2 and before are always more than 24 hours old), so
# which day a story lands on never depends on the time of day the test runs.
_DATE_RE = re.compile(r"\{\{(?:day-(\d+) (\d\d):(\d\d)|now-(\d+)h)\}\}")

# Markdown a summary line must not carry: a heading marker standing alone, bold, code, a link
# or image, a bullet, a quote, a table rule. ("C#" and "#1" are text.)
_MARKDOWN_RE = re.compile(
    r"(?:^|\s)#{1,6}(?:\s|$)|\*\*|__|`|!\[|\]\(|(?:^|\s)[*+]\s|^\s*>|\|\s*:?-{3}"
)


def render(document: str, now: datetime) -> str:
    """The fixture with its date templates filled in (RFC 822 for RSS, RFC 3339 for Atom)."""
    atom = "<feed " in document

    def when(match: re.Match[str]) -> str:
        if match.group(4) is not None:
            at = now - timedelta(hours=int(match.group(4)))
        else:
            day = now.date() - timedelta(days=int(match.group(1)))
            at = datetime.combine(day, time(int(match.group(2)), int(match.group(3))), UTC)
        return at.isoformat() if atom else format_datetime(at, usegmt=True)

    return _DATE_RE.sub(when, document)


@dataclass(frozen=True)
class Case:
    """A database after one poll of the real-case feeds, and the moment they were dated from."""

    db: Path
    now: datetime

    def day(self, days_ago: int) -> str:
        """A trend's label for the UTC day ``days_ago`` days before the poll."""
        return format_day(self.now.date() - timedelta(days=days_ago))


async def _load(db: Path, now: datetime) -> None:
    async with FeedServer() as server:
        for name in FEEDS:
            document = render((FIXTURES / name).read_text(encoding="utf-8"), now)
            url = server.serve(f"/{name}", document, content_type="application/xml")
            added = await shopwire("feeds", "add", url, db=db)
            assert added.code == 0, added.err
        polled = await shopwire("poll", "--json", db=db)
        assert polled.code == 0, polled.err
        reports = polled.json()
        assert isinstance(reports, list)
        assert [r["status"] for r in reports] == ["ok"] * len(FEEDS), reports
        assert sum(r["new_items"] for r in reports) == ITEMS


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    """One fresh database and one poll for the whole module (the server stops after the poll)."""
    now = datetime.now(UTC)
    db = tmp_path_factory.mktemp("realcase") / "news.db"
    asyncio.run(_load(db, now))
    return Case(db, now)


async def _json(*args: str, db: Path) -> Any:
    run = await shopwire(*args, "--json", db=db)
    assert run.code == 0, run.err
    return run.json()


async def _trend(case: Case, tmp_path: Path, *args: str) -> list[str]:
    run: Run = await shopwire("trend", "--out", str(tmp_path / "trend.png"), *args, db=case.db)
    assert run.code == 0, run.err
    return run.out.splitlines()


async def test_trend_days_follow_publication_dates(case: Case, tmp_path: Path) -> None:
    lines = await _trend(case, tmp_path)

    # Three Amazon stories were published three days ago, one five days ago and one today (or
    # late yesterday): all five were polled today, and the peak is where they were published.
    assert f"Amazon: 5 (peak 3 on {case.day(3)})" in lines, lines
    assert f"Temu: 4 (peak 2 on {case.day(2)})" in lines, lines
    assert f"TikTok Shop: 3 (peak 1 on {case.day(5)})" in lines, lines
    shopify = [line for line in lines if line.startswith("Shopify: ")]
    assert len(shopify) == 1 and shopify[0].endswith(f" on {case.day(4)})"), lines


async def test_a_24_hour_period_counts_the_last_days_stories(case: Case, tmp_path: Path) -> None:
    lines = await _trend(case, tmp_path, "--period", "24h")

    assert lines[0].startswith("Stories per day, last 24h") and lines[0].endswith(" · 3 stories")
    for company in ("Amazon", "Temu", "TikTok Shop"):
        assert any(line.startswith(f"{company}: 1") for line in lines), lines

    summary = await _json("summary", "--period", "24h", db=case.db)
    since = datetime.fromisoformat(summary["since"])
    assert {s["headline"] for s in summary["stories"]} == {
        "Temu adds same-day delivery in Warsaw and Krakow",
        "For Thailand Market: TIS Certificate Required for Slime & Squishy Toys",
        "Amazon cuts referral fees on low-priced beauty products",
    }
    assert all(datetime.fromisoformat(s["last_seen"]) >= since for s in summary["stories"])
    # The week before the last day keeps the rest.
    week = await _json("summary", "--period", "7d", db=case.db)
    assert len(week["stories"]) == 5


async def test_no_markdown_reaches_summary_lines(case: Case) -> None:
    summaries = [
        await _json("summary", "--period", "7d", db=case.db),
        await _json("summary", "--period", "7d", "--company", "TikTok Shop", db=case.db),
    ]
    lines = [s["summary"] for summary in summaries for s in summary["stories"]]
    assert len(summaries[1]["stories"]) == 3  # every changelog entry, markdown and all
    assert all(lines), summaries
    for line in lines:
        assert not _MARKDOWN_RE.search(line), line

    human = await shopwire("summary", "--period", "7d", "--company", "TikTok Shop", db=case.db)
    assert human.code == 0, human.err
    assert "##" not in human.out and "**" not in human.out and "`" not in human.out

    # What was stored is plain text too, and ordinary text in it survived.
    items = await _json("latest", "--all", "--feed", FEEDS["changelog.xml"], db=case.db)
    by_title = {item["title"]: item["summary"] for item in items}
    assert len(by_title) == 3
    for summary in by_title.values():
        assert not _MARKDOWN_RE.search(summary), summary
    assert by_title["For US Market: New Affiliate Seller APIs for Creator Outreach"].startswith(
        "Summary We have released 4 new Affiliate seller APIs for TikTok Shop."
    )
    tis = by_title["For Thailand Market: TIS Certificate Required for Slime & Squishy Toys"]
    assert tis.startswith("What is changing? Starting from 15 September, TikTok Shop partners")
    assert "The certifications parameter becomes mandatory for these categories." in tis
    assert tis.endswith("See the C# and Java samples; the #1 question is answered in the FAQ.")
    recommend = by_title["Optional source-platform fields added to the Recommend Category API"]
    assert "origin_platform_product_type origin_platform_vendor" in recommend
    assert recommend.endswith("Cross-platform listing tools can send more context, see the guide.")


# --- story merging: the lead engineer's stories rework makes these pass ---------------------


async def test_six_different_reddit_threads_are_six_stories(case: Case) -> None:
    items = await _json("latest", "--all", "--limit", "100", db=case.db)
    threads = [item for item in items if item["source"] == FEEDS["reddit.xml"]]

    assert len(threads) == 6
    assert all(item["story_id"] is not None for item in threads)
    assert len({item["story_id"] for item in threads}) == 6, [
        (item["story_id"], item["title"]) for item in threads
    ]


async def test_a_storys_headline_and_link_come_from_the_same_item(case: Case) -> None:
    items = await _json("latest", "--all", "--limit", "100", db=case.db)
    title_of = {item["link"]: item["title"] for item in items}
    stories = [
        story
        for args in (
            ("--period", "7d"),
            ("--period", "30d"),
            *(("--period", "7d", "--company", c) for c in ("Amazon", "Temu", "Shopify")),
        )
        for story in (await _json("summary", *args, db=case.db))["stories"]
    ]

    assert any(story["items"] > 1 for story in stories)  # Shopify's, from two feeds
    for story in stories:
        assert story["links"], story
        assert story["headline"] in title_of[story["links"][0]], story


def test_fixture_dates_are_templates() -> None:
    """Every fixture item is dated by a template, so the case never goes stale."""
    now = datetime(2026, 12, 6, 5, 30, tzinfo=UTC)
    for name in FEEDS:
        text = (FIXTURES / name).read_text(encoding="utf-8")
        assert "{{" not in render(text, now), name
        dates = re.findall(r"<(pubDate|published)>([^<]*)<", text)
        assert dates and all(_DATE_RE.fullmatch(value) for _, value in dates), name
    assert render("<pubDate>{{day-3 09:00}}</pubDate>", now) == (
        "<pubDate>Thu, 03 Dec 2026 09:00:00 GMT</pubDate>"
    )
    assert render("<feed ><published>{{now-8h}}</published>", now).endswith(
        "<published>2026-12-05T21:30:00+00:00</published>"
    )
