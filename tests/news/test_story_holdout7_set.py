"""The seventh hand-written set (tests/data/stories_holdout7) has the shape issue 8 asks of an
evaluation set and shares nothing with the other sets. Nothing here runs a clusterer. It was
scored once as a held-out set on 2026-12-07 and is training data for the pair models since."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.news import story_holdout
from tests.news.story_holdout_checks import (
    events_outlets_and_lookalikes,
    first_reports,
    loaded_in_both_orders,
    reports_differ_in_form_and_language,
    rows_parse_with_unique_ids_titles_and_links,
    shares_nothing_with,
)


def test_every_line_parses_with_unique_ids_titles_and_links() -> None:
    rows = story_holdout.holdout7_rows()
    rows_parse_with_unique_ids_titles_and_links(story_holdout.HOLDOUT7_FILE, rows, "r")
    assert len(rows) >= 460
    # Rumours from the end of June, the week of 13-19 July, follow-ups to 22 July.
    start, end = datetime(2026, 6, 28, tzinfo=UTC), datetime(2026, 7, 23, tzinfo=UTC)
    assert all(r.published.utcoffset() is not None for r in rows)
    assert all(start <= r.published < end for r in rows)
    # Every main event happens in the week itself (its first report).
    week = datetime(2026, 7, 13, tzinfo=UTC), datetime(2026, 7, 20, tzinfo=UTC)
    first = first_reports(rows)
    assert all(week[0] <= when < week[1] for when in first.values()), first


def test_events_outlets_and_lookalikes() -> None:
    events_outlets_and_lookalikes(
        story_holdout.holdout7_rows(), "r", outlets=(12, 13), lookalikes=120, roundups=15
    )


def test_reports_differ_in_form_and_language() -> None:
    reports_differ_in_form_and_language(story_holdout.holdout7_rows(), non_ascii=55)


def test_shares_no_event_title_or_link_with_the_other_sets() -> None:
    others = (
        story_holdout.rows()
        + story_holdout.tuning_rows(story_holdout.EXTRA_TUNING_PARTS)
        + story_holdout.holdout2_rows()
        + story_holdout.holdout3_rows()
        + story_holdout.holdout4_rows()
        + story_holdout.holdout5_rows()
        + story_holdout.holdout6_rows()
    )
    shares_nothing_with(story_holdout.holdout7_rows(), others)


def test_load_holdout7_numbers_items_in_both_orders_and_leaves_the_others_alone() -> None:
    rows = story_holdout.holdout7_rows()
    by_published = loaded_in_both_orders(rows, story_holdout.load_holdout7)
    # A look-alike and what it resembles know each other; a round-up resembles several.
    lookalikes = {li.story: set(li.lookalikes) for li in by_published}
    assert "r03" in lookalikes["r03-l1"] and "r03-l1" in lookalikes["r03"]
    assert {"r01", "r07", "r09"} <= lookalikes["r01-l7"]
    held_out = {li.story for li in story_holdout.load_holdout2("published")}
    held_out |= {li.story for li in story_holdout.load_holdout3("published")}
    held_out |= {li.story for li in story_holdout.load_holdout4("published")}
    held_out |= {li.story for li in story_holdout.load_holdout5("published")}
    held_out |= {li.story for li in story_holdout.load_holdout6("published")}
    assert not ({li.story for li in story_holdout.load("all")} | held_out) & {r.event for r in rows}
