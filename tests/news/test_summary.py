"""Ranking stories, rising terms and day filling for summaries and trends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.news.model.errors import UserError
from bot.news.model.vocabulary import Company, StoryRecord
from bot.news.rules.summary_ranking import fill_days, period_window, rank_stories, rising_terms

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
TEMU = Company("temu", "Temu")


def story(
    story_id: int, headline: str, sources: int, hours_ago: float, companies: tuple[str, ...] = ()
) -> StoryRecord:
    return StoryRecord(
        id=story_id,
        headline=headline,
        summary_line="",
        first_seen=NOW - timedelta(hours=hours_ago + 1),
        last_seen=NOW - timedelta(hours=hours_ago),
        item_count=sources,
        sources=tuple(f"source {n}" for n in range(sources)),
        companies=tuple(Company(c, c.title()) for c in companies),
        links=(),
        topics=(),
    )


def test_breadth_and_freshness_rank_stories() -> None:
    broad_old = story(1, "Amazon raises fees", sources=8, hours_ago=48)
    broad_new = story(2, "SHEIN files for IPO", sources=8, hours_ago=2)
    narrow_new = story(3, "Etsy updates its app", sources=1, hours_ago=1)
    order = [r.story.id for r in rank_stories([broad_old, narrow_new, broad_new], now=NOW)]
    assert order == [2, 1, 3]
    # A 48 h half-life: the same breadth two days older scores half.
    scores = {r.story.id: r.score for r in rank_stories([broad_old, broad_new], now=NOW)}
    assert scores[1] / scores[2] == pytest.approx(0.5 ** (46 / 48))


def test_a_company_filter_favours_headlines_that_name_it() -> None:
    passing = story(1, "Retailers brace for holiday returns", sources=4, hours_ago=5)
    named = story(2, "Temu pauses US shipments", sources=3, hours_ago=5)
    order = [r.story.id for r in rank_stories([passing, named], now=NOW, company=TEMU)]
    assert order == [2, 1]
    assert [r.story.id for r in rank_stories([passing, named], now=NOW)] == [1, 2]


def test_rising_terms_prefer_growth_and_phrases() -> None:
    previous = ["Amazon raises fees"] * 10 + ["Temu opens warehouse in Poland"] * 2
    current = (
        ["Amazon raises fees"] * 10
        + [f"De minimis rule ends for parcels {n}" for n in range(6)]
        + ["TikTok Shop live shopping grows"] * 4
    )
    terms = rising_terms(current, previous)
    assert terms[0] == "de minimis"
    assert "minimis" not in terms  # the phrase stands for its words
    assert "amazon" not in terms and "fees" not in terms  # steady, not rising
    assert any("tiktok" in t or "live" in t for t in terms)


def test_rising_terms_need_enough_headlines() -> None:
    assert rising_terms(["Zalando tests a new app", "Otto cuts prices"], []) == ()


def test_fill_days_puts_zero_where_nothing_happened() -> None:
    days, series = fill_days(
        date(2026, 11, 1),
        date(2026, 11, 4),
        [
            ("Temu", date(2026, 11, 2), 3),
            ("SHEIN", date(2026, 11, 4), 1),
            ("Other", date(2026, 11, 1), 9),
        ],
        ["Temu", "SHEIN"],
    )
    assert days == tuple(date(2026, 11, d) for d in range(1, 5))
    assert dict(series) == {"Temu": (0, 3, 0, 0), "SHEIN": (0, 0, 0, 1)}


def test_periods() -> None:
    assert period_window("7d", NOW) == (NOW - timedelta(days=7), NOW)
    with pytest.raises(UserError, match="24h, 7d, 30d"):
        period_window("1y", NOW)
